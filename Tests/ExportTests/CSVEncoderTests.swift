import Foundation
import Testing

@testable import Export

/// Encodes rows with `format` and returns the text, so expectations read like the file.
func encoded(_ rows: [[CSVField]], header: [String]? = nil, format: CSVFormat = .csv) -> String {
    let encoder = CSVEncoder(format: format)
    var out: [UInt8] = []
    if let header { encoder.appendHeader(header, to: &out) }
    do {
        for row in rows { try encoder.appendRow(row, to: &out) }
    } catch {
        return "refused: \(error)"
    }
    return String(decoding: out, as: UTF8.self)
}

struct CSVEncoderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var format: CSVFormat
        var fields: [CSVField]
        var expected: String
        var testDescription: String { name }
    }

    static let defaultCases: [Case] = [
        Case(name: "plain", format: .csv, fields: [.text("a"), .text("b")], expected: "a,b\n"),
        Case(name: "delimiter", format: .csv, fields: [.text("a,b"), .text("c")], expected: "\"a,b\",c\n"),
        Case(name: "quote", format: .csv, fields: [.text(#"say "hi""#)], expected: #""say ""hi""""# + "\n"),
        Case(name: "lone quote", format: .csv, fields: [.text("\"")], expected: "\"\"\"\"\n"),
        Case(name: "LF", format: .csv, fields: [.text("one\ntwo")], expected: "\"one\ntwo\"\n"),
        Case(name: "CR", format: .csv, fields: [.text("one\rtwo")], expected: "\"one\rtwo\"\n"),
        Case(name: "CRLF", format: .csv, fields: [.text("one\r\ntwo")], expected: "\"one\r\ntwo\"\n"),
        Case(name: "leading space", format: .csv, fields: [.text(" a")], expected: "\" a\"\n"),
        Case(name: "trailing space", format: .csv, fields: [.text("a ")], expected: "\"a \"\n"),
        Case(name: "inner space", format: .csv, fields: [.text("Luxury Audience")], expected: "Luxury Audience\n"),
        Case(name: "only spaces", format: .csv, fields: [.text("   ")], expected: "\"   \"\n"),
        Case(name: "tab is ordinary in csv", format: .csv, fields: [.text("a\tb")], expected: "a\tb\n"),
        Case(name: "semicolon is ordinary in csv", format: .csv, fields: [.text("a;b")], expected: "a;b\n"),
        Case(name: "backslash is ordinary", format: .csv, fields: [.text(#"C:\dir\"#)], expected: #"C:\dir\"# + "\n"),
        Case(name: "apostrophe is ordinary", format: .csv, fields: [.text("it's")], expected: "it's\n"),
        Case(
            name: "unicode", format: .csv, fields: [.text("ünïcødé"), .text("東京"), .text("🚀👩‍👩‍👧")],
            expected: "ünïcødé,東京,🚀👩‍👩‍👧\n"),
        Case(name: "unicode with comma", format: .csv, fields: [.text("é,東")], expected: "\"é,東\"\n"),
        Case(name: "null and empty", format: .csv, fields: [.null, .text(""), .text("x")], expected: ",,x\n"),
        Case(name: "all null", format: .csv, fields: [.null, .null], expected: ",\n"),
        Case(name: "no fields", format: .csv, fields: [], expected: "\n"),
        Case(name: "word null unquoted by default", format: .csv, fields: [.text("null")], expected: "null\n"),
        Case(name: "tsv tab", format: .tsv, fields: [.text("a\tb"), .text("c,d")], expected: "\"a\tb\"\tc,d\n"),
        Case(
            name: "crlf line ending", format: CSVFormat(lineEnding: "\r\n"), fields: [.text("a"), .text("b")],
            expected: "a,b\r\n"),
    ]

    @Test(arguments: defaultCases)
    func defaults(_ testCase: Case) {
        #expect(encoded([testCase.fields], format: testCase.format) == testCase.expected)
    }

    @Test(arguments: CSVFormat.Delimiter.allCases)
    func everyDelimiterSeparatesAndQuotes(_ delimiter: CSVFormat.Delimiter) {
        let character = String(UnicodeScalar(delimiter.byte))
        let format = CSVFormat(delimiter: delimiter)
        let text = encoded([[.text("a"), .text("x\(character)y"), .null]], format: format)
        #expect(text == "a\(character)\"x\(character)y\"\(character)\n")
    }

    @Test func delimiterBytes() {
        #expect(CSVFormat.Delimiter.allCases.map { String(UnicodeScalar($0.byte)) } == [",", "\t", ";", "|", ":"])
        #expect(CSVFormat.tsv.delimiterByte == UInt8(ascii: "\t"))
        #expect(CSVFormat.csv == CSVFormat())
    }

    static let optionCases: [Case] = [
        // Quoting all: text fields quoted, placeholders literal.
        Case(
            name: "all", format: CSVFormat(quoting: .all), fields: [.text("a"), .text("b\"c"), .null, .text("")],
            expected: "\"a\",\"b\"\"c\",,\n"),
        Case(
            name: "all with quoted-empty",
            format: CSVFormat(quoting: .all, nullValue: .quotedEmpty, emptyValue: .quotedEmpty),
            fields: [.text("a"), .null, .text("")], expected: "\"a\",\"\",\"\"\n"),
        // Quoting none with the RFC escape: what needs no protection goes out as it is (see CSVQuoteNoneTests).
        Case(
            name: "none double", format: CSVFormat(quoting: .none),
            fields: [.text("a b"), .text("c\"d"), .text(" e ")], expected: "a b,c\"d, e \n"),
        // Quoting none with backslash: every special byte is escaped.
        Case(
            name: "none backslash", format: CSVFormat(quoting: .none, escape: .backslash),
            fields: [.text("a,b"), .text("c\"d"), .text(#"e\f"#), .text("g\nh"), .text(" i ")],
            expected: #"a\,b,c\"d,e\\f,g\"# + "\nh, i \n"),
        Case(
            name: "none quote escape", format: CSVFormat(quoting: .none, escape: .quote),
            fields: [.text("a,b"), .text("it's"), .text("c\"d")], expected: "a',b,it''s,c'\"d\n"),
        Case(
            name: "none backslash tab", format: CSVFormat(delimiter: .tab, quoting: .none, escape: .backslash),
            fields: [.text("a\tb"), .text("c,d")], expected: "a\\\tb\tc,d\n"),
        // Quoting needed with backslash: quotes escaped inside quotes, backslashes always.
        Case(
            name: "needed backslash", format: CSVFormat(escape: .backslash),
            fields: [.text("say \"hi\""), .text(#"C:\x"#), .text("a,b"), .text("plain")],
            expected: #""say \"hi\"",C:\\x,"a,b",plain"# + "\n"),
        Case(
            name: "needed quote escape", format: CSVFormat(escape: .quote),
            fields: [.text("say \"hi\""), .text("it's"), .text("it's, ok")],
            expected: "\"say '\"hi'\"\",it''s,\"it''s, ok\"\n"),
        Case(
            name: "all backslash", format: CSVFormat(quoting: .all, escape: .backslash),
            fields: [.text("a\"b"), .text(#"c\d"#)], expected: #""a\"b","c\\d""# + "\n"),
        // Placeholders.
        Case(
            name: "null word", format: CSVFormat(nullValue: .null), fields: [.null, .text(""), .text("null")],
            expected: "null,,\"null\"\n"),
        Case(
            name: "empty as null word", format: CSVFormat(emptyValue: .null), fields: [.null, .text("")],
            expected: ",null\n"),
        Case(
            name: "quoted-empty both", format: CSVFormat(nullValue: .quotedEmpty, emptyValue: .quotedEmpty),
            fields: [.null, .text("")], expected: "\"\",\"\"\n"),
        Case(
            name: "reference defaults",
            format: CSVFormat(quoting: .none, escape: .backslash, nullValue: .null, emptyValue: .empty),
            fields: [.null, .text(""), .text("null"), .text("a,b")], expected: "null,,null,a\\,b\n"),
        Case(
            name: "semicolon needed", format: CSVFormat(delimiter: .semicolon), fields: [.text("a;b"), .text("a,b")],
            expected: "\"a;b\";a,b\n"),
        Case(
            name: "pipe all", format: CSVFormat(delimiter: .pipe, quoting: .all), fields: [.text("a|b"), .text("c")],
            expected: "\"a|b\"|\"c\"\n"),
        Case(
            name: "colon none backslash", format: CSVFormat(delimiter: .colon, quoting: .none, escape: .backslash),
            fields: [.text("12:30"), .text("x")], expected: "12\\:30:x\n"),
    ]

    @Test(arguments: optionCases)
    func options(_ testCase: Case) {
        #expect(encoded([testCase.fields], format: testCase.format) == testCase.expected)
    }

    /// The plain-field check reads eight bytes at a time; a special byte must be found at every offset of a word and the tail.
    @Test(arguments: [",", "\"", "\n", "\r", "\\"])
    func specialByteAtEveryOffset(_ special: String) {
        let format = CSVFormat(escape: special == "\\" ? .backslash : .double)
        for length in 1...19 {
            for position in 0..<length {
                var characters = Array(repeating: "a" as Character, count: length)
                characters[position] = Character(special)
                let text = String(characters)
                let out = encoded([[.text(text)]], format: format)
                #expect(out != text + "\n", "length \(length), offset \(position)")
            }
        }
        #expect(encoded([[.text(String(repeating: "ab", count: 20))]]) == String(repeating: "ab", count: 20) + "\n")
    }

    @Test func headerIsEncodedLikeText() {
        let text = encoded([[.text("1"), .null]], header: ["person_name", "a,b"])
        #expect(text == "person_name,\"a,b\"\n1,\n")
    }

    @Test func appendsToExistingBuffer() throws {
        let encoder = CSVEncoder(format: .csv)
        var out = Array("prefix|".utf8)
        try encoder.appendRow([.text("a")], to: &out)
        try encoder.appendField(.text("b c"), to: &out)
        encoder.appendDelimiter(to: &out)
        try encoder.appendField(.null, to: &out)
        encoder.appendLineEnding(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix|a\nb c,\n")
    }

    @Test func bridgedAndLargeStrings() {
        let long = String(repeating: "abc,", count: 1000)
        let expected = "\"" + long + "\"\n"
        #expect(encoded([[.text(long)]]) == expected)
        // A Substring-made String and a String from bytes take the same path as literals.
        let fromBytes = String(decoding: Array("x\"y".utf8), as: UTF8.self)
        #expect(encoded([[.text(fromBytes)]]) == "\"x\"\"y\"\n")
    }

    @Test func formatDecodesMissingKeysAsDefaults() throws {
        let decoded = try JSONDecoder().decode(
            CSVFormat.self, from: Data(#"{"delimiter":"pipe","nullValue":"quoted-empty"}"#.utf8))
        #expect(decoded == CSVFormat(delimiter: .pipe, nullValue: .quotedEmpty))
        let format = CSVFormat(
            delimiter: .tab, quoting: .all, escape: .quote, nullValue: .null, emptyValue: .quotedEmpty,
            lineEnding: "\r\n")
        #expect(try JSONDecoder().decode(CSVFormat.self, from: JSONEncoder().encode(format)) == format)
    }
}
