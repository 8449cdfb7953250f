import Segmentation

/// Finds the key a profile is stored under.
///
/// From `identityMap`: the id flagged `"primary": true`; when none is flagged, the
/// first id of the alphabetically first namespace (JSON objects have no reliable
/// order, so "first" has to be defined by name to be stable across runs).
/// With `--namespace NS --identity-field PATH`: the value at PATH, in NS.
enum PrimaryIdentity {
    static func fromIdentityMap(_ doc: JSONValue) -> (namespace: String, id: String)? {
        guard case .object(let top) = doc, case .object(let map)? = top["identityMap"] else {
            return nil
        }
        var fallback: (String, String)?
        for namespace in map.keys.sorted() {
            guard case .array(let entries)? = map[namespace] else { continue }
            for entry in entries {
                guard case .object(let fields) = entry, let id = identityText(fields["id"]) else { continue }
                if fields["primary"] == .bool(true) {
                    return (namespace, id)
                }
                if fallback == nil {
                    fallback = (namespace, id)
                }
            }
        }
        return fallback
    }

    static func fromField(_ doc: JSONValue, path: [String]) -> String? {
        identityText(doc[path: path])
    }

    /// Identities are text; an integer id (a CRM number) is accepted as its digits.
    static func identityText(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty: text
        case .int(let number): String(number)
        default: nil
        }
    }

    /// Adds `identityMap.NS = [{id, primary: true}]` to a record that has no identityMap,
    /// so exports can map `identityMap.NS` whichever way the profile arrived.
    static func addingIdentityMap(to doc: JSONValue, namespace: String, id: String) -> JSONValue {
        guard case .object(var top) = doc, top["identityMap"] == nil else { return doc }
        top["identityMap"] = .object([namespace: .array([.object(["id": .string(id), "primary": .bool(true)])])])
        return .object(top)
    }
}
