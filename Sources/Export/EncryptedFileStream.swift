import NIOCore
import OpenPGP

/// A file's bytes after compression, encrypted to the destination's PGP key
/// as they pass; without a key they pass unchanged. The uploader pulls from
/// it, so the ciphertext is produced only as fast as S3 takes it.
struct EncryptedFileStream<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    /// Plaintext goes into the encryptor at most this much at a time: a
    /// page of wide rows can be many megabytes, and each step of the
    /// encryptor copies what it is given.
    static var sliceSize: Int { 256 * 1024 }

    let base: Base
    let recipient: OpenPGPPublicKey?
    /// The name stored inside the message, without `.gpg`.
    let fileName: String

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), recipient: recipient, fileName: fileName)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let recipient: OpenPGPPublicKey?
        let fileName: String
        var encryptor: OpenPGPEncryptor?
        /// What is left of the last chunk the base gave.
        var pending = ByteBuffer()
        var done = false

        init(base: Base.AsyncIterator, recipient: OpenPGPPublicKey?, fileName: String) {
            self.base = base
            self.recipient = recipient
            self.fileName = fileName
        }

        mutating func next() async throws -> ByteBuffer? {
            guard let recipient else { return try await base.next() }
            if encryptor == nil && !done {
                encryptor = try OpenPGPEncryptor(recipient: recipient, fileName: fileName)
            }
            while !done {
                if pending.readableBytes == 0, let chunk = try await base.next() {
                    pending = chunk
                    continue
                }
                // Taken out while it works, so its buffers are never copied.
                guard var current = encryptor else { return nil }
                encryptor = nil
                let out: [UInt8]
                if let slice = pending.readSlice(
                    length: Swift.min(pending.readableBytes, EncryptedFileStream.sliceSize)),
                    slice.readableBytes > 0
                {
                    out = try current.update(slice.readableBytesView)
                    encryptor = current
                } else {
                    out = try current.finish()
                    done = true
                }
                if !out.isEmpty { return ByteBuffer(bytes: out) }
            }
            return nil
        }
    }
}
