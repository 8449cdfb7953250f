import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import OpenPGP

@Suite struct PublicKeyParsingTests {
    @Test func armoredRSAKeyFromGPG() throws {
        let key = try OpenPGPPublicKey(parsing: Array(GPGKeyVectors.rsa3072.utf8))
        #expect(key.fingerprint == GPGKeyVectors.rsa3072Primary)
        #expect(key.encryptionKey.fingerprint == GPGKeyVectors.rsa3072Subkey)
        #expect(key.encryptionKey.keyID == TestKeys.bytes(hex: String(GPGKeyVectors.rsa3072Subkey.suffix(16))))
        #expect(key.encryptionKey.algorithmName == "RSA 3072")
        #expect(key.userIDs == ["RSA Test <rsa@example.com>"])
    }

    @Test func binaryCv25519KeyFromGPG() throws {
        let key = try OpenPGPPublicKey(parsing: Array(Data(base64Encoded: GPGKeyVectors.cv25519Base64)!))
        #expect(key.fingerprint == GPGKeyVectors.cv25519Primary)
        #expect(key.encryptionKey.fingerprint == GPGKeyVectors.cv25519Subkey)
        #expect(key.encryptionKey.algorithmName == "cv25519")
        guard case .cv25519(let point, let hash, let cipher) = key.encryptionKey.material else {
            Issue.record("expected cv25519 material")
            return
        }
        #expect(point.count == 32)
        #expect(hash == 8)
        #expect(cipher == 7)
    }

    @Test func armorAndBinaryGiveTheSameKey() throws {
        let armored = try OpenPGPPublicKey(parsing: Array(GPGKeyVectors.rsa3072.utf8))
        let binary = try OpenPGPPublicKey(parsing: armored.binary)
        #expect(armored == binary)
    }

    @Test func signOnlyKeyIsRefused() {
        #expect(throws: OpenPGPError.self) {
            try OpenPGPPublicKey(parsing: Array(GPGKeyVectors.rsa3072SignOnly.utf8))
        }
        do {
            _ = try OpenPGPPublicKey(parsing: Array(GPGKeyVectors.rsa3072SignOnly.utf8))
        } catch {
            #expect(error.code == .noEncryptionKey)
            #expect(error.message.contains(GPGKeyVectors.rsa3072Primary))
        }
    }

    static func failure(_ input: [UInt8]) -> OpenPGPError? {
        do {
            _ = try OpenPGPPublicKey(parsing: input)
            return nil
        } catch { return error }
    }

    @Test func damagedArmorChecksumIsCaught() throws {
        var text = GPGKeyVectors.rsa3072
        // Flip one base64 character in the body; the CRC-24 line no longer matches.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var line = Array(lines[3])
        line[10] = line[10] == "A" ? "B" : "A"
        text = (lines[..<3] + [Substring(String(line))] + lines[4...]).joined(separator: "\n")
        let error = try #require(Self.failure(Array(text.utf8)))
        #expect(error.code == .malformed || error.code == .unsupported)
    }

    @Test func armorWithoutEndLineIsRefused() throws {
        let text = GPGKeyVectors.rsa3072.replacingOccurrences(of: "-----END PGP PUBLIC KEY BLOCK-----", with: "")
        #expect(Self.failure(Array(text.utf8))?.code == .malformed)
    }

    @Test func privateKeysAreRefused() throws {
        let armored = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcA\n-----END PGP PRIVATE KEY BLOCK-----\n"
        #expect(Self.failure(Array(armored.utf8))?.code == .secretKey)
        let body = TestKeys.keyPacketBody(algorithm: 1, material: [0, 8, 0xFF, 0, 1, 1])
        #expect(Self.failure(TestKeys.packet(5, body))?.code == .secretKey)
    }

    @Test(arguments: [
        Array("hello, this is not a key".utf8), [UInt8](), [0xC6, 0x05, 0x04, 0x00],
        Array("-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----\n".utf8),
    ])
    func garbageIsMalformed(input: [UInt8]) throws {
        #expect(Self.failure(input)?.code == .malformed)
    }

    @Test func truncatedKeyIsMalformed() throws {
        let key = try OpenPGPPublicKey(parsing: Array(GPGKeyVectors.rsa3072.utf8))
        #expect(Self.failure(Array(key.binary.prefix(300)))?.code == .malformed)
    }

    @Test(arguments: [1024, 1536, 4608])
    func rsaSizesOutsideTheRangeAreRefused(bits: Int) throws {
        let modulus = [UInt8](repeating: 0xC3, count: bits / 8)
        let error = try #require(Self.failure(TestKeys.rsa(modulus: modulus).key))
        #expect(error.code == .keySize)
        #expect(error.message.contains("\(bits) bits"))
    }

    @Test(arguments: [2048, 4096])
    func rsaSizesInsideTheRangeAreAccepted(bits: Int) throws {
        let modulus = [UInt8](repeating: 0xC3, count: bits / 8)
        let key = try OpenPGPPublicKey(parsing: TestKeys.rsa(modulus: modulus).key)
        #expect(key.encryptionKey.algorithmName == "RSA \(bits)")
    }

    @Test func nistCurveIsRefusedByName() throws {
        let p256: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        var material: [UInt8] = [UInt8(p256.count)] + p256
        material += [UInt8].mpi([0x04] + [UInt8](repeating: 1, count: 64)) + [3, 1, 8, 7]
        let key = TestKeys.packet(6, TestKeys.keyPacketBody(algorithm: 18, material: material))
        let error = try #require(Self.failure(key))
        #expect(error.code == .unsupported)
        #expect(error.message.contains("NIST P-256"))
    }

    @Test func elGamalIsRefusedByName() throws {
        let material = [UInt8].mpi([UInt8](repeating: 0xC1, count: 256)) + [UInt8].mpi([2]) + [UInt8].mpi([5])
        let key = TestKeys.packet(6, TestKeys.keyPacketBody(algorithm: 16, material: material))
        let error = try #require(Self.failure(key))
        #expect(error.code == .unsupported)
        #expect(error.message.contains("ElGamal"))
    }

    @Test func version5KeysAreRefused() throws {
        var body = TestKeys.keyPacketBody(algorithm: 1, material: [])
        body[0] = 5
        #expect(Self.failure(TestKeys.packet(6, body))?.code == .unsupported)
    }
}

