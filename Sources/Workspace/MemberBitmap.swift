import Foundation

/// The members of one evaluation of a segment: bit `pid` is set when the
/// profile qualified.
///
/// A row per (segment, profile) made the first evaluation of 10 segments over
/// a million profiles insert 5 million rows (12 s in SQLite) and every later
/// one probe them all again; a bitmap is 125 KB per million profiles, and the
/// changes between two evaluations are a few word operations.
public struct MemberBitmap: Sendable, Equatable {
    private(set) var words: [UInt64]

    public init() { words = [] }

    init(words: [UInt64]) {
        self.words = words
        trim()
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public func contains(_ pid: Int64) -> Bool {
        guard pid >= 0 else { return false }
        let word = Int(pid >> 6)
        return word < words.count && words[word] & (1 << UInt64(pid & 63)) != 0
    }

    public mutating func insert(_ pid: Int64) {
        precondition(pid >= 0, "pids are positive")
        let word = Int(pid >> 6)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(pid & 63)
    }

    /// The smallest member above `pid`, or nil.
    public func member(after pid: Int64) -> Int64? {
        var next = max(pid + 1, 0)
        var word = Int(next >> 6)
        guard word < words.count else { return nil }
        var bits = words[word] & (~0 << UInt64(next & 63))
        while bits == 0 {
            word += 1
            guard word < words.count else { return nil }
            bits = words[word]
        }
        next = Int64(word) << 6 + Int64(bits.trailingZeroBitCount)
        return next
    }

    /// Up to `limit` members above `pid`, ascending.
    public func members(after pid: Int64, limit: Int) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(min(limit, 4096))
        var cursor = pid
        while out.count < limit, let next = member(after: cursor) {
            out.append(next)
            cursor = next
        }
        return out
    }

    public func union(_ other: MemberBitmap) -> MemberBitmap { combine(other) { $0 | $1 } }
    public func intersection(_ other: MemberBitmap) -> MemberBitmap { combine(other) { $0 & $1 } }
    public func subtracting(_ other: MemberBitmap) -> MemberBitmap { combine(other) { $0 & ~$1 } }
    public func symmetricDifference(_ other: MemberBitmap) -> MemberBitmap { combine(other) { $0 ^ $1 } }

    private func combine(_ other: MemberBitmap, _ operation: (UInt64, UInt64) -> UInt64) -> MemberBitmap {
        let length = max(words.count, other.words.count)
        var out = [UInt64](repeating: 0, count: length)
        for index in 0..<length {
            let a = index < words.count ? words[index] : 0
            let b = index < other.words.count ? other.words[index] : 0
            out[index] = operation(a, b)
        }
        return MemberBitmap(words: out)
    }

    private mutating func trim() {
        while let last = words.last, last == 0 { words.removeLast() }
    }

    public static func == (a: MemberBitmap, b: MemberBitmap) -> Bool {
        var a = a
        var b = b
        a.trim()
        b.trim()
        return a.words == b.words
    }
}

// MARK: - Stored form

extension MemberBitmap {
    /// Version byte of the stored form.
    private static let format: UInt8 = 1

    /// The stored form: a version byte, then runs of (zero words, literal words)
    /// as two little-endian UInt32 counts followed by the literal words. A small
    /// segment of a large workspace costs its members, not the workspace's size.
    public var data: Data {
        var out = Data([Self.format])
        var index = 0
        func append32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { out.append(contentsOf: $0) } }
        while index < words.count {
            var zeros = 0
            while index < words.count, words[index] == 0 {
                zeros += 1
                index += 1
            }
            let start = index
            // A literal run ends at two zero words in a row; one is cheaper kept.
            while index < words.count,
                words[index] != 0 || (index + 1 < words.count && words[index + 1] != 0)
            {
                index += 1
            }
            append32(zeros)
            append32(index - start)
            for word in words[start..<index] {
                withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    public init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.first == Self.format else {
            throw WorkspaceError(
                .corruptWorkspace, "A stored member set has an unknown format; evaluate the segment again.")
        }
        var words: [UInt64] = []
        var offset = 1
        func read(_ size: Int) throws -> UInt64 {
            guard offset + size <= bytes.count else {
                throw WorkspaceError(.corruptWorkspace, "A stored member set is truncated; evaluate the segment again.")
            }
            var value: UInt64 = 0
            for byte in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + byte]) }
            offset += size
            return value
        }
        while offset < bytes.count {
            let zeros = Int(try read(4))
            let literals = Int(try read(4))
            guard literals <= (bytes.count - offset) / 8, zeros <= 1 << 31 else {
                throw WorkspaceError(.corruptWorkspace, "A stored member set is truncated; evaluate the segment again.")
            }
            words.append(contentsOf: repeatElement(0, count: zeros))
            // Whole words at once: a million profiles are 16,000 of them.
            bytes.withUnsafeBytes { raw in
                for index in 0..<literals {
                    words.append(
                        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self)))
                }
            }
            offset += 8 * literals
        }
        self.init(words: words)
    }
}
