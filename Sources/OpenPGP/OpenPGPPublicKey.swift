import Crypto
import Foundation

/// A customer's OpenPGP public key (a transferable public key, RFC 4880
/// section 11.1), reduced to what encrypting to it needs: the key that may
/// encrypt, and the fingerprints a user checks against their own.
public struct OpenPGPPublicKey: Sendable, Equatable {
    /// The key material a message is encrypted to.
    public enum Material: Sendable, Equatable {
        case rsa(modulus: [UInt8], exponent: [UInt8])
        /// Curve25519 ECDH (RFC 6637 with the cv25519 curve).
        case cv25519(publicKey: [UInt8], kdfHash: UInt8, kdfCipher: UInt8)
    }

    /// The subkey (or primary key) files are encrypted to.
    public struct EncryptionKey: Sendable, Equatable {
        /// v4 fingerprint, 40 uppercase hex digits.
        public var fingerprint: String
        public var keyID: [UInt8]
        public var material: Material
        public var created: Date
        /// `RSA 3072` or `cv25519`.
        public var algorithmName: String
        var fingerprintBytes: [UInt8]
    }

    /// The primary key's fingerprint: what `gpg --fingerprint` shows first.
    public var fingerprint: String
    public var userIDs: [String]
    public var encryptionKey: EncryptionKey
    /// The key as binary packets, for storing; armor is removed.
    public var binary: [UInt8]

