import Segmentation

/// JSON Lines: one object per member, keys as the column names in column
/// order, values typed as in the profile. Numbers stay numbers, spelled as
/// imported (a 20-digit id keeps every digit), arrays and objects stay
/// nested, a missing value is `null`, and a time is ISO-8601 text.
struct JSONLinesEncoder: ExportEncoder {
    /// Each column's `"name":` prefix, escaped once.
    private let keys: [[UInt8]]

    init(columns: [String]) {
        keys = columns.enumerated().map { index, column in
            Array(((index == 0 ? "{" : ",") + JSONValue.string(column).serialized() + ":").utf8)
        }
    }

    func begin(into out: inout [UInt8]) {}

    func append(_ rows: ExportRows, row: Int, into out: inout [UInt8]) throws(RowEncodingError) {
        if keys.isEmpty { out.append(UInt8(ascii: "{")) }
        for (column, key) in keys.enumerated() {
            out.append(contentsOf: key)
            switch rows[row, column] {
            case .value(let value): Self.append(value, to: &out)
            case .bytes(let range):
                rows.text.withUnsafeBufferPointer {
                    JSONValue.writeString(utf8: UnsafeBufferPointer(rebasing: $0[range]), to: &out)
                }
            case .text(let text): JSONValue.string(text).write(to: &out)
            case .time(let date): JSONValue.string(ISO8601.string(date)).write(to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }

    func finish(into out: inout [UInt8]) {}

    /// Scalars are written directly; only containers go through the serializer.
    private static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        // JSON has no infinity; a profile value never holds one, and null is the only honest spelling.
        case .double(let number): out.append(contentsOf: (number.isFinite ? number.description : "null").utf8)
        case .number(let literal): out.append(contentsOf: literal.utf8)
        case .string, .array, .object: value.write(to: &out)
        }
    }
}
