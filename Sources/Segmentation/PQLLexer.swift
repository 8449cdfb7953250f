/// A value-type cursor over PQL source bytes that hands out one token per `mutating` read.
///
/// Copying the lexer is how the parser looks ahead without consuming input.
struct PQLLexer {
    let text: String
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    /// The position of the next unread byte; after the last token this is the end of input.
    var position: PQLPosition { position(of: index) }

    mutating func next() throws(PQLError) -> PQLToken {
        skipWhitespace()
        let start = position
        guard index < bytes.count else { return PQLToken(kind: .end, position: start) }
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return PQLToken(kind: .string(try readString(start: start, quote: byte)), position: start)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return PQLToken(kind: try readNumber(start: start), position: start)
        case UInt8(ascii: "="):
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: ">") {
                index += 1
                return PQLToken(kind: .symbol("=>"), position: start)
            }
            return PQLToken(kind: .symbol("="), position: start)
        case _ where isIdentifierStart(byte):
            let begin = index
            while index < bytes.count, isIdentifierStart(bytes[index]) || isDigit(at: index) { index += 1 }
            return PQLToken(kind: .identifier(String(decoding: bytes[begin..<index], as: UTF8.self)), position: start)
        case UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="):
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "="), byte != UInt8(ascii: "=") {
                index += 1
                return PQLToken(
                    kind: .symbol(String(decoding: [byte, UInt8(ascii: "=")], as: UTF8.self)), position: start)
            }
            return PQLToken(kind: .symbol(String(decoding: [byte], as: UTF8.self)), position: start)
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"),
            UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: ":"), UInt8(ascii: "^"):
            index += 1
            return PQLToken(kind: .symbol(String(decoding: [byte], as: UTF8.self)), position: start)
        default:
            let character = String(decoding: bytes[index...], as: UTF8.self).first.map(String.init) ?? "?"
            throw PQLError("unexpected character '\(character)'", at: start, in: text)
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    /// Reads a string in double or single quotes with JSON-style backslash escapes;
    /// `\'` escapes a single quote, and any other escaped character keeps its
    /// backslash, so regular expressions like `"@(\w+)"` read as written.
    private mutating func readString(start: PQLPosition, quote: UInt8) throws(PQLError) -> String {
        index += 1
        var buffer: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case quote:
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\n"):
                throw PQLError("unterminated string", at: start, in: text)
            case UInt8(ascii: "\\"):
                let escapePosition = position
                index += 1
                guard index < bytes.count else { throw PQLError("unterminated string", at: start, in: text) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "u"):
                    guard let scalar = readHexScalar() else {
                        throw PQLError(
                            "expected four hex digits of a unicode scalar after '\\u'", at: escapePosition, in: text)
                    }
                    buffer.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    index -= 1
                    buffer.append(UInt8(ascii: "\\"))
                }
            default:
                buffer.append(byte)
                index += 1
            }
        }
        throw PQLError("unterminated string", at: start, in: text)
    }

    private mutating func readHexScalar() -> Unicode.Scalar? {
        guard index + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(value)
        else { return nil }
        index += 4
        return scalar
    }

    private mutating func readNumber(start: PQLPosition) throws(PQLError) -> PQLToken.Kind {
        let begin = index
        while isDigit(at: index) { index += 1 }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "."), isDigit(at: index + 1) {
            isInteger = false
            index += 1
            while isDigit(at: index) { index += 1 }
        }
        let literal = String(decoding: bytes[begin..<index], as: UTF8.self)
        if isInteger {
            guard let value = Int64(literal) else {
                throw PQLError("integer \(literal) is out of range", at: start, in: text)
            }
            return .integer(value)
        }
        return .double(Double(literal)!)
    }

    private func isDigit(at offset: Int) -> Bool {
        offset < bytes.count && bytes[offset] &- UInt8(ascii: "0") < 10
    }

    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
            || byte == UInt8(ascii: "@")
    }

    private func position(of offset: Int) -> PQLPosition {
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return PQLPosition(line: line, column: column)
    }
}