    /// Reads an armored or binary public key and picks the newest valid key
    /// that may encrypt. Keys Ferry cannot encrypt to are refused here, when
    /// the destination is created, never at the first run.
    public init(parsing input: some Collection<UInt8>, now: Date = Date()) throws(OpenPGPError) {
        let binary = try Armor.dearmor(Array(input))
        let packets = try Packet.parseAll(binary)
        guard let first = packets.first else { throw OpenPGPError(.malformed, "the key file holds no packets") }
        switch first.tag {
        case Packet.Tag.publicKey.rawValue: break
        case Packet.Tag.secretKey.rawValue:
            throw OpenPGPError(
                .secretKey, "this is a private key; give the public key instead (gpg --export --armor KEYID)")
        default:
            throw OpenPGPError(
                .malformed, "the file does not start with a public key packet (it starts with packet type \(first.tag))"
            )
        }

        let primary = try KeyPacket(first.body)
        var userIDs: [String] = []
        var primaryFlags: UInt8?
        var primaryExpiry: Int?
        var primaryRevoked = false
        var subkeys: [SubkeyState] = []
        var inSubkey = false
        for packet in packets.dropFirst() {
            switch packet.tag {
            case Packet.Tag.userID.rawValue:
                userIDs.append(String(decoding: packet.body, as: UTF8.self))
                inSubkey = false
            case Packet.Tag.publicSubkey.rawValue:
                subkeys.append(SubkeyState(key: try KeyPacket(packet.body)))
                inSubkey = true
            case Packet.Tag.secretSubkey.rawValue, Packet.Tag.secretKey.rawValue:
                throw OpenPGPError(
                    .secretKey,
                    "the file holds private key material; give the public key instead (gpg --export --armor KEYID)")
            case Packet.Tag.signature.rawValue:
                // Signatures are not verified: the key comes from the
                // customer's own export, and what they sign only narrows
                // which subkey to use.
                guard let signature = try? SignatureInfo(packet.body) else { continue }
                if inSubkey, let last = subkeys.indices.last {
                    switch signature.type {
                    case 0x18 where signature.created >= subkeys[last].bindingTime:
                        subkeys[last].flags = signature.keyFlags
                        subkeys[last].expiry = signature.keyExpiry
                        subkeys[last].bindingTime = signature.created
                    case 0x28: subkeys[last].revoked = true
                    default: break
                    }
                } else {
                    switch signature.type {
                    case 0x10...0x13, 0x1F:
                        if signature.keyFlags != nil { primaryFlags = signature.keyFlags }
                        if signature.keyExpiry != nil { primaryExpiry = signature.keyExpiry }
                    case 0x20: primaryRevoked = true
                    default: break
                    }
                }
            default:
                continue
            }
        }

        let fingerprint = Self.hex(primary.fingerprint)
        if primaryRevoked {
            throw OpenPGPError(.noEncryptionKey, "key \(fingerprint) is revoked; ask for the customer's current key")
        }
        if let expiry = primaryExpiry, expiry > 0, now.timeIntervalSince1970 > Double(primary.created + expiry) {
            throw OpenPGPError(
                .noEncryptionKey,
                "key \(fingerprint) expired on \(Self.day(primary.created + expiry)); ask for a renewed key")
        }
        let encryptFlags: UInt8 = 0x04 | 0x08
        var candidates: [(KeyPacket, String?)] = []
        var skipped: [String] = []
        for sub in subkeys {
            if sub.bindingTime < 0 { continue }
            if let flags = sub.flags, flags & encryptFlags == 0 { continue }
            if sub.flags == nil && !sub.key.mayEncrypt { continue }
            if sub.revoked {
                skipped.append("\(Self.hex(sub.key.fingerprint)) is revoked")
                continue
            }
            if let expiry = sub.expiry, expiry > 0, now.timeIntervalSince1970 > Double(sub.key.created + expiry) {
                skipped.append("\(Self.hex(sub.key.fingerprint)) expired on \(Self.day(sub.key.created + expiry))")
                continue
            }
            candidates.append((sub.key, nil))
        }
        if candidates.isEmpty, primary.mayEncrypt, (primaryFlags ?? encryptFlags) & encryptFlags != 0 {
            candidates.append((primary, nil))
        }
        guard !candidates.isEmpty else {
            let why = skipped.isEmpty ? "" : " (subkey " + skipped.joined(separator: "; subkey ") + ")"
            throw OpenPGPError(
                .noEncryptionKey, "key \(fingerprint) has no valid subkey that may encrypt\(why)")
        }
        // The newest encryption subkey, as gpg picks it.
        let chosen = candidates.map(\.0).max { $0.created < $1.created }!
        let material = try chosen.material()
        self.fingerprint = fingerprint
        self.userIDs = userIDs
        self.binary = binary
        self.encryptionKey = EncryptionKey(
            fingerprint: Self.hex(chosen.fingerprint), keyID: Array(chosen.fingerprint.suffix(8)), material: material,
            created: Date(timeIntervalSince1970: Double(chosen.created)), algorithmName: chosen.algorithmName,
            fingerprintBytes: chosen.fingerprint)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String($0, radix: 16, uppercase: true).leftPadded(2) }.joined()
    }

    static func day(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A subkey with what its newest binding signature says about it.
struct SubkeyState {
    var key: KeyPacket
    var flags: UInt8?
    var expiry: Int?
    var revoked = false
    var bindingTime = -1
}

/// A version 4 public key or subkey packet (RFC 4880 section 5.5.2).
struct KeyPacket: Sendable, Equatable {
    static let rsaEncryptSign: UInt8 = 1
    static let rsaEncryptOnly: UInt8 = 2
    static let rsaSignOnly: UInt8 = 3
    static let elgamal: UInt8 = 16
    static let dsa: UInt8 = 17
    static let ecdh: UInt8 = 18
    static let ecdsa: UInt8 = 19
    static let eddsa: UInt8 = 22
    /// 1.3.6.1.4.1.3029.1.5.1, the OID RFC 6637 implementations use for cv25519.
    static let cv25519OID: [UInt8] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01]

    var body: [UInt8]
    var created: Int
    var algorithm: UInt8
    /// SHA-1 over 0x99, the two-octet length and the body (section 12.2).
    var fingerprint: [UInt8]

    init(_ body: ArraySlice<UInt8>) throws(OpenPGPError) {
        var cursor = PacketCursor(body, what: "public key")
        let version = try cursor.byte()
        switch version {
        case 4: break
        case 2, 3:
            throw OpenPGPError(.unsupported, "version \(version) keys are obsolete (PGP 2.x); make a new key with gpg")
        default:
            throw OpenPGPError(
                .unsupported,
                "version \(version) keys are not supported yet; export a version 4 key (gpg 2.2's default, or gpg --full-gen-key without --rfc9580)"
            )
        }
        created = try cursor.uint(4)
        algorithm = try cursor.byte()
        self.body = Array(body)
        var hashed: [UInt8] = [0x99, UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)]
        hashed += body
        fingerprint = Array(Insecure.SHA1.hash(data: hashed))
    }

    var mayEncrypt: Bool {
        [Self.rsaEncryptSign, Self.rsaEncryptOnly, Self.ecdh, Self.elgamal].contains(algorithm)
    }

    var algorithmName: String {
        switch algorithm {
        case Self.rsaEncryptSign, Self.rsaEncryptOnly, Self.rsaSignOnly:
            if let material = try? material(), case .rsa(let n, _) = material { return "RSA \(Self.bitLength(n))" }
            return "RSA"
        case Self.ecdh: return "cv25519"
        case Self.elgamal: return "ElGamal"
        case Self.dsa: return "DSA"
        case Self.ecdsa: return "ECDSA"
        case Self.eddsa: return "EdDSA"
        default: return "algorithm \(algorithm)"
        }
    }

    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let index = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - index) * 8 - bytes[index].leadingZeroBitCount
    }

    /// The encryption parameters, checked against what Ferry supports.
    func material() throws(OpenPGPError) -> OpenPGPPublicKey.Material {
        var cursor = PacketCursor(body[6...], what: "public key")
        switch algorithm {
        case Self.rsaEncryptSign, Self.rsaEncryptOnly:
            let n = Array(try cursor.mpi())
            let e = Array(try cursor.mpi())
            let bits = Self.bitLength(n)
            guard (2048...4096).contains(bits) else {
                throw OpenPGPError(.keySize, "the RSA key has \(bits) bits; RSA keys must have 2048 to 4096 bits")
            }
            guard Self.bitLength(e) > 1, e.last.map({ $0 & 1 == 1 }) == true else {
                throw OpenPGPError(.malformed, "the RSA key's public exponent is not a valid odd number")
            }
            return .rsa(modulus: Array(n.drop { $0 == 0 }), exponent: Array(e.drop { $0 == 0 }))
        case Self.ecdh:
            let oidLength = Int(try cursor.byte())
            let oid = Array(try cursor.take(oidLength))
            guard oid == Self.cv25519OID else {
                throw OpenPGPError(
                    .unsupported,
                    "the ECDH key uses curve \(Self.curveName(oid)); Ferry encrypts to RSA 2048-4096 and cv25519 keys")
            }
            let point = Array(try cursor.mpi())
            guard point.count == 33, point[0] == 0x40 else {
                throw OpenPGPError(.malformed, "the cv25519 key's public point is not a 32-byte native point")
            }
            let kdfLength = Int(try cursor.byte())
            var kdf = PacketCursor(try cursor.take(kdfLength), what: "ECDH KDF parameters")
            guard try kdf.byte() == 1 else {
                throw OpenPGPError(.unsupported, "the ECDH key's KDF parameters have an unknown version")
            }
            let hash = try kdf.byte()
            let cipher = try kdf.byte()
            guard [8, 9, 10].contains(hash) else {
                throw OpenPGPError(
                    .unsupported, "the ECDH key asks for KDF hash \(hash); Ferry supports SHA-256, SHA-384 and SHA-512")
            }
            guard [7, 8, 9].contains(cipher) else {
                throw OpenPGPError(
                    .unsupported,
                    "the ECDH key asks for key-wrap cipher \(cipher); Ferry supports AES-128, AES-192 and AES-256")
            }
            return .cv25519(publicKey: Array(point.dropFirst()), kdfHash: hash, kdfCipher: cipher)
        default:
            throw OpenPGPError(
                .unsupported,
                "the encryption key uses \(algorithmName); Ferry encrypts to RSA 2048-4096 and cv25519 keys")
        }
    }

    static func curveName(_ oid: [UInt8]) -> String {
        switch oid {
        case [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]: "NIST P-256"
        case [0x2B, 0x81, 0x04, 0x00, 0x22]: "NIST P-384"
        case [0x2B, 0x81, 0x04, 0x00, 0x23]: "NIST P-521"
        case [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07]: "brainpoolP256r1"
        default: "with OID bytes " + OpenPGPPublicKey.hex(oid)
        }
    }
}

