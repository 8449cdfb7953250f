import Crypto
import Foundation

/// Seals secrets (S3 keys, tokens) with AES-256-GCM under the workspace key,
/// so a copied database alone does not leak them.
///
/// A sealed value is `version (1 byte) | key id (8 bytes) | nonce | ciphertext | tag`.
/// The key id lets `open` say "another key" instead of a vague "corrupt" when the
/// workspace moved without its `ferry.key`.
public struct SecretBox: Sendable {
    static let formatVersion: UInt8 = 1
    static let keyIdLength = 8

    /// Raw bytes rather than `SymmetricKey`, which is not `Sendable` in swift-crypto 3.
    private let keyBytes: Data
    let keyId: Data

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: SymmetricKey) {
        precondition(key.bitCount == 256, "SecretBox needs a 256-bit key")
        self.keyBytes = key.withUnsafeBytes { Data($0) }
        self.keyId = Data(SHA256.hash(data: keyBytes).prefix(Self.keyIdLength))
    }

    /// Decodes `FERRY_MASTER_KEY`-style text: base64 of exactly 32 bytes.
    public init(base64Key: String) throws(WorkspaceError) {
        guard let bytes = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)),
            bytes.count == 32
        else {
            throw WorkspaceError(.badMasterKey, "FERRY_MASTER_KEY must be the base64 encoding of exactly 32 bytes.")
        }
        self.init(key: SymmetricKey(data: bytes))
    }

    public func seal(_ plaintext: Data) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: key)
        guard let combined = box.combined else {
            throw SecretBoxError(.damaged)
        }
        var out = Data([Self.formatVersion])
        out.append(keyId)
        out.append(combined)
        return out
    }

    public func seal(_ text: String) throws -> Data {
        try seal(Data(text.utf8))
    }

    public func open(_ sealed: Data) throws(SecretBoxError) -> Data {
        let header = 1 + Self.keyIdLength
        guard sealed.count > header, sealed[sealed.startIndex] == Self.formatVersion else {
            throw SecretBoxError(.damaged)
        }
        let id = sealed.subdata(in: sealed.startIndex + 1..<sealed.startIndex + header)
        guard id == keyId else {
            throw SecretBoxError(.wrongKey)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.subdata(in: sealed.startIndex + header..<sealed.endIndex))
            return try AES.GCM.open(box, using: key)
        } catch {
            // Same key id but the tag does not verify: the bytes were altered.
            throw SecretBoxError(.damaged)
        }
    }

    public func openString(_ sealed: Data) throws(SecretBoxError) -> String {
        let data = try open(sealed)
        guard let text = String(data: data, encoding: .utf8) else {
            throw SecretBoxError(.damaged)
        }
        return text
    }
}
