import Crypto
import Foundation

/// Encrypts a byte stream to one public key as an OpenPGP message that
/// `gpg --decrypt` reads (RFC 4880):
///
///     PKESK (tag 1) | SEIPD v1 (tag 18, AES-256 CFB) [ literal data (tag 11) | MDC (tag 19) ]
///
/// Data flows through in chunks; the literal and encrypted packets use
/// partial body lengths, so memory stays at a few chunks whatever the size.
/// SEIPD v1 with its SHA-1 MDC is the integrity protection every gpg since
/// 1.4 checks, Debian's 2.2 included (it has no AEAD packets).
public struct OpenPGPEncryptor {
    public static let defaultChunkSize = 1 << 16

    private var literal: PartialBodyWriter
    private var encrypted: PartialBodyWriter
    private var cfb: CFBEncryptor
    private var mdc = Insecure.SHA1()
    private var header: [UInt8]
    private var finished = false

    /// - Parameters:
    ///   - fileName: stored in the literal packet; gpg restores it with `--use-embedded-filename`.
    ///   - date: the literal packet's modification time.
    public init(
        recipient: OpenPGPPublicKey, fileName: String = "", date: Date = Date(),
        chunkSize: Int = OpenPGPEncryptor.defaultChunkSize
    ) throws(OpenPGPError) {
        var random = SystemRandomNumberGenerator()
        try self.init(
            recipient: recipient, fileName: fileName, date: date, chunkSize: chunkSize,
            sessionKey: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) },
            prefix: (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }, random: &random)
    }

    init(
        recipient: OpenPGPPublicKey, fileName: String, date: Date, chunkSize: Int, sessionKey: [UInt8],
        prefix: [UInt8], random: inout some RandomNumberGenerator
    ) throws(OpenPGPError) {
        literal = PartialBodyWriter(tag: .literalData, chunkSize: chunkSize)
        encrypted = PartialBodyWriter(tag: .symEncryptedIntegrityProtectedData, chunkSize: chunkSize)
        cfb = CFBEncryptor(key: SymmetricKey(data: sessionKey))
        header = try SessionKeyPacket.encode(sessionKey: sessionKey, to: recipient.encryptionKey, random: &random)

        var start: [UInt8] = [1]  // SEIPD version
        // The random prefix and its last two bytes repeated let a decryptor
        // spot a wrong key at once (section 5.13).
        let quickCheck = prefix + prefix.suffix(2)
        mdc.update(data: quickCheck)
        start += try cfb.update(quickCheck)
        encrypted.update(start, into: &header)

        let name = Array(fileName.utf8.prefix(255))
        let seconds = UInt32(clamping: max(0, Int(date.timeIntervalSince1970)))
        var literalStart: [UInt8] = [UInt8(ascii: "b"), UInt8(name.count)] + name
        literalStart += [
            UInt8(seconds >> 24), UInt8(seconds >> 16 & 0xFF), UInt8(seconds >> 8 & 0xFF), UInt8(seconds & 0xFF),
        ]
        var inner: [UInt8] = []
        literal.update(literalStart, into: &inner)
        try seal(inner)
    }

    /// The recipient's key id in the PKESK packet, as `gpg --list-packets` shows it.
    public static func keyIDText(_ key: OpenPGPPublicKey) -> String {
        OpenPGPPublicKey.hex(key.encryptionKey.keyID)
    }

    /// Takes plaintext; returns the ciphertext ready so far (often none).
    public mutating func update(_ plaintext: some Collection<UInt8>) throws(OpenPGPError) -> [UInt8] {
        precondition(!finished, "update after finish")
        var inner: [UInt8] = []
        literal.update(plaintext, into: &inner)
        try seal(inner)
        return takeOutput()
    }

    /// Closes the literal packet, appends the MDC and returns the rest of the message.
    public mutating func finish() throws(OpenPGPError) -> [UInt8] {
        precondition(!finished, "finish called twice")
        finished = true
        var inner: [UInt8] = []
        literal.finish(into: &inner)
        try seal(inner)
        let mdcHeader: [UInt8] = [0xC0 | Packet.Tag.modificationDetectionCode.rawValue, 20]
        mdc.update(data: mdcHeader)
        let digest = Array(mdc.finalize())
        var tail = try cfb.update(mdcHeader + digest)
        tail += try cfb.finish()
        encrypted.update(tail, into: &header)
        encrypted.finish(into: &header)
        return takeOutput()
    }

    /// Hashes and encrypts inner packet bytes into the SEIPD packet.
    private mutating func seal(_ inner: [UInt8]) throws(OpenPGPError) {
        guard !inner.isEmpty else { return }
        mdc.update(data: inner)
        let ciphertext = try cfb.update(inner)
        encrypted.update(ciphertext, into: &header)
    }

    private mutating func takeOutput() -> [UInt8] {
        defer { header = [] }
        return header
    }
}
