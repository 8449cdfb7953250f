import BigInt
import Crypto
import Foundation

/// The public-key encrypted session key packet (tag 1, version 3) that lets
/// the holder of the private key recover a message's AES key.
enum SessionKeyPacket {
    /// AES-256, the session cipher of every message Ferry writes.
    static let aes256: UInt8 = 9

    /// The packet, header included.
    static func encode(
        sessionKey: [UInt8], to key: OpenPGPPublicKey.EncryptionKey,
        random: inout some RandomNumberGenerator
    ) throws(OpenPGPError) -> [UInt8] {
        var body: [UInt8] = [3] + key.keyID
        switch key.material {
        case .rsa(let modulus, let exponent):
            body.append(KeyPacket.rsaEncryptSign)
            body += [UInt8].mpi(
                try rsaEncrypt(
                    message: sessionBlock(sessionKey), modulus: modulus, exponent: exponent, random: &random))
        case .cv25519(let publicKey, let kdfHash, let kdfCipher):
            body.append(KeyPacket.ecdh)
            let (ephemeral, wrapped) = try ecdhWrap(
                sessionBlock: sessionBlock(sessionKey), recipient: publicKey, kdfHash: kdfHash, kdfCipher: kdfCipher,
                fingerprint: key.fingerprintBytes)
            body += [UInt8].mpi([0x40] + ephemeral)
            body.append(UInt8(wrapped.count))
            body += wrapped
        }
        return Packet.header(tag: .publicKeyEncryptedSessionKey, length: body.count) + body
    }

    /// The cipher id, the key and a two-octet sum of the key's bytes (section 5.1).
    static func sessionBlock(_ sessionKey: [UInt8]) -> [UInt8] {
        let sum = sessionKey.reduce(0) { ($0 + Int($1)) & 0xFFFF }
        return [aes256] + sessionKey + [UInt8(sum >> 8), UInt8(sum & 0xFF)]
    }

    // MARK: RSA

    /// RSAES-PKCS1-v1_5 (RFC 8017 section 7.2.1): 00 02, non-zero random
    /// padding, 00, the message; then m^e mod n, left-padded to n's length.
    static func rsaEncrypt(
        message: [UInt8], modulus: [UInt8], exponent: [UInt8], random: inout some RandomNumberGenerator
    ) throws(OpenPGPError) -> [UInt8] {
        let k = modulus.count
        guard message.count <= k - 11 else {
            throw OpenPGPError(.crypto, "the RSA key is too small for a session key")
        }
        var block: [UInt8] = [0x00, 0x02]
        block.reserveCapacity(k)
        while block.count < k - message.count - 1 {
            let byte = UInt8.random(in: 1...255, using: &random)
            block.append(byte)
        }
        block.append(0)
        block += message
        let m = BigUInt(Data(block))
        let c = m.power(BigUInt(Data(exponent)), modulus: BigUInt(Data(modulus)))
        let bytes = [UInt8](c.serialize())
        return [UInt8](repeating: 0, count: k - bytes.count) + bytes
    }

    // MARK: ECDH (RFC 6637)

    /// An ephemeral X25519 key agreement, the KDF of section 7 and AES key
    /// wrap of the padded session block (section 8).
    static func ecdhWrap(
        sessionBlock: [UInt8], recipient: [UInt8], kdfHash: UInt8, kdfCipher: UInt8, fingerprint: [UInt8],
        ephemeral: Curve25519.KeyAgreement.PrivateKey = .init()
    ) throws(OpenPGPError) -> (ephemeralPublic: [UInt8], wrapped: [UInt8]) {
        let shared: [UInt8]
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient)
            shared = try ephemeral.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw OpenPGPError(.crypto, "the cv25519 key agreement failed: the key's public point is invalid")
        }
        let kek = kdf(
            shared: shared, kdfHash: kdfHash, kdfCipher: kdfCipher, fingerprint: fingerprint)
        // PKCS#5 padding to a multiple of 8, as the key wrap needs.
        let pad = 8 - sessionBlock.count % 8
        let padded = sessionBlock + [UInt8](repeating: UInt8(pad), count: pad)
        do {
            let wrapped = try AES.KeyWrap.wrap(SymmetricKey(data: padded), using: SymmetricKey(data: kek))
            return (Array(ephemeral.publicKey.rawRepresentation), Array(wrapped))
        } catch {
            throw OpenPGPError(.crypto, "AES key wrap of the session key failed: \(error)")
        }
    }

    /// Hash(00 00 00 01 || Z || Param), cut to the key-wrap cipher's key length.
    static func kdf(shared: [UInt8], kdfHash: UInt8, kdfCipher: UInt8, fingerprint: [UInt8]) -> [UInt8] {
        var param: [UInt8] = [UInt8(KeyPacket.cv25519OID.count)] + KeyPacket.cv25519OID
        param += [KeyPacket.ecdh, 0x03, 0x01, kdfHash, kdfCipher]
        param += Array("Anonymous Sender    ".utf8)
        param += fingerprint
        let input: [UInt8] = [0, 0, 0, 1] + shared + param
        let digest: [UInt8]
        switch kdfHash {
        case 9: digest = Array(SHA384.hash(data: input))
        case 10: digest = Array(SHA512.hash(data: input))
        default: digest = Array(SHA256.hash(data: input))
        }
        let keyLength = kdfCipher == 7 ? 16 : kdfCipher == 8 ? 24 : 32
        return Array(digest.prefix(keyLength))
    }
}
