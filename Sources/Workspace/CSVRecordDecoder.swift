import Segmentation

/// Turns CSV lines into profile documents. The header names a dotted path per
/// column; values are typed so `loyalty.points` compares as a number in PQL.
///
/// Typing: `true`/`false` are booleans; an integer or decimal number is a number,
/// except with a leading zero (`007`, a zip code) which stays text; an empty
/// field means the field is absent; everything else is text. Quoted fields
/// follow RFC 4180 (`""` inside quotes) but must end on the line they start.
struct CSVRecordDecoder {
    private(set) var columns: [[String]] = []
    private(set) var hasHeader = false
    let delimiter: UInt8 = UInt8(ascii: ",")

    /// Reads the header on the first call, then one record per call.
    mutating func decode(_ line: UnsafeRawBufferPointer) -> Result<JSONValue?, RejectReason> {
        guard let fields = Self.split(line, delimiter: delimiter) else {
            return .failure(RejectReason("unterminated quoted field"))
        }
        guard hasHeader else {
            columns = fields.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
            hasHeader = true
            if let bad = columns.firstIndex(where: { $0.contains(where: \.isEmpty) }) {
                return .failure(RejectReason("header column \(bad + 1) is not a dotted field path"))
            }
            return .success(nil)
        }
        guard fields.count == columns.count else {
            return .failure(RejectReason("expected \(columns.count) columns, found \(fields.count)"))
        }
        var document: [String: JSONValue] = [:]
        for (path, text) in zip(columns, fields) {
            guard let value = Self.typed(text) else { continue }
            JSONValue.insert(value, at: path[...], into: &document)
        }
        return .success(.object(document))
    }

    static func typed(_ text: String) -> JSONValue? {
        if text.isEmpty { return nil }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        let utf8 = text.utf8
        let digits = utf8.first == UInt8(ascii: "-") ? utf8.dropFirst() : utf8[...]
        guard let first = digits.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return .string(text)
        }
        if first == UInt8(ascii: "0"), digits.count > 1, digits.dropFirst().first != UInt8(ascii: ".") {
            return .string(text)
        }
        if digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            if let number = Int64(text) { return .int(number) }
        }
        let numeric = digits.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "+")
                || $0 == UInt8(ascii: "-")
        }
        if numeric, let number = Double(text), number.isFinite { return .double(number) }
        return .string(text)
    }

    /// Splits one CSV line; nil when a quoted field is not closed.
    static func split(_ line: UnsafeRawBufferPointer, delimiter: UInt8) -> [String]? {
        let quote = UInt8(ascii: "\"")
        var fields: [String] = []
        var index = 0
        let count = line.count
        while true {
            if index < count, line[index] == quote {
                var bytes: [UInt8] = []
                index += 1
                var closed = false
                while index < count {
                    let byte = line[index]
                    if byte == quote {
                        if index + 1 < count, line[index + 1] == quote {
                            bytes.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    bytes.append(byte)
                    index += 1
                }
                guard closed else { return nil }
                // Anything between the closing quote and the delimiter is kept, as lenient readers do.
                while index < count, line[index] != delimiter {
                    bytes.append(line[index])
                    index += 1
                }
                fields.append(String(decoding: bytes, as: UTF8.self))
            } else {
                let fieldStart = index
                while index < count, line[index] != delimiter { index += 1 }
                fields.append(
                    String(decoding: UnsafeRawBufferPointer(rebasing: line[fieldStart..<index]), as: UTF8.self))
            }
            if index >= count { return fields }
            index += 1  // the delimiter
        }
    }
}
