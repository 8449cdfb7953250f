import Segmentation

/// Turns CSV lines into profile documents. The header names a dotted path per
/// column; values are typed so `loyalty.points` compares as a number in PQL.
///
/// Typing: `true`/`false` are booleans; a JSON number literal is a number, kept
/// exactly as written (see `JSONValue.number(literal:)`); an empty field means
/// the field is absent; everything else, `007` and `1.` included, is text.
/// Quoted fields follow RFC 4180 (`""` inside quotes) but must end on the line
/// they start. A line that cannot be read exactly is rejected, never repaired.
struct CSVRecordDecoder {
    private(set) var columns: [[String]] = []
    private(set) var hasHeader = false
    let delimiter: UInt8 = UInt8(ascii: ",")

    /// Why a line could not be decoded; a bad header makes every row of its file unreadable.
    enum Failure: Error {
        case row(RejectReason)
        case header(RejectReason)
    }

    /// Reads the header on the first call, then one record per call.
    mutating func decode(_ line: UnsafeRawBufferPointer) -> Result<JSONValue?, Failure> {
        let fields: [String]
        switch Self.split(line, delimiter: delimiter) {
        case .success(let split): fields = split
        case .failure(let reason): return .failure(hasHeader ? .row(reason) : .header(reason))
        }
        guard hasHeader else {
            if let problem = Self.headerProblem(fields) {
                return .failure(.header(RejectReason(problem)))
            }
            columns = fields.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
            hasHeader = true
            return .success(nil)
        }
        guard fields.count == columns.count else {
            return .failure(.row(RejectReason("expected \(columns.count) columns, found \(fields.count)")))
        }
        var document: [String: JSONValue] = [:]
        for (path, text) in zip(columns, fields) {
            guard let value = Self.typed(text) else { continue }
            JSONValue.insert(value, at: path[...], into: &document)
        }
        return .success(.object(document))
    }

    /// A header whose columns would overwrite each other is refused: with `a` and `a.b`, `a`
    /// cannot be both a value and an object, and a repeated column would silently drop one of two values.
    static func headerProblem(_ names: [String]) -> String? {
        var seen: [String: Int] = [:]
        var prefixes: [String: String] = [:]
        for (index, name) in names.enumerated() {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            if parts.contains(where: \.isEmpty) {
                return "header column \(index + 1) \"\(name)\" is not a dotted field path"
            }
            if seen.updateValue(index, forKey: name) != nil {
                return "the header repeats the column \"\(name)\""
            }
            for end in 1..<parts.count {
                let prefix = parts[..<end].joined(separator: ".")
                if prefixes[prefix] == nil { prefixes[prefix] = name }
            }
        }
        for name in names {
            if let longer = prefixes[name] {
                return
                    "the header columns \"\(name)\" and \"\(longer)\" conflict: \(name) cannot be both a value and an object"
            }
        }
        return nil
    }

    static func typed(_ text: String) -> JSONValue? {
        if text.isEmpty { return nil }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        return JSONValue.number(literal: text) ?? .string(text)
    }

    /// Splits one CSV line into fields, refusing what it would otherwise have to guess at.
    static func split(_ line: UnsafeRawBufferPointer, delimiter: UInt8) -> Result<[String], RejectReason> {
        let quote = UInt8(ascii: "\"")
        var fields: [String] = []
        var index = 0
        let count = line.count
        func text(_ bytes: UnsafeRawBufferPointer) -> Result<String, RejectReason> {
            guard let string = String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
                return .failure(RejectReason("invalid UTF-8 in column \(fields.count + 1)"))
            }
            return .success(string)
        }
        while true {
            if index < count, line[index] == quote {
                var bytes: [UInt8] = []
                index += 1
                var closed = false
                while index < count {
                    let byte = line[index]
                    if byte == quote {
                        if index + 1 < count, line[index + 1] == quote {
                            bytes.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    bytes.append(byte)
                    index += 1
                }
                guard closed else { return .failure(RejectReason("unterminated quoted field")) }
                if index < count, line[index] != delimiter {
                    return .failure(RejectReason("text after the closing quote in column \(fields.count + 1)"))
                }
                switch bytes.withUnsafeBytes({ text($0) }) {
                case .success(let field): fields.append(field)
                case .failure(let reason): return .failure(reason)
                }
            } else {
                let fieldStart = index
                while index < count, line[index] != delimiter { index += 1 }
                switch text(UnsafeRawBufferPointer(rebasing: line[fieldStart..<index])) {
                case .success(let field): fields.append(field)
                case .failure(let reason): return .failure(reason)
                }
            }
            if index >= count { return .success(fields) }
            index += 1  // the delimiter
        }
    }
}
