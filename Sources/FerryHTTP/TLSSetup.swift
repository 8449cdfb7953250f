import FerryApp
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// HTTPS for `--tls-cert/--tls-key`: the files are read once, at start.
enum TLSSetup {
    static func server(certificate: String, key: String) throws -> HTTPServerBuilder {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw AppError.badInput(
                "cannot read a PEM certificate from --tls-cert \(certificate): \(error)", field: "tls-cert")
        }
        guard !chain.isEmpty else {
            throw AppError.badInput("--tls-cert \(certificate) holds no certificate", field: "tls-cert")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            // The key's text is never repeated, only its path.
            throw AppError.badInput("cannot read a PEM private key from --tls-key \(key)", field: "tls-key")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        do {
            return try .tls(.http1(), tlsConfiguration: configuration)
        } catch {
            throw AppError.badInput("the TLS certificate and key do not work together: \(error)", field: "tls-key")
        }
    }
}
