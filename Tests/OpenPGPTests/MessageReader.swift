import BigInt
import Crypto
import Foundation
import _CryptoExtras

@testable import OpenPGP

/// A minimal decryptor for the messages Ferry writes, written from RFC 4880
/// independently of the encryptor, so the unit tests can read what they
/// wrote without gpg (the integration tests use gpg itself).
struct MessageReader {
    enum Secret {
        case rsa(n: BigUInt, d: BigUInt)
        case x25519(Curve25519.KeyAgreement.PrivateKey, fingerprint: [UInt8], kdfHash: UInt8, kdfCipher: UInt8)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// One packet with its partial bodies joined.
    struct RawPacket {
        var tag: UInt8
        var body: [UInt8]
        var partialChunks: [Int]
    }

    static func packets(_ bytes: [UInt8]) throws -> [RawPacket] {
        var out: [RawPacket] = []
        var i = 0
        while i < bytes.count {
            let first = bytes[i]
            guard first & 0xC0 == 0xC0 else { throw Failure("expected a new-format header at \(i)") }
            i += 1
            var body: [UInt8] = []
            var chunks: [Int] = []
            while true {
                let l0 = Int(bytes[i])
                if l0 < 192 {
                    body += bytes[(i + 1)..<(i + 1 + l0)]
                    i += 1 + l0
                    break
                } else if l0 < 224 {
                    let length = ((l0 - 192) << 8) + Int(bytes[i + 1]) + 192
                    body += bytes[(i + 2)..<(i + 2 + length)]
                    i += 2 + length
                    break
                } else if l0 == 255 {
                    let length = bytes[(i + 1)...(i + 4)].reduce(0) { $0 << 8 | Int($1) }
                    body += bytes[(i + 5)..<(i + 5 + length)]
                    i += 5 + length
                    break
                } else {
                    let length = 1 << (l0 & 0x1F)
                    chunks.append(length)
                    body += bytes[(i + 1)..<(i + 1 + length)]
                    i += 1 + length
                }
            }
            out.append(RawPacket(tag: first & 0x3F, body: body, partialChunks: chunks))
        }
        return out
    }

    /// The literal data's content, after checking the quick check bytes and the MDC.
    static func decrypt(_ message: [UInt8], with secret: Secret) throws -> (data: [UInt8], fileName: String) {
        let all = try packets(message)
        guard all.count == 2, all[0].tag == 1, all[1].tag == 18 else { throw Failure("expected PKESK then SEIPD") }
        let sessionKey = try recoverSessionKey(all[0].body, secret)
        let seipd = all[1].body
        guard seipd.first == 1 else { throw Failure("SEIPD version \(seipd.first ?? 0)") }
        let plain = [UInt8](
            try AES._CFB.decrypt(
                seipd.dropFirst(), using: SymmetricKey(data: sessionKey),
                iv: AES._CFB.IV(ivBytes: [UInt8](repeating: 0, count: 16))))
        guard plain[14] == plain[16], plain[15] == plain[17] else { throw Failure("quick check bytes differ") }
        let mdcStart = plain.count - 22
        guard plain[mdcStart] == 0xD3, plain[mdcStart + 1] == 0x14 else { throw Failure("no MDC packet at the end") }
        let expected = Array(Insecure.SHA1.hash(data: plain[..<(mdcStart + 2)]))
        guard Array(plain[(mdcStart + 2)...]) == expected else { throw Failure("MDC mismatch") }
        let inner = try packets(Array(plain[18..<mdcStart]))
        guard inner.count == 1, inner[0].tag == 11 else { throw Failure("expected one literal packet") }
        let literal = inner[0].body
        guard literal[0] == UInt8(ascii: "b") else { throw Failure("literal format \(literal[0])") }
        let nameLength = Int(literal[1])
        let name = String(decoding: literal[2..<(2 + nameLength)], as: UTF8.self)
        return (Array(literal[(2 + nameLength + 4)...]), name)
    }

    static func recoverSessionKey(_ body: [UInt8], _ secret: Secret) throws -> [UInt8] {
        guard body[0] == 3 else { throw Failure("PKESK version \(body[0])") }
        var rest = body[10...]
        func mpi() -> [UInt8] {
            let bits = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            let value = Array(rest.dropFirst(2).prefix((bits + 7) / 8))
            rest = rest.dropFirst(2 + value.count)
            return value
        }
        let block: [UInt8]
        switch secret {
        case .rsa(let n, let d):
            guard body[9] == 1 else { throw Failure("PKESK algorithm \(body[9])") }
            let c = BigUInt(Data(mpi()))
            let m = [UInt8](c.power(d, modulus: n).serialize())
            // Serialization drops the leading 00.
            guard m.first == 2, let zero = m.firstIndex(of: 0) else { throw Failure("bad PKCS#1 padding") }
            guard zero >= 9 else { throw Failure("PKCS#1 padding shorter than 8 bytes") }
            block = Array(m[(zero + 1)...])
        case .x25519(let key, let fingerprint, let kdfHash, let kdfCipher):
            guard body[9] == 18 else { throw Failure("PKESK algorithm \(body[9])") }
            let point = mpi()
            guard point.count == 33, point[0] == 0x40 else { throw Failure("ephemeral point encoding") }
            let wrappedLength = Int(rest[rest.startIndex])
            let wrapped = Array(rest.dropFirst().prefix(wrappedLength))
            let shared = try key.sharedSecretFromKeyAgreement(
                with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: point.dropFirst())
            ).withUnsafeBytes { Array($0) }
            let kek = SessionKeyPacket.kdf(
                shared: shared, kdfHash: kdfHash, kdfCipher: kdfCipher, fingerprint: fingerprint)
            let unwrapped = try AES.KeyWrap.unwrap(wrapped, using: SymmetricKey(data: kek)).withUnsafeBytes {
                Array($0)
            }
            let pad = Int(unwrapped.last!)
            guard unwrapped.suffix(pad).allSatisfy({ Int($0) == pad }) else { throw Failure("bad PKCS#5 padding") }
            block = Array(unwrapped.dropLast(pad))
        }
        guard block[0] == 9, block.count == 35 else { throw Failure("session key is not AES-256") }
        let key = Array(block[1..<33])
        let sum = key.reduce(0) { ($0 + Int($1)) & 0xFFFF }
        guard Int(block[33]) << 8 | Int(block[34]) == sum else { throw Failure("session key checksum") }
        return key
    }
}

