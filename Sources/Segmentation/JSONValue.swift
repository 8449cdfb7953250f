/// A profile document value. Objects keep keys in a dictionary; serialization sorts keys so output is deterministic.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// A number kept as its literal text because neither `Int64` nor `Double` holds it as written:
    /// `12345678901234567890`, `1e400`, `1.50`. Storage and export write the text unchanged;
    /// comparisons use `doubleValue`, the nearest `Double`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The JSON kind of this value; integers and doubles are both `.number`.
    public var kind: JSONValueKind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int, .double, .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// The nearest `Double` of a number (infinite beyond its range); nil for anything else.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        case .number(let text): Double(text)
        default: nil
        }
    }

    /// The value a number literal stands for, without losing a digit: an `Int64` when it is an integer
    /// that fits, a `Double` when the double's own spelling is the literal, else the literal itself.
    /// Other text is nil.
    public static func number(literal text: String) -> JSONValue? {
        guard isNumberLiteral(text.utf8) else { return nil }
        // `-0` parses as the Int64 0 but would be written back as `0`.
        if let integer = Int64(text), String(integer) == text { return .int(integer) }
        if let double = Double(text), double.isFinite, format(double) == text { return .double(double) }
        return .number(text)
    }

    /// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isNumberLiteral(_ bytes: String.UTF8View) -> Bool {
        var index = bytes.startIndex
        func digit() -> Bool {
            guard index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                return false
            }
            return true
        }
        func digits() -> Bool {
            guard digit() else { return false }
            while digit() { index = bytes.index(after: index) }
            return true
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index = bytes.index(after: index) }
        guard digit() else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index = bytes.index(after: index)
        } else {
            _ = digits()
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index = bytes.index(after: index)
            guard digits() else { return false }
        }
        if index < bytes.endIndex, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index = bytes.index(after: index)
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index = bytes.index(after: index)
            }
            guard digits() else { return false }
        }
        return index == bytes.endIndex
    }

    /// The value at a path of object keys, or nil when a key is missing or a step is not an object.
    public subscript(path path: [String]) -> JSONValue? {
        var current = self
        for key in path {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// The value at a dotted path such as "person.name.lastName"; nil when missing.
    public func value(atDottedPath dottedPath: String) -> JSONValue? {
        if dottedPath.isEmpty { return self }
        return self[path: dottedPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)]
    }

    /// Deep merge: objects merge recursively, otherwise `newer` wins; used when a re-imported profile updates an existing one.
    public func merging(_ newer: JSONValue) -> JSONValue {
        guard case .object(var merged) = self, case .object(let updates) = newer else { return newer }
        for (key, value) in updates {
            merged[key] = merged[key].map { $0.merging(value) } ?? value
        }
        return .object(merged)
    }
}
