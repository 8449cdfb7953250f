/// One leaf column's levels and PLAIN-encoded values for the row group being built.
struct ColumnBuffer: Sendable {
    /// Parquet's physical types.
    enum Physical: Int32, Sendable {
        case boolean = 0
        case int64 = 2
        case double = 5
        case byteArray = 6
    }

    let path: [String]
    let physical: Physical
    let maxDefinition: Int
    let maxRepetition: Int

    var definitions: [UInt8] = []
    var repetitions: [UInt8] = []
    var values: [UInt8] = []
    var nulls = 0
    /// Booleans are bit-packed, lowest bit first; this is the byte being filled.
    var bitCount = 0

    /// Strings are kept as a dictionary of distinct values and an index per
    /// value; a chunk with few distinct values is written dictionary-encoded,
    /// others as PLAIN from the same buffers.
    var dictionary: [String: UInt32] = [:]
    /// The distinct strings, PLAIN-encoded, in index order.
    var dictionaryValues: [UInt8] = []
    /// Where each distinct string starts in `dictionaryValues`.
    var dictionaryOffsets: [Int] = []
    var indices: [UInt32] = []

    /// The chunk's bounds for the footer's statistics, kept as values are
    /// added; strings take theirs from the dictionary when the chunk is written.
    var minInt64 = Int64.max
    var maxInt64 = Int64.min
    var minDouble = Double.infinity
    var maxDouble = -Double.infinity
    var hasFalse = false
    var hasTrue = false

    init(path: [String], physical: Physical, maxDefinition: Int, maxRepetition: Int) {
        self.path = path
        self.physical = physical
        self.maxDefinition = maxDefinition
        self.maxRepetition = maxRepetition
    }

    var levelCount: Int { definitions.count }
    var bufferedBytes: Int {
        definitions.count + repetitions.count + values.count + dictionaryValues.count + 4 * indices.count
    }

    @inline(__always)
    mutating func addLevels(repetition: Int, definition: Int) {
        definitions.append(UInt8(definition))
        if maxRepetition > 0 { repetitions.append(UInt8(repetition)) }
    }

    @inline(__always)
    mutating func addNull(repetition: Int, definition: Int) {
        addLevels(repetition: repetition, definition: definition)
        nulls += 1
    }

    mutating func add(int64 value: Int64) {
        minInt64 = Swift.min(minInt64, value)
        maxInt64 = Swift.max(maxInt64, value)
        withUnsafeBytes(of: value.littleEndian) { values.append(contentsOf: $0) }
    }

    mutating func add(double value: Double) {
        // NaN has no place in an order, so the spec leaves it out of the bounds.
        if !value.isNaN {
            minDouble = Swift.min(minDouble, value)
            maxDouble = Swift.max(maxDouble, value)
        }
        withUnsafeBytes(of: value.bitPattern.littleEndian) { values.append(contentsOf: $0) }
    }

    mutating func add(boolean value: Bool) {
        if value { hasTrue = true } else { hasFalse = true }
        if bitCount % 8 == 0 { values.append(0) }
        if value { values[values.count - 1] |= 1 << UInt8(bitCount % 8) }
        bitCount += 1
    }

    mutating func add(string value: String) {
        if let index = dictionary[value] {
            indices.append(index)
            return
        }
        let index = UInt32(dictionaryOffsets.count)
        dictionary[value] = index
        dictionaryOffsets.append(dictionaryValues.count)
        var value = value
        value.withUTF8 { bytes in
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { dictionaryValues.append(contentsOf: $0) }
            dictionaryValues.append(contentsOf: bytes)
        }
        indices.append(index)
    }

    /// A chunk's pages: the dictionary page's PLAIN values when the chunk is
    /// dictionary-encoded, and the DataPage v1 body (repetition levels,
    /// definition levels, values).
    struct Pages {
        var dictionary: [UInt8]?
        var dictionaryCount: Int
        var body: [UInt8]
    }

    /// Dictionary encoding pays when values repeat: at most one distinct value in two.
    var usesDictionary: Bool {
        physical == .byteArray && !indices.isEmpty && dictionaryOffsets.count * 2 <= indices.count
    }

    func pages() -> Pages {
        var out: [UInt8] = []
        out.reserveCapacity(bufferedBytes + 16)
        if maxRepetition > 0 { Self.appendLevels(repetitions, max: maxRepetition, to: &out) }
        if maxDefinition > 0 { Self.appendLevels(definitions, max: maxDefinition, to: &out) }
        guard physical == .byteArray else {
            out.append(contentsOf: values)
            return Pages(dictionary: nil, dictionaryCount: 0, body: out)
        }
        if usesDictionary {
            // RLE_DICTIONARY: the indices' bit width in one byte, then the hybrid runs, unprefixed.
            let width = Swift.max(1, Self.bitWidth(dictionaryOffsets.count - 1))
            out.append(UInt8(width))
            Self.appendHybrid(indices, width: width, to: &out)
            return Pages(dictionary: dictionaryValues, dictionaryCount: dictionaryOffsets.count, body: out)
        }
        for index in indices {
            let start = dictionaryOffsets[Int(index)]
            let end =
                Int(index) + 1 < dictionaryOffsets.count ? dictionaryOffsets[Int(index) + 1] : dictionaryValues.count
            out.append(contentsOf: dictionaryValues[start..<end])
        }
        return Pages(dictionary: nil, dictionaryCount: 0, body: out)
    }

