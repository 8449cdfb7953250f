/// A cursor over UTF-8 bytes that reads one JSON document.
///
/// Hand-written rather than `JSONSerialization` because profile import is bound by
/// parse speed, and because integers must stay exact `Int64`s.
struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    /// Import refuses `{"a":1,"a":2}` rather than guess which value was meant; documents already
    /// stored are read leniently (the last value wins), so older workspaces stay readable.
    private let rejectsDuplicateKeys: Bool
    /// Deep nesting would otherwise overflow the stack of the recursive reader.
    private static let maximumDepth = 512

    init(_ bytes: UnsafeRawBufferPointer, rejectsDuplicateKeys: Bool = false) {
        self.bytes = bytes
        self.rejectsDuplicateKeys = rejectsDuplicateKeys
    }

    /// Reads the whole input as one value, allowing only whitespace around it.
    mutating func readDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try readValue()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected \(describe(bytes[index])) after the JSON value") }
        return value
    }

    private mutating func readValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try readWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try readWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try readWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        case let byte: throw failure("unexpected \(describe(byte)), expected a value")
        }
    }

    private mutating func readObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key in object") }
            let keyStart = index
            let key = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("expected ':' after object key") }
            index += 1
            skipWhitespace()
            let value = try readValue()
            if members.updateValue(value, forKey: key) != nil, rejectsDuplicateKeys {
                index = keyStart
                throw failure("duplicate key \"\(key)\" in object")
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default: throw failure("expected ',' or '}' in object")
            }
        }
    }

    private mutating func readArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default: throw failure("expected ',' or ']' in array")
            }
        }
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > Self.maximumDepth { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
    }

    /// Reads a string starting at its opening quote; escape-free strings are decoded straight from the input.
    private mutating func readString() throws(JSONParseError) -> String {
        let start = index + 1
        var cursor = start
        var isASCII = true
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\"") {
                index = cursor + 1
                return try decode(UnsafeRawBufferPointer(rebasing: bytes[start..<cursor]), isASCII: isASCII, at: start)
            }
            if byte == UInt8(ascii: "\\") {
                index = cursor
                return try readEscapedString(prefix: UnsafeRawBufferPointer(rebasing: bytes[start..<cursor]))
            }
            if byte < 0x20 {
                index = cursor
                throw failure("control character in string must be escaped")
            }
            if byte >= 0x80 { isASCII = false }
            cursor += 1
        }
        index = start - 1
        throw failure("unterminated string")
    }

    private mutating func readEscapedString(prefix: UnsafeRawBufferPointer) throws(JSONParseError) -> String {
        var buffer = Array(prefix)
        let stringStart = index - prefix.count
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let decoded = buffer.withUnsafeBytes { raw in
                    Result { () throws(JSONParseError) in try decode(raw, isASCII: false, at: stringStart) }
                }
                return try decoded.get()
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &buffer)
                default:
                    index -= 2
                    throw failure("invalid escape \(describe(escape)) in string")
                }
            case 0..<0x20:
                throw failure("control character in string must be escaped")
            default:
                buffer.append(byte)
                index += 1
            }
        }
        index = stringStart - 1
        throw failure("unterminated string")
    }

    /// Reads the four hex digits after `\u`, pairing UTF-16 surrogates into one scalar.
    private mutating func appendUnicodeEscape(to buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index - 2
        var unit = try readHex4()
        if (0xD800..<0xDC00).contains(unit) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                index = escapeStart
                throw failure("unpaired UTF-16 surrogate in \\u escape")
            }
            index += 2
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else {
                index = escapeStart
                throw failure("unpaired UTF-16 surrogate in \\u escape")
            }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(unit) {
            index = escapeStart
            throw failure("unpaired UTF-16 surrogate in \\u escape")
        }
        // Every value left is a valid scalar: surrogates were paired or rejected above.
        buffer.append(contentsOf: UTF8.encode(Unicode.Scalar(unit)!)!)
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func decode(_ raw: UnsafeRawBufferPointer, isASCII: Bool, at offset: Int) throws(JSONParseError) -> String {
        let units = raw.assumingMemoryBound(to: UInt8.self)
        if isASCII { return String(decoding: units, as: UTF8.self) }
        guard let string = String(validating: units, as: UTF8.self) else {
            throw JSONParseError(offset: offset, message: "invalid UTF-8 in string")
        }
        return string
    }

    /// Reads an RFC 8259 number; integers that fit stay `Int64`, a literal a `Double` spells the same way
    /// becomes one, and any other literal is kept as text so no digit is lost.
    private mutating func readNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected a digit in number") }
        // Accumulating negatively reaches Int64.min without overflowing.
        var accumulated: Int64 = 0
        var overflowed = false
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("leading zeros are not allowed in numbers") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                let digit = Int64(bytes[index] - UInt8(ascii: "0"))
                if !overflowed {
                    let (times10, o1) = accumulated.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(digit)
                    if o1 || o2 { overflowed = true } else { accumulated = next }
                }
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw failure("expected a digit after '.' in number")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected a digit in exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if isInteger, !overflowed {
            // -0 is kept as written: as an Int64 it would come back as 0.
            if negative { return accumulated == 0 ? .number("-0") : .int(accumulated) }
            if accumulated != .min { return .int(-accumulated) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if let value = Double(text), value.isFinite, JSONValue.format(value) == text {
            return .double(value)
        }
        return .number(text)
    }

    private mutating func readWord(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            memcmpEqual(word.utf8Start, offset: index, count: count)
        else { throw failure("unexpected \(describe(bytes[index])), expected a value") }
        index += count
    }

    private func memcmpEqual(_ expected: UnsafePointer<UInt8>, offset: Int, count: Int) -> Bool {
        for i in 0..<count where bytes[offset + i] != expected[i] { return false }
        return true
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private func failure(_ message: String) -> JSONParseError {
        JSONParseError(offset: index, message: message)
    }
}