/// Builds transferable public keys around private keys the test holds.
enum TestKeys {
    static func keyPacketBody(algorithm: UInt8, created: UInt32 = 1_700_000_000, material: [UInt8]) -> [UInt8] {
        [
            4, UInt8(created >> 24), UInt8(created >> 16 & 0xFF), UInt8(created >> 8 & 0xFF), UInt8(created & 0xFF),
            algorithm,
        ]
            + material
    }

    static func packet(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        [0xC0 | tag] + Packet.bodyLength(body.count) + body
    }

    static func cv25519(kdfHash: UInt8 = 8, kdfCipher: UInt8 = 7) -> (key: [UInt8], secret: MessageReader.Secret) {
        let privateKey = Curve25519.KeyAgreement.PrivateKey()
        var material: [UInt8] = [UInt8(KeyPacket.cv25519OID.count)] + KeyPacket.cv25519OID
        material += [UInt8].mpi([0x40] + privateKey.publicKey.rawRepresentation)
        material += [3, 1, kdfHash, kdfCipher]
        let body = keyPacketBody(algorithm: 18, material: material)
        let fingerprint = Array(
            Insecure.SHA1.hash(data: [0x99, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body))
        let key = packet(6, body) + packet(13, Array("Test <t@example.com>".utf8))
        return (key, .x25519(privateKey, fingerprint: fingerprint, kdfHash: kdfHash, kdfCipher: kdfCipher))
    }

    /// A 2048-bit key made with `openssl genrsa 2048`.
    static let rsaN =
        "8687a9b37f1558391aeecaf333755b509d35a6cfbb3a017d4e53c41133fa9a01fd0e6238cc597886a0266ba855f4fabbe1c330b1347e69666a260e779e5fa2e4c74c6d1a07529415ee1e52dd83aa0a8d9edf5d4175e689f367295bb264709d5e058906962075af05223673eb1c817c913fdc03bce8a07ba6bfa66e516be88bebeb17e551f61f3062340f502a0bfe54cf3330232c8904463e0e9939730124e1f9e4211349a428ccc85c1488210821f572b24eb5f1691a7683c40e7c5f628af9dc3070157014efd7948f109af4ac9a5e224b13af3daf0e45ac46d6c1e896c58eaa66116e88f0c472fd001fe4d5e773a7a11ca2d732fc563865589e4cc8b7b7f31d"
    static let rsaD =
        "1cdd0c86eb743bea7ca1d13f5ec2062684a45736e897a86c271b07cd1d16de6620d22e36bb7952c7a7a2b6a47654ca5af73436c53e5b04e8294c22fc7d294dbcc219deaa9ff992b625d1b1bbbf1d0388a116915e931a346cd9ac60f524619911ec241b1aa8ba3723e5d44308a5a40e82e76da00baee987be1e0e6a4ae3d90ff3ed6475847b009c639d0e3a0fa73bbdf3f20ab45ee6e3cf937f6a9fdaec6cf9480df0858b81c09c20335164ae8b0415ad2fd8a20c5b99ced94432b55fbaa10d5859648933935df4f3abd2c643b3778abb91a6198fd4ecad79c6dfd9413e78249007ab9a59f2fd75c445340ee2ca20e91d12469c9423ad013e752a7ab6ba53b4e1"

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func rsa(modulus: [UInt8] = bytes(hex: rsaN)) -> (key: [UInt8], secret: MessageReader.Secret) {
        let material = [UInt8].mpi(modulus) + [UInt8].mpi([0x01, 0x00, 0x01])
        let key =
            packet(6, keyPacketBody(algorithm: 1, material: material)) + packet(13, Array("R <r@example.com>".utf8))
        return (key, .rsa(n: BigUInt(Data(modulus)), d: BigUInt(Data(bytes(hex: rsaD)))))
    }
}

enum BigUIntBridge {
    static func decrypt(_ c: [UInt8], n: BigUInt, d: BigUInt) -> Data {
        BigUInt(Data(c)).power(d, modulus: n).serialize()
    }
}
