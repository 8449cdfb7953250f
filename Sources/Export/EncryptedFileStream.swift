import NIOCore
import OpenPGP

/// A file's bytes after compression, encrypted to the destination's PGP key
/// as they pass; without a key they pass unchanged. The uploader pulls from
/// it, so the ciphertext is produced only as fast as S3 takes it.
struct EncryptedFileStream<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

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
                // Taken out while it works, so its buffers are never copied.
                guard var current = encryptor else { return nil }
                encryptor = nil
                let out: [UInt8]
                if let plain = try await base.next() {
                    out = try current.update(plain.readableBytesView)
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
