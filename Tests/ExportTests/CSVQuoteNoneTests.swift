import Foundation
import Segmentation
import Testing

@testable import Export

/// `--quote none` with the RFC escape cannot protect a delimiter or a line break: such a value is
/// refused, naming its column, rather than written raw into a file that reads back with extra rows.
@Suite struct CSVQuoteNoneTests {
    @Test(arguments: [
        (CSVFormat.Delimiter.comma, "a,b", "the delimiter"), (.tab, "a\tb", "the delimiter"),
        (.pipe, "a|b", "the delimiter"), (.comma, "one\ntwo", "a line break"),
        (.comma, "one\rtwo", "a carriage return"),
    ])
    func aValueThatWouldSplitTheRowIsRefused(delimiter: CSVFormat.Delimiter, value: String, reason: String) throws {
        let encoder = CSVEncoder(format: CSVFormat(delimiter: delimiter, quoting: .none), columns: ["email", "note"])
        var out = Array("kept\n".utf8)
        let error = try #require(throws: CSVEncodingError.self) {
            try encoder.appendRow([.text("a@x.io"), .text(value)], to: &out)
        }
        #expect(error == CSVEncodingError(column: 1, columnName: "note", reason: reason))
        #expect(error.description.hasPrefix("the value in column 'note' holds \(reason)"))
        // Nothing of the refused row is left in the buffer.
        #expect(String(decoding: out, as: UTF8.self) == "kept\n")
        #expect(encoder.unwritableReason(value) == reason)
    }

    @Test func whatNeedsNoProtectionIsWrittenAsItIs() throws {
        let encoder = CSVEncoder(format: CSVFormat(quoting: .none))
        var out: [UInt8] = []
        try encoder.appendRow(
            [.text(#"say "hi""#), .text(" padded "), .text(String(repeating: "x", count: 40))], to: &out)
        #expect(
            String(decoding: out, as: UTF8.self) == #"say "hi", padded ,"# + String(repeating: "x", count: 40) + "\n")
        #expect(encoder.unwritableReason("plain text") == nil)
    }

    @Test func otherFormatsWriteEveryValue() throws {
        for format in [CSVFormat.csv, CSVFormat(quoting: .none, escape: .backslash), CSVFormat(quoting: .all)] {
            var out: [UInt8] = []
            try CSVEncoder(format: format).appendRow([.text("a,b\nc")], to: &out)
            #expect(!out.isEmpty)
            #expect(CSVEncoder(format: format).unwritableReason("a,b\nc") == nil)
        }
    }

    @Test func anUnknownColumnIsNamedByPosition() throws {
        let encoder = CSVEncoder(format: CSVFormat(quoting: .none))
        var out: [UInt8] = []
        let error = try #require(throws: CSVEncodingError.self) {
            try encoder.appendRow([.text("a"), .null, .text("x,y")], to: &out)
        }
        #expect(error.columnDescription == "column 3")
    }

    @Test func keptNumberLiteralsAreWrittenAsWritten() {
        #expect(CSVField(JSONValue.number("12345678901234567890")) == .text("12345678901234567890"))
        #expect(CSVField(JSONValue.number("1e400")) == .text("1e400"))
    }
}
