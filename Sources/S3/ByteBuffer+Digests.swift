import Crypto
import NIOCore

extension ByteBuffer {
    /// Hashes the readable bytes in place, without copying them into a Data.
    var md5: Insecure.MD5Digest { withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) } }
    var sha256Hex: String { withUnsafeReadableBytes { SigV4Signer.sha256Hex($0) } }
}
