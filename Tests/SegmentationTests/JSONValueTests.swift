import Testing

@testable import Segmentation

@Suite("JSONValue")
struct JSONValueTests {
    @Test(arguments: [
        (
            #"{"b":1,"a":[true,false,null],"c":{"z":"x","y":-2.5}}"#,
            #"{"a":[true,false,null],"b":1,"c":{"y":-2.5,"z":"x"}}"#
        ),
        // A literal a Double would respell (1e2 as 100.0) is kept as written.
        (" [ 1 , 2.0 , -0 , 1e2 , 1E-2 , 0.1 ] ", "[1,2.0,-0,1e2,1E-2,0.1]"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775808", "9223372036854775808"),
        ("123456789012345.0", "123456789012345.0"),
        ("100000.0", "100000.0"),
        ("1e15", "1e15"),
        ("1e300", "1e300"),
        (#""\"\\\/\b\f\n\r\t\u0001\u001f""#, #""\"\\/\b\f\n\r\t\u0001\u001f""#),
        (#""\u00e9\u4e2d\ud83d\ude00 é""#, #""é中😀 é""#),
        (#"{"a":1,"a":2}"#, #"{"a":2}"#),
        (#"{"é":1,"z":2,"E":3}"#, #"{"E":3,"z":2,"é":1}"#),
        ("[]", "[]"),
        ("{}", "{}"),
    ])
    func parsesAndSerializesCompactly(input: String, expected: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.serialized() == expected)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test(arguments: [
        ("", 0, "unexpected end of input, expected a value"),
        ("[1,]", 3, "unexpected ']', expected a value"),
        (#"{"a" 1}"#, 5, "expected ':' after object key"),
        (#"{a:1}"#, 1, "expected a string key in object"),
        ("[1 2]", 3, "expected ',' or ']' in array"),
        ("01", 1, "leading zeros are not allowed in numbers"),
        ("-", 1, "expected a digit in number"),
        ("1.", 2, "expected a digit after '.' in number"),
        ("1e+", 3, "expected a digit in exponent"),
        (#""abc"#, 0, "unterminated string"),
        ("\"a\u{1}\"", 2, "control character in string must be escaped"),
        (#""\x""#, 1, "invalid escape 'x' in string"),
        (#""\ud800""#, 1, #"unpaired UTF-16 surrogate in \u escape"#),
        (#""\u12""#, 3, #"expected four hex digits after \u"#),
        ("tru", 0, "unexpected 't', expected a value"),
        ("1 2", 2, "unexpected '2' after the JSON value"),
        (String(repeating: "[", count: 600), 512, "nesting deeper than 512 levels"),
    ])
    func rejectsMalformedInput(input: String, offset: Int, message: String) {
        #expect(throws: JSONParseError(offset: offset, message: message)) { try JSONValue.parse(input) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError(offset: 1, message: "invalid UTF-8 in string")) {
            try bytes.withUnsafeBytes { try JSONValue.parse($0) }
        }
    }

    @Test func formatsDoublesWithoutExponentSurprises() {
        #expect(JSONValue.double(100_000).serialized() == "100000.0")
        #expect(JSONValue.double(999_999_999_999_999).serialized() == "999999999999999.0")
        #expect(JSONValue.double(-0.5).serialized() == "-0.5")
        #expect(JSONValue.double(.infinity).serialized() == "null")
        #expect(JSONValue.int(-42).serialized() == "-42")
    }

    @Test func readsPaths() throws {
        let value = try JSONValue.parse(#"{"person":{"name":{"lastName":"Doe"},"tags":["a"]}}"#)
        #expect(value[path: ["person", "name", "lastName"]] == .string("Doe"))
        #expect(value.value(atDottedPath: "person.name.lastName") == .string("Doe"))
        #expect(value.value(atDottedPath: "person.tags.0") == nil)
        #expect(value.value(atDottedPath: "person.missing") == nil)
        #expect(value[path: []] == value)
    }

    @Test func mergesObjectsDeeply() throws {
        let older = try JSONValue.parse(#"{"a":{"b":1,"c":[1,2],"d":{"e":1}},"f":"old","g":true}"#)
        let newer = try JSONValue.parse(#"{"a":{"c":[3],"d":{"x":2}},"f":{"now":"object"},"g":null,"h":1}"#)
        #expect(
            older.merging(newer)
                == (try JSONValue.parse(#"{"a":{"b":1,"c":[3],"d":{"e":1,"x":2}},"f":{"now":"object"},"g":null,"h":1}"#))
        )
        #expect(older.merging(.int(1)) == .int(1))
    }

    @Test func reportsKinds() {
        #expect(JSONValue.int(1).kind == .number)
        #expect(JSONValue.double(1).kind == .number)
        #expect(JSONValue.object([:]).kind == .object)
    }
}
