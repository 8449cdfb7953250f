import Foundation
import Testing

@testable import Segmentation

/// Numbers keep every digit they were written with; only comparisons round to a Double.
@Suite struct JSONNumberTests {
    @Test(arguments: [
        ("12345678901234567890", JSONValue.number("12345678901234567890")),
        ("-98765432109876543210", .number("-98765432109876543210")),
        ("1e400", .number("1e400")),
        ("-1E400", .number("-1E400")),
        ("1.50", .number("1.50")),
        ("3.14159265358979323846", .number("3.14159265358979323846")),
        ("-0", .number("-0")),
        ("42", .int(42)),
        ("0.1", .double(0.1)),
        ("2.5", .double(2.5)),
        ("1e+300", .double(1e300)),
    ])
    func literalsAreKeptExactly(text: String, expected: JSONValue) throws {
        let value = try JSONValue.parse(text)
        #expect(value == expected)
        #expect(value.serialized() == text)
        #expect(JSONValue.number(literal: text) == expected)
        #expect(value.kind == .number)
    }

    @Test func notNumbersAreNotNumberLiterals() {
        for text in ["", "-", "1.", ".5", "+1", "007", "1e", "0x10", "1,5", "nan", "inf", "1 "] {
            #expect(JSONValue.number(literal: text) == nil, "\(text)")
        }
    }

    @Test func doubleValueIsTheNearestDouble() {
        #expect(JSONValue.number("12345678901234567890").doubleValue == 12345678901234567890.0)
        #expect(JSONValue.number("1e400").doubleValue == .infinity)
        #expect(JSONValue.string("1").doubleValue == nil)
    }

    @Test func pqlComparesKeptLiteralsByTheirDoubleApproximation() throws {
        let profile = try JSONValue.parse(#"{"big":12345678901234567890,"huge":1e400,"ratio":1.50}"#)
        for (pql, expected) in [
            ("big > 1000", true), ("big < 1000", false), ("huge > 1000000", true), ("ratio = 1.5", true),
            ("ratio > 2", false),
        ] {
            #expect(PQL.evaluate(try PQL.parse(pql), on: profile, now: Date()) == expected, "\(pql)")
        }
    }

    @Test func duplicateKeysAreAnErrorOnlyWhenAsked() throws {
        let text = #"{"a":{"b":1,"b":2}}"#
        #expect(try JSONValue.parse(text).serialized() == #"{"a":{"b":2}}"#)
        var bytes = Array(text.utf8)
        let error = try #require(throws: JSONParseError.self) {
            try bytes.withUnsafeMutableBytes {
                try JSONValue.parse(UnsafeRawBufferPointer($0), rejectingDuplicateKeys: true)
            }
        }
        #expect(error == JSONParseError(offset: 12, message: #"duplicate key "b" in object"#))
    }
}
