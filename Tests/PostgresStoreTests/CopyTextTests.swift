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

    /// Each special byte, and bytes next to them in value (0x0E, `[`, `]`), at
    /// every place of texts longer than the eight bytes read at once.
    @Test func specialBytesAreFoundAtEveryPlace() {
        for special: UInt8 in [0x5C, 0x09, 0x0A, 0x0D, 0x0B, 0x0E, 0x5B, 0x5D, 0x00, 0x7F, 0xC3] {
            for length in [1, 7, 8, 9, 15, 16, 17, 33] {
                for at in 0..<length {
                    var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                    bytes[at] = special
                    let text = String(decoding: bytes, as: UTF8.self)
                    var expected = ""
                    for character in text.unicodeScalars {
                        switch character {
                        case "\\": expected += "\\\\"
                        case "\t": expected += "\\t"
                        case "\n": expected += "\\n"
                        case "\r": expected += "\\r"
                        default: expected.unicodeScalars.append(character)
                        }
                    }
                    #expect(Self.row([text]) == expected + "\n", "\(special) at \(at) of \(length)")
                }
            }
        }
    }
}