@Suite struct EncodingTests {
    @Test func crc24MatchesRFC4880() {
        // The CRC of no bytes is the initial value.
        #expect(Armor.crc24([]) == 0xB704CE)
        #expect(Armor.crc24(Array("123456789".utf8)) == 0x21CF02)
    }

    @Test(arguments: [(0, [0]), (191, [191]), (192, [192, 0]), (8383, [223, 255]), (8384, [255, 0, 0, 0x20, 0xC0])])
    func bodyLengths(length: Int, expected: [UInt8]) {
        #expect(Packet.bodyLength(length) == expected)
    }

    @Test func mpiDropsLeadingZeros() {
        #expect([UInt8].mpi([0, 0, 1]) == [0, 1, 1])
        #expect([UInt8].mpi([0x40] + [UInt8](repeating: 7, count: 32)).prefix(2) == [0x01, 0x07])  // 263 bits
        #expect([UInt8].mpi([0xFF, 0]) == [0, 16, 0xFF, 0])
    }

    @Test func partialBodiesAreWholeChunksThenAFinalLength() throws {
        for total in [0, 1, 511, 512, 513, 1024, 1025, 5000] {
            var writer = PartialBodyWriter(tag: .literalData, chunkSize: 512)
            var out: [UInt8] = []
            let data = (0..<total).map { UInt8(truncatingIfNeeded: $0) }
            var i = 0
            while i < total {
                let n = min(total - i, 37 + i % 300)
                writer.update(data[i..<(i + n)], into: &out)
                i += n
            }
            writer.finish(into: &out)
            let packets = try MessageReader.packets(out)
            #expect(packets.count == 1)
            #expect(packets[0].tag == 11)
            #expect(packets[0].body == data)
            #expect(packets[0].partialChunks.allSatisfy { $0 == 512 })
            #expect(packets[0].partialChunks.count == max(0, (total - 1) / 512))
        }
    }

    @Test func streamedCFBEqualsOneShotCFB() throws {
        let key = SymmetricKey(size: .bits256)
        let plain = (0..<10_007).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let oneShot = try [UInt8](
            AES._CFB.encrypt(plain, using: key, iv: AES._CFB.IV(ivBytes: [UInt8](repeating: 0, count: 16))))
        var cfb = CFBEncryptor(key: key)
        var streamed: [UInt8] = []
        var i = 0
        while i < plain.count {
            let n = min(plain.count - i, 1 + i % 53)
            streamed += try cfb.update(plain[i..<(i + n)])
            i += n
        }
        streamed += try cfb.finish()
        #expect(streamed == oneShot)
    }

