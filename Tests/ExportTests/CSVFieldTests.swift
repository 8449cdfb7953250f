import Segmentation
import Testing

@testable import Export

struct CSVFieldTests {
    @Test(
        arguments: [
            (JSONValue.null, CSVField.null),
            (.string(""), .text("")),
            (.string("Ünïcode, \"quoted\""), .text("Ünïcode, \"quoted\"")),
            (.bool(true), .text("true")),
            (.bool(false), .text("false")),
            (.int(0), .text("0")),
            (.int(-42), .text("-42")),
            (.int(Int64.max), .text("9223372036854775807")),
            (.int(Int64.min), .text("-9223372036854775808")),
            (.int(100_000), .text("100000")),
            (.double(100_000), .text("100000.0")),
            (.double(1.5), .text("1.5")),
            (.double(-0.25), .text("-0.25")),
            (.double(0.1), .text("0.1")),
            (.double(123456.789), .text("123456.789")),
            (.double(.infinity), .null),
            (.double(.nan), .null),
            (.array([.int(1), .string("a"), .null]), .text(#"[1,"a",null]"#)),
            (.object(["b": .int(2), "a": .object(["c": .bool(true)])]), .text(#"{"a":{"c":true},"b":2}"#)),
            (.array([]), .text("[]")),
        ] as [(JSONValue, CSVField)])
    func rendersProfileValues(_ value: JSONValue, _ expected: CSVField) {
        #expect(CSVField(value) == expected)
        #expect(CSVEncoder.text(for: value) == expected)
    }

    @Test func doublesMatchSerializedJSON() {
        for number in [100_000.0, 1e15, 1e16, 0.0001, 0.00001, 3.141592653589793, -7.0] {
            #expect(CSVField(.double(number)) == .text(JSONValue.double(number).serialized()))
        }
    }

    @Test func absentValueIsNull() {
        let missing: JSONValue? = nil
        #expect(CSVField(missing) == .null)
        #expect(CSVEncoder.text(for: nil) == .null)
    }

    /// Ad platforms match the SHA-256 of the trimmed, lowercased e-mail.
    @Test func hashingNormalizesThenHashesAndLeavesEmptyValuesEmpty() {
        let expected = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        #expect(CSVField.text("alice@example.com").hashedForMatching() == .text(expected))
        #expect(CSVField.text("  Alice@Example.COM\n").hashedForMatching() == .text(expected))
        #expect(CSVField.null.hashedForMatching() == .null)
        #expect(CSVField.text("").hashedForMatching() == .text(""))
        #expect(CSVField.text("   ").hashedForMatching() == .text(""))
    }
}
