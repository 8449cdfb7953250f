import Foundation
import OpenPGP
import S3
import Workspace

/// A destination's security options, decoded and checked: the PGP key its
/// files are encrypted to, the role Ferry assumes, the SSE S3 applies.
public struct DestinationSecurity: Sendable {
    public var pgpKey: OpenPGPPublicKey?
    public var role: AssumeRoleRequest?
    public var sse: ServerSideEncryption?

    public init(pgpKey: OpenPGPPublicKey? = nil, role: AssumeRoleRequest? = nil, sse: ServerSideEncryption? = nil) {
        self.pgpKey = pgpKey
        self.role = role
        self.sse = sse
    }

    public init(_ record: DestinationRecord, now: Date = Date()) throws(ExportError) {
        if let stored = record.pgpPublicKey {
            do {
                pgpKey = try OpenPGPPublicKey(parsing: [UInt8](stored), now: now)
            } catch {
                throw ExportError(.badOption, "destination '\(record.name)': its PGP key cannot be used: \(error)")
            }
        }
        if let roleArn = record.roleArn {
            do {
                role = try AssumeRoleRequest(
                    roleArn: roleArn, externalId: record.externalId, sessionName: record.roleSessionName)
            } catch {
                throw ExportError(.badOption, "destination '\(record.name)': \(error)")
            }
        }
        if let text = record.sse {
            guard let mode = ServerSideEncryption.Mode(rawValue: text),
                let sse = try? ServerSideEncryption(mode: mode, kmsKeyId: record.kmsKeyId)
            else { throw ExportError(.badOption, "destination '\(record.name)' has an unreadable SSE setting") }
            self.sse = sse
        }
    }

    /// Reads and checks a public key file's contents; throws `OpenPGPError`.
    public mutating func setPGPKey(_ contents: [UInt8]) throws {
        pgpKey = try OpenPGPPublicKey(parsing: contents)
    }

    /// `.gpg` after the file's own extension when files are encrypted.
    public var fileSuffix: String { pgpKey == nil ? "" : ".gpg" }

    /// An encrypted file is opaque to S3; its content type says so.
    public func contentType(_ plain: String) -> String {
        pgpKey == nil ? plain : "application/pgp-encrypted"
    }

    /// How long before expiry assumed-role credentials are refreshed.
    /// `FERRY_ROLE_REFRESH_MARGIN_SECONDS` brings refresh forward so tests
    /// see it happen in seconds rather than after 10 minutes.
    public static func refreshMargin(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Duration
    {
        if let text = environment["FERRY_ROLE_REFRESH_MARGIN_SECONDS"], let seconds = Double(text), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        return AssumedRoleCredentials.defaultRefreshMargin
    }

    /// The credentials an S3 client for this destination signs with: the
    /// stored key pair, or, with a role, temporary credentials from STS got
    /// with Ferry's own credentials (environment, then shared profile).
    public func credentials(
        storedKeys: @escaping @Sendable () throws -> AWSCredentials, endpoint: URL?, region: String?,
        timeouts: S3Timeouts, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> @Sendable () async throws -> AWSCredentials {
        guard let role else {
            let keys = try storedKeys()
            return { keys }
        }
        let resolver = CredentialsResolver(environment: environment)
        let stsEndpoint = try environment["AWS_ENDPOINT_URL_STS"].flatMap { $0.isEmpty ? nil : $0 }.map {
            text throws(S3ConfigurationError) in try S3ClientConfiguration.endpointURL(text)
        }
        let provider = AssumedRoleCredentials(
            request: role,
            sts: STSClient(
                endpoint: stsEndpoint ?? endpoint, region: region ?? resolver.region() ?? "us-east-1",
                timeouts: timeouts),
            base: { try resolver.resolve() }, refreshMargin: Self.refreshMargin(environment: environment))
        return { try await provider.credentials() }
    }
}

extension DestinationSecurity {
    /// The S3 client for a destination: its endpoint and region, its SSE, and
    /// its stored keys or assumed role. `open` unseals a stored secret, only
    /// in memory; a front end with its own secret box passes its own.
    public static func s3Client(
        for destination: DestinationRecord, open: @escaping @Sendable (Data) throws -> String,
        retry: RetryPolicy = .standard, timeouts: S3Timeouts = .standard
    ) throws -> S3Client {
        let security = try DestinationSecurity(destination)
        let endpoint = try destination.endpoint.map { text throws(S3ConfigurationError) in
            try S3ClientConfiguration.endpointURL(text)
        }
        let credentials = try security.credentials(
            storedKeys: {
                do {
                    return AWSCredentials(
                        accessKeyId: destination.accessKeyId, secretAccessKey: try open(destination.sealedSecret),
                        sessionToken: try destination.sealedSessionToken.map { try open($0) })
                } catch {
                    throw ExportError(
                        .credentials, "cannot unseal the credentials of destination '\(destination.name)': \(error)")
                }
            }, endpoint: endpoint, region: destination.region, timeouts: timeouts)
        var configuration = S3ClientConfiguration(
            endpoint: endpoint, region: destination.region, retry: retry, timeouts: timeouts)
        configuration.serverSideEncryption = security.sse
        return S3Client(configuration: configuration, credentials: credentials)
    }
}
