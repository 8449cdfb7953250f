import Segmentation

/// Appends header and data rows in a `CSVFormat` to a caller's byte buffer; the export's hot path.
///
/// Fields are handled as UTF-8 bytes: each is scanned once for the few ASCII bytes that matter, and a
/// field with none of them (nearly all of them) is copied whole. Every special byte is ASCII, so the scan
/// can never split a multi-byte character.
public struct CSVEncoder: Sendable {
    public let format: CSVFormat

    private let delimiter: UInt8
    private let escapeByte: UInt8
    private let lineEnding: [UInt8]
    private let nullBytes: [UInt8]
    private let emptyBytes: [UInt8]
    /// A text `null` would read back as a null placeholder, so in `.needed` mode it is quoted to stay distinct.
    private let quotesNullWord: Bool

    /// Each byte that forces quoting or escaping in `.needed` mode, repeated across a word for the 8-bytes-at-a-time scan.
    private let specialWords: (UInt64, UInt64, UInt64, UInt64, UInt64)

    private static let quote = UInt8(ascii: "\"")
    private static let space = UInt8(ascii: " ")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    public init(format: CSVFormat = .csv) {
        self.format = format
        delimiter = format.delimiterByte
        escapeByte = format.escape.byte
        lineEnding = Array(format.lineEnding.utf8)
        nullBytes = format.nullValue.bytes
        emptyBytes = format.emptyValue.bytes
        let repeated = { (byte: UInt8) in UInt64(byte) &* 0x0101_0101_0101_0101 }
        specialWords = (
            repeated(delimiter), repeated(Self.quote), repeated(Self.lineFeed), repeated(Self.carriageReturn),
            repeated(escapeByte)
        )
        quotesNullWord = format.quoting == .needed && (format.nullValue == .null || format.emptyValue == .null)
    }

    /// The cell for a profile value; see `CSVField.init(_:)`.
    public static func text(for value: JSONValue?) -> CSVField {
        CSVField(value)
    }

    /// Appends the header row; column names are encoded like any text field.
    public func appendHeader(_ columns: [String], to out: inout [UInt8]) {
        for index in columns.indices {
            if index > 0 { out.append(delimiter) }
            appendText(columns[index], to: &out)
        }
        out.append(contentsOf: lineEnding)
    }

    /// Appends one data row followed by the line ending.
    public func appendRow(_ fields: [CSVField], to out: inout [UInt8]) {
        for index in fields.indices {
            if index > 0 { out.append(delimiter) }
            switch fields[index] {
            case .null: out.append(contentsOf: nullBytes)
            case .text(let text): appendText(text, to: &out)
            }
        }
        out.append(contentsOf: lineEnding)
    }

    /// Appends one field without a delimiter or line ending, for callers that assemble rows themselves.
    public func appendField(_ field: CSVField, to out: inout [UInt8]) {
        switch field {
        case .null: out.append(contentsOf: nullBytes)
        case .text(let text): appendText(text, to: &out)
        }
    }

    /// Appends the delimiter byte.
    public func appendDelimiter(to out: inout [UInt8]) {
        out.append(delimiter)
    }

    /// Appends the line ending.
    public func appendLineEnding(to out: inout [UInt8]) {
        out.append(contentsOf: lineEnding)
    }

    private func appendText(_ text: String, to out: inout [UInt8]) {
        // Native and small strings always expose contiguous UTF-8; bridged ones pay for one copy.
        let handled: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            appendBytes(bytes, to: &out)
        }
        if handled == nil {
            Array(text.utf8).withUnsafeBufferPointer { appendBytes($0, to: &out) }
        }
    }

    private func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let first = bytes.first, let last = bytes.last else {
            out.append(contentsOf: emptyBytes)
            return
        }
        switch format.quoting {
        case .all:
            appendQuoted(bytes, to: &out)
        case .needed:
            // Nearly every field is plain; proving that a word at a time keeps the scan off the profile.
            if first != Self.space, last != Self.space, !containsSpecialByte(bytes),
                !(quotesNullWord && Self.isNullWord(bytes))
            {
                out.append(contentsOf: bytes)
                return
            }
            var needsQuotes = first == Self.space || last == Self.space
            var hasEscape = false
            for byte in bytes {
                if byte == delimiter || byte == Self.quote || byte == Self.lineFeed || byte == Self.carriageReturn {
                    needsQuotes = true
                    break
                }
                if byte == escapeByte { hasEscape = true }
            }
            if needsQuotes || (quotesNullWord && Self.isNullWord(bytes)) {
                appendQuoted(bytes, to: &out)
            } else if hasEscape {
                appendEscaped(bytes, to: &out) { $0 == escapeByte }
            } else {
                out.append(contentsOf: bytes)
            }
        case .none:
            // With `.double` there is no escape character outside quotes, so the bytes go out as they are.
            guard format.escape != .double else {
                out.append(contentsOf: bytes)
                return
            }
            let escape = escapeByte, delimiter = delimiter
            appendEscaped(bytes, to: &out) {
                $0 == delimiter || $0 == escape || $0 == Self.quote || $0 == Self.lineFeed || $0 == Self.carriageReturn
            }
        }
    }

    /// Inside quotes only the quote and the escape character need protecting; for `.double` those are the same byte.
    private func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(Self.quote)
        let escape = escapeByte
        appendEscaped(bytes, to: &out) { $0 == Self.quote || $0 == escape }
        out.append(Self.quote)
    }

    /// Copies runs of ordinary bytes whole and writes the escape byte before each byte matching `needsEscape`.
    @inline(__always)
    private func appendEscaped(
        _ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], where needsEscape: (UInt8) -> Bool
    ) {
        var runStart = 0
        for index in bytes.indices where needsEscape(bytes[index]) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            out.append(escapeByte)
            out.append(bytes[index])
            runStart = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Whether any byte is the delimiter, a quote, CR, LF or the escape byte, tested eight bytes at a time.
    @inline(__always)
    private func containsSpecialByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return false }
        var offset = 0
        while offset + 8 <= count {
            let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
            if Self.hasByte(word, specialWords.0) || Self.hasByte(word, specialWords.1)
                || Self.hasByte(word, specialWords.2) || Self.hasByte(word, specialWords.3)
                || Self.hasByte(word, specialWords.4)
            {
                return true
            }
            offset += 8
        }
        while offset < count {
            let byte = base[offset]
            if byte == delimiter || byte == Self.quote || byte == Self.lineFeed || byte == Self.carriageReturn
                || byte == escapeByte
            {
                return true
            }
            offset += 1
        }
        return false
    }

    /// The classic zero-byte test on `word ^ pattern`: exact, with no false positives for "some byte is zero".
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ pattern: UInt64) -> Bool {
        let difference = word ^ pattern
        return (difference &- 0x0101_0101_0101_0101) & ~difference & 0x8080_8080_8080_8080 != 0
    }

    private static func isNullWord(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 4 && bytes[0] == UInt8(ascii: "n") && bytes[1] == UInt8(ascii: "u")
            && bytes[2] == UInt8(ascii: "l") && bytes[3] == UInt8(ascii: "l")
    }
}