    /// Longer strings are left without bounds rather than copied into the footer
    /// whole (parquet-cpp's default cap); readers then just can't skip the chunk.
    static let maxStatisticsBytes = 4096

    /// The chunk's min_value and max_value, PLAIN-encoded without a length
    /// prefix, in the order each type sorts by: signed for INT64, numeric for
    /// DOUBLE, false before true, unsigned bytes for UTF8. Nil when the chunk
    /// holds only nulls (or NaNs), so a reader never trusts an empty bound.
    func bounds() -> (min: [UInt8], max: [UInt8])? {
        func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
        switch physical {
        case .int64:
            guard minInt64 <= maxInt64 else { return nil }
            return (bytes(minInt64.littleEndian), bytes(maxInt64.littleEndian))
        case .double:
            guard minDouble <= maxDouble else { return nil }
            // A zero bound is written as -0.0 for the min and +0.0 for the max,
            // as the spec asks, so either zero in the data falls inside.
            let low = minDouble == 0 ? -0.0 : minDouble
            let high = maxDouble == 0 ? 0.0 : maxDouble
            return (bytes(low.bitPattern.littleEndian), bytes(high.bitPattern.littleEndian))
        case .boolean:
            guard hasFalse || hasTrue else { return nil }
            return ([hasFalse ? 0 : 1], [hasTrue ? 1 : 0])
        case .byteArray:
            guard !dictionaryOffsets.isEmpty else { return nil }
            var low: ArraySlice<UInt8>?
            var high: ArraySlice<UInt8>?
            for index in dictionaryOffsets.indices {
                let start = dictionaryOffsets[index] + 4
                let end = index + 1 < dictionaryOffsets.count ? dictionaryOffsets[index + 1] : dictionaryValues.count
                let value = dictionaryValues[start..<end]
                if low.map({ value.lexicographicallyPrecedes($0) }) ?? true { low = value }
                if high.map({ $0.lexicographicallyPrecedes(value) }) ?? true { high = value }
            }
            guard let low, let high, high.count <= Self.maxStatisticsBytes, low.count <= Self.maxStatisticsBytes
            else { return nil }
            return (Array(low), Array(high))
        }
    }

    mutating func reset() {
        definitions.removeAll(keepingCapacity: true)
        repetitions.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        nulls = 0
        bitCount = 0
        minInt64 = .max
        maxInt64 = .min
        minDouble = .infinity
        maxDouble = -.infinity
        hasFalse = false
        hasTrue = false
        // A new row group starts a new dictionary; the old one is freed, not kept at its peak.
        dictionary = [:]
        dictionaryValues = []
        dictionaryOffsets = []
        indices = []
    }

    /// Levels in the RLE/bit-packed hybrid, prefixed by their byte length.
    /// Runs of eight or more equal levels are RLE runs, the rest bit-packed
    /// groups of eight, so alternating nulls cost bits, not bytes.
    static func appendLevels(_ levels: [UInt8], max: Int, to out: inout [UInt8]) {
        let lengthAt = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        let start = out.count
        appendHybrid(levels, width: bitWidth(max), to: &out)
        let length = UInt32(out.count - start)
        withUnsafeBytes(of: length.littleEndian) { bytes in
            for k in 0..<4 { out[lengthAt + k] = bytes[k] }
        }
    }

    /// The RLE/bit-packed hybrid of `levels` at `width` bits each, without a length prefix.
    static func appendHybrid<T: FixedWidthInteger & UnsignedInteger>(_ levels: [T], width: Int, to out: inout [UInt8]) {
        var index = 0
        var packedStart = -1
        func flushPacked(upTo end: Int) {
            guard packedStart >= 0 else { return }
            // Bit-packed runs hold whole groups of eight; the last one is padded with zeros.
            let count = end - packedStart
            let groups = (count + 7) / 8
            appendVarint(UInt64(groups << 1 | 1), to: &out)
            var accumulator: UInt64 = 0
            var bits = 0
            for k in 0..<(groups * 8) {
                let level = packedStart + k < end ? UInt64(levels[packedStart + k]) : 0
                accumulator |= level << UInt64(bits)
                bits += width
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: accumulator))
                    accumulator >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: accumulator)) }
            packedStart = -1
        }
        while index < levels.count {
            let value = levels[index]
            var run = 1
            while index + run < levels.count && levels[index + run] == value { run += 1 }
            // A packed run must end on a multiple of eight, so a repeat only starts an RLE run there.
            let packedLength = packedStart >= 0 ? index - packedStart : 0
            if run >= 8 && packedLength % 8 == 0 {
                flushPacked(upTo: index)
                appendVarint(UInt64(run << 1), to: &out)
                for byte in 0..<((width + 7) / 8) { out.append(UInt8(truncatingIfNeeded: Int(value) >> (8 * byte))) }
                index += run
            } else {
                if packedStart < 0 { packedStart = index }
                // Take enough of the run to reach a group boundary, so the rest can become an RLE run.
                let toBoundary = (8 - (index - packedStart) % 8) % 8
                let take = run >= 8 ? Swift.max(toBoundary, 1) : run
                index += Swift.min(take, run)
            }
        }
        flushPacked(upTo: levels.count)
    }

    static func bitWidth(_ max: Int) -> Int {
        max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
