import Segmentation
import Workspace

/// Appends header and data rows in a `CSVFormat` to a caller's byte buffer; the export's hot path.
///
/// Fields are handled as UTF-8 bytes: each is scanned once for the few ASCII bytes that matter, and a
/// field with none of them (nearly all of them) is copied whole. Every special byte is ASCII, so the scan
/// can never split a multi-byte character.
///
/// With `--quote none` and the RFC escape (`.double`) nothing can protect a delimiter, CR or LF inside a
/// value: written raw, such a value splits its row and the file reads back with more rows or columns than
/// were exported. The encoder refuses that value instead (`CSVEncodingError`), and the run fails naming it.
public struct CSVEncoder: Sendable {
    public let format: CSVFormat
    /// The header's column names, so an error can name the column rather than its position.
    public let columns: [String]

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

    public init(format: CSVFormat = .csv, columns: [String] = []) {
        self.format = format
        self.columns = columns
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
            _ = appendText(columns[index], to: &out)
        }
        out.append(contentsOf: lineEnding)
    }

    /// Appends one data row followed by the line ending; on error `out` is left as it was.
    public func appendRow(_ fields: [CSVField], to out: inout [UInt8]) throws(CSVEncodingError) {
        let start = out.count
        for index in fields.indices {
            if index > 0 { out.append(delimiter) }
            switch fields[index] {
            case .null: out.append(contentsOf: nullBytes)
            case .text(let text):
                if let reason = appendText(text, to: &out) {
                    out.removeSubrange(start...)
                    throw error(column: index, reason)
                }
            }
        }
        out.append(contentsOf: lineEnding)
    }

    /// Appends row `row` of `rows` followed by the line ending, a profile
    /// string straight from the rows' bytes; on error `out` is left as it was.
    func appendRow(_ rows: ExportRows, _ row: Int, to out: inout [UInt8]) throws(CSVEncodingError) {
        let start = out.count
        for column in 0..<rows.columns {
            if column > 0 { out.append(delimiter) }
            let refusal: String?
            switch rows[row, column] {
            case .bytes(let range):
                refusal = rows.text.withUnsafeBufferPointer {
                    appendBytes(UnsafeBufferPointer(rebasing: $0[range]), to: &out)
                }
            case let cell:
                switch cell.csvField(rows.text) {
                case .null:
                    out.append(contentsOf: nullBytes)
                    refusal = nil
                case .text(let text): refusal = appendText(text, to: &out)
                }
            }
            if let refusal {
                out.removeSubrange(start...)
                throw error(column: column, refusal)
            }
        }
        out.append(contentsOf: lineEnding)
    }

    /// Appends one field without a delimiter or line ending, for callers that assemble rows themselves.
    public func appendField(_ field: CSVField, column: Int = 0, to out: inout [UInt8]) throws(CSVEncodingError) {
        switch field {
        case .null: out.append(contentsOf: nullBytes)
        case .text(let text):
            let start = out.count
            if let reason = appendText(text, to: &out) {
                out.removeSubrange(start...)
                throw error(column: column, reason)
            }
        }
    }

    /// Why this format cannot write `text` so that it reads back as one field, or nil when it can;
    /// lets a column name be checked when an activation is created rather than when it first runs.
    public func unwritableReason(_ text: String) -> String? {
        guard format.quoting == .none, format.escape == .double else { return nil }
        for byte in text.utf8 {
            if let reason = unquotableReason(byte) { return reason }
        }
        return nil
    }

    private func unquotableReason(_ byte: UInt8) -> String? {
        switch byte {
        case delimiter: "the delimiter"
        case Self.lineFeed: "a line break"
        case Self.carriageReturn: "a carriage return"
        default: nil
        }
    }

    private func error(column: Int, _ reason: String) -> CSVEncodingError {
        CSVEncodingError(column: column, columnName: column < columns.count ? columns[column] : nil, reason: reason)
    }

    /// Appends the delimiter byte.
    public func appendDelimiter(to out: inout [UInt8]) {
        out.append(delimiter)
    }

    /// Appends the line ending.
    public func appendLineEnding(to out: inout [UInt8]) {
        out.append(contentsOf: lineEnding)
    }

    /// Appends the text, or returns why it cannot be written in this format.
    private func appendText(_ text: String, to out: inout [UInt8]) -> String? {
        // Native and small strings always expose contiguous UTF-8; bridged ones pay for one copy.
        if let refusal = text.utf8.withContiguousStorageIfAvailable({ bytes in appendBytes(bytes, to: &out) }) {
            return refusal
        }
        return Array(text.utf8).withUnsafeBufferPointer { appendBytes($0, to: &out) }
    }

    private func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> String? {
        guard let first = bytes.first, let last = bytes.last else {
            out.append(contentsOf: emptyBytes)
            return nil
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
                return nil
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
            // With `.double` there is no escape character outside quotes: a value is written as it is when
            // it can be, and refused when a delimiter or line break in it would split the row.
            guard format.escape != .double else {
                if containsSpecialByte(bytes) {
                    for byte in bytes {
                        if let reason = unquotableReason(byte) { return reason }
                    }
                }
                out.append(contentsOf: bytes)
                return nil
            }
            let escape = escapeByte, delimiter = delimiter
            appendEscaped(bytes, to: &out) {
                $0 == delimiter || $0 == escape || $0 == Self.quote || $0 == Self.lineFeed || $0 == Self.carriageReturn
            }
        }
        return nil
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

/// A value the encoder's format cannot write without corrupting the file.
public struct CSVEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Zero-based position of the column.
    public var column: Int
    public var columnName: String?
    /// What the value holds, e.g. "the delimiter".
    public var reason: String

    public init(column: Int, columnName: String?, reason: String) {
        self.column = column
        self.columnName = columnName
        self.reason = reason
    }

    /// The column by name when known, else by its 1-based position.
    public var columnDescription: String {
        columnName.map { "column '\($0)'" } ?? "column \(column + 1)"
    }

    public var description: String {
        "the value in \(columnDescription) holds \(reason), which --quote none cannot write; use --quote needed or --escape backslash"
    }
}

extension CSVEncodingError {
    /// The error a run fails with, naming the profile by its primary identity so the value can be found.
    func exportError(identity: String?, pid: Int64) -> ExportError {
        let profile = identity.map { "profile \($0)" } ?? "profile \(pid)"
        return ExportError(
            .badOption,
            "the value in \(columnDescription) of \(profile) holds \(reason), which --quote none cannot write; use --quote needed or --escape backslash"
        )
    }
}
