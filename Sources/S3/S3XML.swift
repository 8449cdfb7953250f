/// A small XML reader for S3's responses.
///
/// S3 answers with flat, namespace-light documents; a tree of elements with
/// their text is all Ferry needs, and it avoids a dependency on libxml2.
public struct S3XML: Sendable {
    public var name: String
    public var text: String
    public var children: [S3XML]

    public func child(_ name: String) -> S3XML? { children.first { $0.name == name } }
    public func all(_ name: String) -> [S3XML] { children.filter { $0.name == name } }
    public func string(_ name: String) -> String? { child(name)?.text }

    /// Parses a document; returns nil for anything that is not well-formed enough to read.
    public static func parse(_ bytes: [UInt8]) -> S3XML? {
        var reader = Reader(bytes: bytes)
        return reader.document()
    }

    public static func parse(_ text: String) -> S3XML? { parse(Array(text.utf8)) }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func document() -> S3XML? {
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { return nil }
                if peek("<?") || peek("<!") {
                    guard skip(past: ">") else { return nil }
                    continue
                }
                return element()
            }
        }

        mutating func element() -> S3XML? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { return nil }
            index += 1
            let nameStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">"),
                bytes[index] != UInt8(ascii: "/")
            {
                index += 1
            }
            var name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            if let colon = name.lastIndex(of: ":") { name = String(name[name.index(after: colon)...]) }
            // Attributes (xmlns) carry nothing Ferry reads; skip to the end of the tag.
            var selfClosing = false
            while index < bytes.count, bytes[index] != UInt8(ascii: ">") {
                if bytes[index] == UInt8(ascii: "/") {
                    selfClosing = true
                } else if !isSpace(bytes[index]) {
                    selfClosing = false
                }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            var node = S3XML(name: name, text: "", children: [])
            if selfClosing { return node }
            var text: [UInt8] = []
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "<") {
                    if peek("</") {
                        guard skip(past: ">") else { return nil }
                        node.text = Self.unescape(text)
                        return node
                    }
                    if peek("<![CDATA[") {
                        index += 9
                        while index < bytes.count, !peek("]]>") {
                            text.append(bytes[index])
                            index += 1
                        }
                        index += 3
                        continue
                    }
                    if peek("<!--") || peek("<?") {
                        guard skip(past: ">") else { return nil }
                        continue
                    }
                    guard let child = element() else { return nil }
                    node.children.append(child)
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
            return nil
        }

        func peek(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return index + u.count <= bytes.count && Array(bytes[index..<index + u.count]) == u
        }

        mutating func skip(past terminator: Character) -> Bool {
            let t = terminator.asciiValue!
            while index < bytes.count, bytes[index] != t { index += 1 }
            guard index < bytes.count else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() { while index < bytes.count, isSpace(bytes[index]) { index += 1 } }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        static func unescape(_ bytes: [UInt8]) -> String {
            let s = String(decoding: bytes, as: UTF8.self)
            guard s.contains("&") else { return s }
            var out = ""
            var rest = Substring(s)
            while let amp = rest.firstIndex(of: "&") {
                out += rest[..<amp]
                guard let semi = rest[amp...].firstIndex(of: ";") else { break }
                let entity = rest[rest.index(after: amp)..<semi]
                switch entity {
                case "amp": out += "&"
                case "lt": out += "<"
                case "gt": out += ">"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    if entity.hasPrefix("#x"), let v = UInt32(entity.dropFirst(2), radix: 16), let u = Unicode.Scalar(v)
                    {
                        out.unicodeScalars.append(u)
                    } else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()), let u = Unicode.Scalar(v) {
                        out.unicodeScalars.append(u)
                    } else {
                        out += "&\(entity);"
                    }
                }
                rest = rest[rest.index(after: semi)...]
            }
            return out + rest
        }
    }
}

extension String {
    /// Escapes text for an XML element body.
    var xmlEscaped: String {
        var out = ""
        for ch in self {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}
