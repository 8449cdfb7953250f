import Segmentation

extension JSONValue {
    /// Sets `value` at a path of object keys, creating the objects on the way.
    static func insert(_ value: JSONValue, at path: ArraySlice<String>, into object: inout [String: JSONValue]) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if rest.isEmpty {
            object[head] = value
            return
        }
        var child: [String: JSONValue] = [:]
        // Taken out first so the nested dictionary is uniquely referenced and
        // mutated in place rather than copied.
        if case .object(let existing)? = object.removeValue(forKey: head) {
            child = existing
        }
        insert(value, at: rest, into: &child)
        object[head] = .object(child)
    }
}