    @Test func rsaPaddingIsPKCS1Type2() throws {
        let (keyBytes, secret) = TestKeys.rsa()
        guard case .rsa(let n, let d) = secret else { return }
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        guard case .rsa(let modulus, let exponent) = key.encryptionKey.material else { return }
        var random = SystemRandomNumberGenerator()
        let message: [UInt8] = [9, 1, 2, 3]
        let c = try SessionKeyPacket.rsaEncrypt(message: message, modulus: modulus, exponent: exponent, random: &random)
        #expect(c.count == 256)
        let m = [UInt8](BigUIntBridge.decrypt(c, n: n, d: d))
        #expect(m.first == 2)
        #expect(m.count == 255)
        #expect(!m[1..<(m.count - 5)].contains(0))
        #expect(Array(m.suffix(5)) == [0] + message)
    }

    @Test func sessionBlockCarriesTheChecksum() {
        let key = [UInt8](repeating: 0xFF, count: 32)
        let block = SessionKeyPacket.sessionBlock(key)
        #expect(block.first == 9)
        #expect(block.count == 35)
        #expect(Array(block.suffix(2)) == [0x1F, 0xE0])  // 32 * 255 = 8160
    }
}

@Suite struct MessageTests {
    static func encrypt(_ plain: [UInt8], to key: OpenPGPPublicKey, chunkSize: Int = 512, step: Int = 777) throws
        -> [UInt8]
    {
        var encryptor = try OpenPGPEncryptor(recipient: key, fileName: "audience.csv", chunkSize: chunkSize)
        var out: [UInt8] = []
        var i = 0
        while i < plain.count {
            let n = min(plain.count - i, step)
            out += try encryptor.update(plain[i..<(i + n)])
            i += n
        }
        out += try encryptor.finish()
        return out
    }

    @Test(arguments: [0, 1, 15, 16, 17, 490, 512, 4096, 100_003])
    func cv25519RoundTrip(size: Int) throws {
        let (keyBytes, secret) = TestKeys.cv25519()
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let message = try Self.encrypt(plain, to: key)
        let (data, name) = try MessageReader.decrypt(message, with: secret)
        #expect(data == plain)
        #expect(name == "audience.csv")
    }

    @Test(arguments: [(UInt8(8), UInt8(7)), (9, 8), (10, 9)])
    func cv25519KDFParameters(hash: UInt8, cipher: UInt8) throws {
        let (keyBytes, secret) = TestKeys.cv25519(kdfHash: hash, kdfCipher: cipher)
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        let message = try Self.encrypt(Array("a,b\n1,2\n".utf8), to: key)
        #expect(try MessageReader.decrypt(message, with: secret).data == Array("a,b\n1,2\n".utf8))
    }

    @Test(arguments: [0, 3, 70_000])
    func rsaRoundTrip(size: Int) throws {
        let (keyBytes, secret) = TestKeys.rsa()
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 5 + 1) }
        let message = try Self.encrypt(plain, to: key, chunkSize: 1 << 16, step: 10_000)
        #expect(try MessageReader.decrypt(message, with: secret).data == plain)
    }

    @Test func largeBodiesUsePartialLengths() throws {
        let (keyBytes, _) = TestKeys.cv25519()
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        let message = try Self.encrypt([UInt8](repeating: 7, count: 5000), to: key)
        let packets = try MessageReader.packets(message)
        #expect(packets[1].partialChunks.count == 9)
    }

    @Test func outputIsBoundedByTheChunkSize() throws {
        let (keyBytes, _) = TestKeys.cv25519()
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        var encryptor = try OpenPGPEncryptor(recipient: key, chunkSize: 1 << 16)
        // Each update hands back what is ready, so nothing accumulates inside.
        var largest = 0
        for _ in 0..<64 {
            let out = try encryptor.update([UInt8](repeating: 1, count: 100_000))
            largest = max(largest, out.count)
        }
        #expect(largest < 300_000)
    }

    @Test func tamperedCiphertextFailsTheMDC() throws {
        let (keyBytes, secret) = TestKeys.cv25519()
        let key = try OpenPGPPublicKey(parsing: keyBytes)
        var message = try Self.encrypt(Array("secret rows\n".utf8), to: key)
        message[message.count - 30] ^= 0x01
        #expect(throws: (any Error).self) { try MessageReader.decrypt(message, with: secret) }
    }
}