/// What a v4 signature says about the key it binds (RFC 4880 section 5.2.3).
struct SignatureInfo {
    var type: UInt8
    var created = 0
    var keyFlags: UInt8?
    /// Seconds after the key's creation; 0 means never.
    var keyExpiry: Int?

    init(_ body: ArraySlice<UInt8>) throws(OpenPGPError) {
        var cursor = PacketCursor(body, what: "signature")
        guard try cursor.byte() == 4 else { throw OpenPGPError(.unsupported, "not a v4 signature") }
        type = try cursor.byte()
        _ = try cursor.take(2)
        let hashedLength = try cursor.uint(2)
        var sub = PacketCursor(try cursor.take(hashedLength), what: "signature subpacket")
        while !sub.isAtEnd {
            let l0 = Int(try sub.byte())
            let length: Int
            switch l0 {
            case 0..<192: length = l0
            case 192..<255: length = ((l0 - 192) << 8) + Int(try sub.byte()) + 192
            default: length = try sub.uint(4)
            }
            guard length >= 1 else { continue }
            var data = PacketCursor(try sub.take(length), what: "signature subpacket")
            switch try data.byte() & 0x7F {
            case 2: created = try data.uint(4)
            case 9: keyExpiry = try data.uint(4)
            case 27: keyFlags = data.isAtEnd ? 0 : try data.byte()
            default: break
            }
        }
    }
}
