import Crypto
import Foundation
import _CryptoExtras

/// AES in OpenPGP's CFB mode (RFC 4880 section 13.9, without the resync
/// step, as SEIPD uses it) over a stream: whole blocks are encrypted as they
/// arrive, chaining each call's last ciphertext block as the next IV.
struct CFBEncryptor {
    private let key: SymmetricKey
    private var iv: [UInt8] = [UInt8](repeating: 0, count: 16)
    private var pending: [UInt8] = []

    init(key: SymmetricKey) {
        self.key = key
    }

    /// Ciphertext for every whole block available; a partial block waits.
    mutating func update(_ plaintext: some Collection<UInt8>) throws(OpenPGPError) -> [UInt8] {
        pending.append(contentsOf: plaintext)
        let whole = pending.count / 16 * 16
        guard whole > 0 else { return [] }
        let out = try encrypt(pending[..<whole])
        pending.removeFirst(whole)
        return out
    }

    /// Encrypts what remains; CFB needs no padding for a short last block.
    mutating func finish() throws(OpenPGPError) -> [UInt8] {
        defer { pending = [] }
        return pending.isEmpty ? [] : try encrypt(pending[...])
    }

    private mutating func encrypt(_ block: ArraySlice<UInt8>) throws(OpenPGPError) -> [UInt8] {
        do {
            let out = try [UInt8](AES._CFB.encrypt(block, using: key, iv: AES._CFB.IV(ivBytes: iv)))
            if out.count >= 16 { iv = Array(out.suffix(16)) }
            return out
        } catch {
            throw OpenPGPError(.crypto, "AES-CFB encryption failed: \(error)")
        }
    }
}
