/// One OpenPGP packet: its tag and body (RFC 4880 section 4).
struct Packet: Sendable, Equatable {
    enum Tag: UInt8 {
        case publicKeyEncryptedSessionKey = 1
        case signature = 2
        case secretKey = 5
        case publicKey = 6
        case secretSubkey = 7
        case literalData = 11
        case userID = 13
        case publicSubkey = 14
        case symEncryptedIntegrityProtectedData = 18
        case modificationDetectionCode = 19
    }

    var tag: UInt8
    var body: ArraySlice<UInt8>

    /// Every packet of a key, in order. Partial lengths never occur in keys
    /// and are refused.
    static func parseAll(_ bytes: [UInt8]) throws(OpenPGPError) -> [Packet] {
        var packets: [Packet] = []
        var offset = 0
        while offset < bytes.count {
            let first = bytes[offset]
            guard first & 0x80 != 0 else {
                throw OpenPGPError(.malformed, "byte \(offset) of the key is not the start of an OpenPGP packet")
            }
            offset += 1
            let tag: UInt8
            let length: Int
            if first & 0x40 != 0 {
                tag = first & 0x3F
                guard offset < bytes.count else { throw truncated }
                let l0 = Int(bytes[offset])
                switch l0 {
                case 0..<192:
                    length = l0
                    offset += 1
                case 192..<224:
                    guard offset + 1 < bytes.count else { throw truncated }
                    length = ((l0 - 192) << 8) + Int(bytes[offset + 1]) + 192
                    offset += 2
                case 255:
                    guard offset + 4 < bytes.count else { throw truncated }
                    length = bytes[(offset + 1)...(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                    offset += 5
                default:
                    throw OpenPGPError(.malformed, "a key packet uses a partial body length, which keys never do")
                }
            } else {
                tag = (first >> 2) & 0x0F
                switch first & 0x03 {
                case 0:
                    guard offset < bytes.count else { throw truncated }
                    length = Int(bytes[offset])
                    offset += 1
                case 1:
                    guard offset + 1 < bytes.count else { throw truncated }
                    length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                    offset += 2
                case 2:
                    guard offset + 3 < bytes.count else { throw truncated }
                    length = bytes[offset...(offset + 3)].reduce(0) { $0 << 8 | Int($1) }
                    offset += 4
                default:
                    length = bytes.count - offset
                }
            }
            guard length >= 0, offset + length <= bytes.count else { throw truncated }
            packets.append(Packet(tag: tag, body: bytes[offset..<(offset + length)]))
            offset += length
        }
        return packets
    }

    private static var truncated: OpenPGPError {
        OpenPGPError(.malformed, "the key ends in the middle of a packet: the file is truncated")
    }

    /// A new-format header with a definite length.
    static func header(tag: Tag, length: Int) -> [UInt8] {
        [0xC0 | tag.rawValue] + bodyLength(length)
    }

    /// The one-, two- or five-octet length of RFC 4880 section 4.2.2.
    static func bodyLength(_ length: Int) -> [UInt8] {
        switch length {
        case 0..<192: return [UInt8(length)]
        case 192..<8384:
            let value = length - 192
            return [UInt8((value >> 8) + 192), UInt8(value & 0xFF)]
        default:
            return [
                0xFF, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
                UInt8(length & 0xFF),
            ]
        }
    }
}

/// Reads the fields inside a packet body.
struct PacketCursor {
    var bytes: ArraySlice<UInt8>
    let what: String

    init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func byte() throws(OpenPGPError) -> UInt8 {
        guard let value = bytes.first else { throw short }
        bytes = bytes.dropFirst()
        return value
    }

    mutating func take(_ count: Int) throws(OpenPGPError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count >= count else { throw short }
        let value = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return value
    }

    mutating func uint(_ width: Int) throws(OpenPGPError) -> Int {
        try take(width).reduce(0) { $0 << 8 | Int($1) }
    }

    /// A multiprecision integer: a two-octet bit count, then the big-endian bytes.
    mutating func mpi() throws(OpenPGPError) -> ArraySlice<UInt8> {
        let bits = try uint(2)
        return try take((bits + 7) / 8)
    }

    private var short: OpenPGPError { OpenPGPError(.malformed, "the \(what) packet is shorter than its fields") }
}

extension Array where Element == UInt8 {
    /// `value` as an MPI, leading zero bits dropped as RFC 4880 section 3.2 requires.
    static func mpi(_ value: some Collection<UInt8>) -> [UInt8] {
        let trimmed = value.drop { $0 == 0 }
        guard let top = trimmed.first else { return [0, 0] }
        let bits = (trimmed.count - 1) * 8 + (8 - top.leadingZeroBitCount)
        return [UInt8(bits >> 8), UInt8(bits & 0xFF)] + trimmed
    }
}
