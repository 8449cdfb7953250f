/// A profile document value. Objects keep keys in a dictionary; serialization sorts keys so output is deterministic.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
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
        case .int, .double: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
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
