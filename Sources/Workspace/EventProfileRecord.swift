import Segmentation

/// The profile record made for an event whose identities no profile holds.
public enum EventProfileRecord {
    /// A JSON Lines profile holding the identities, the first as primary.
    public static func line(_ identities: [EventIdentity]) -> String {
        var byNamespace: [String: [JSONValue]] = [:]
        for (index, identity) in identities.enumerated() {
            var entry: [String: JSONValue] = ["id": .string(identity.id)]
            if index == 0 { entry["primary"] = .bool(true) }
            byNamespace[identity.namespace, default: []].append(.object(entry))
        }
        return JSONValue.object(["identityMap": .object(byNamespace.mapValues { .array($0) })]).serialized()
    }
}
