/// Why a public key could not be used or a message could not be written,
/// in words a user can act on (which key, which algorithm, what to do).
public struct OpenPGPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not an OpenPGP key at all: bad armor, bad checksum, truncated packets.
        case malformed
        /// A secret key was given where the public key belongs.
        case secretKey
        /// A key version, algorithm or curve Ferry does not encrypt to.
        case unsupported
        /// An RSA key outside 2048-4096 bits.
        case keySize
        /// No subkey that may encrypt, or all of them revoked or expired.
        case noEncryptionKey
        /// The cryptographic library refused an operation.
        case crypto
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
