import NIOCore
import Testing

@testable import PostgresStore

/// COPY's text format as the import writes it: only backslash, tab, newline
/// and carriage return are escaped, wherever they fall in a field.
@Suite struct CopyTextTests {
    static func row(_ fields: [String]) -> String {
        var buffer = ByteBuffer()
        PostgresWorkspace.writeCopyRow(fields, to: &buffer)
        return buffer.readString(length: buffer.readableBytes) ?? ""
    }

    @Test func specialBytesAreEscapedAndTheRestCopiedWhole() {
        #expect(Self.row(["1", "plain ünï 김", ""]) == "1\tplain ünï 김\t\n")
        #expect(Self.row([#"{"a":"x\"y"}"#]) == #"{"a":"x\\"y"}"# + "\n")
        #expect(Self.row(["\\start", "end\\", "a\tb\nc\rd"]) == "\\\\start\tend\\\\\ta\\tb\\nc\\rd\n")
        #expect(Self.row(["\n\n", "\t"]) == "\\n\\n\t\\t\n")
    }

    @Test func digitsAreWrittenAsStringSpellsThem() {
        for value: Int64 in [0, 7, -7, 10, 1_000_000, 123_456_789_012, .max, .min, .max - 1, .min + 1] {
            var buffer = ByteBuffer()
            BulkLoad.writeDigits(value, to: &buffer)
            #expect(buffer.readString(length: buffer.readableBytes) == String(value))
        }
    }
}
