/// Snappy's raw block format, the SNAPPY codec of Parquet pages.
///
/// A block is the uncompressed length as a varint, then elements: literals
/// and copies of earlier bytes. The compressor finds 4-byte matches through a
/// hash table over 64 KiB fragments, as the reference implementation does, so
/// every copy offset fits two bytes. Spec:
/// https://github.com/google/snappy/blob/main/format_description.txt
public enum Snappy {
    /// Input is compressed in fragments of this size; copies never reach across one.
    static let fragmentSize = 1 << 16
    static let hashBits = 14

    /// Compresses `input` into one raw Snappy block.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count + input.count / 6 + 32)
        var length = UInt64(input.count)
        while length >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        out.append(UInt8(length))
        input.withUnsafeBufferPointer { source in
            var table = [UInt16](repeating: 0, count: 1 << hashBits)
            var start = 0
            while start < source.count {
                let end = min(start + fragmentSize, source.count)
                compressFragment(source, start: start, end: end, table: &table, into: &out)
                start = end
            }
        }
        return out
    }

    @inline(__always)
    private static func load32(_ source: UnsafeBufferPointer<UInt8>, _ index: Int) -> UInt32 {
        UnsafeRawPointer(source.baseAddress! + index).loadUnaligned(as: UInt32.self)
    }

    @inline(__always)
    private static func hash(_ word: UInt32) -> Int {
        Int((word &* 0x1E35_A7BD) >> (32 - UInt32(hashBits)))
    }

    /// One fragment; `table` holds positions relative to `start`, so 16 bits suffice.
    private static func compressFragment(
        _ source: UnsafeBufferPointer<UInt8>, start: Int, end: Int, table: inout [UInt16], into out: inout [UInt8]
    ) {
        for index in table.indices { table[index] = 0 }
        var literalStart = start
        // Matches need 4 readable bytes; the last few are always literals.
        let lastCandidate = end - 4
        var position = start + 1
        while position <= lastCandidate {
            let word = load32(source, position)
            let slot = hash(word)
            let candidate = start + Int(table[slot])
            table[slot] = UInt16(position - start)
            guard candidate < position, load32(source, candidate) == word else {
                position += 1
                continue
            }
            emitLiteral(source, from: literalStart, to: position, into: &out)
            var matchEnd = position + 4
            var from = candidate + 4
            while matchEnd < end && source[matchEnd] == source[from] {
                matchEnd += 1
                from += 1
            }
            emitCopy(offset: position - candidate, length: matchEnd - position, into: &out)
            position = matchEnd
            literalStart = position
            if position - 1 <= lastCandidate && position - 1 > start {
                table[hash(load32(source, position - 1))] = UInt16(position - 1 - start)
            }
        }
        emitLiteral(source, from: literalStart, to: end, into: &out)
    }

    private static func emitLiteral(
        _ source: UnsafeBufferPointer<UInt8>, from: Int, to: Int, into out: inout [UInt8]
    ) {
        let count = to - from
        guard count > 0 else { return }
        let n = count - 1
        if n < 60 {
            out.append(UInt8(n) << 2)
        } else {
            var bytes: [UInt8] = []
            var rest = n
            while rest > 0 {
                bytes.append(UInt8(truncatingIfNeeded: rest))
                rest >>= 8
            }
            out.append(UInt8(59 + bytes.count) << 2)
            out.append(contentsOf: bytes)
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: source[from..<to]))
    }

    /// Long matches become copies of at most 64 bytes; a short tail stays at least 4 so the 1-byte form can hold it.
    private static func emitCopy(offset: Int, length: Int, into out: inout [UInt8]) {
        var length = length
        while length >= 68 {
            emitCopyUpTo64(offset: offset, length: 64, into: &out)
            length -= 64
        }
        if length > 64 {
            emitCopyUpTo64(offset: offset, length: 60, into: &out)
            length -= 60
        }
        emitCopyUpTo64(offset: offset, length: length, into: &out)
    }

    private static func emitCopyUpTo64(offset: Int, length: Int, into out: inout [UInt8]) {
        if length >= 4 && length <= 11 && offset < 2048 {
            out.append(UInt8(1 | ((length - 4) << 2) | ((offset >> 8) << 5)))
            out.append(UInt8(truncatingIfNeeded: offset))
        } else {
            out.append(UInt8(2 | ((length - 1) << 2)))
            out.append(UInt8(truncatingIfNeeded: offset))
            out.append(UInt8(truncatingIfNeeded: offset >> 8))
        }
    }

    /// Why a block could not be decompressed.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Decompresses one raw block; used to check the compressor and to read files back.
    public static func decompress(_ input: [UInt8]) throws(FormatError) -> [UInt8] {
        var index = 0
        func byte() throws(FormatError) -> Int {
            guard index < input.count else { throw FormatError(description: "block ends early at byte \(index)") }
            defer { index += 1 }
            return Int(input[index])
        }
        var expected = 0
        var shift = 0
        while true {
            let b = try byte()
            expected |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            guard shift < 35 else { throw FormatError(description: "length varint is too long") }
        }
        var out: [UInt8] = []
        out.reserveCapacity(expected)
        func copy(offset: Int, length: Int) throws(FormatError) {
            guard offset > 0, offset <= out.count else {
                throw FormatError(description: "copy offset \(offset) reaches before the start")
            }
            let from = out.count - offset
            for k in 0..<length { out.append(out[from + k]) }
        }
        while index < input.count {
            let tag = try byte()
            switch tag & 3 {
            case 0:
                var length = tag >> 2
                if length >= 60 {
                    let extra = length - 59
                    length = 0
                    for k in 0..<extra { length |= try byte() << (8 * k) }
                }
                length += 1
                guard index + length <= input.count else {
                    throw FormatError(description: "literal runs past the block at byte \(index)")
                }
                out.append(contentsOf: input[index..<index + length])
                index += length
                continue
            case 1:
                let length = 4 + ((tag >> 2) & 7)
                let offset = ((tag >> 5) << 8) | (try byte())
                try copy(offset: offset, length: length)
            case 2:
                let length = 1 + (tag >> 2)
                let offset = try byte() | (try byte() << 8)
                try copy(offset: offset, length: length)
            default:
                let length = 1 + (tag >> 2)
                var offset = 0
                for k in 0..<4 { offset |= try byte() << (8 * k) }
                try copy(offset: offset, length: length)
            }
        }
        guard out.count == expected else {
            throw FormatError(description: "block holds \(out.count) bytes, its header says \(expected)")
        }
        return out
    }
}
