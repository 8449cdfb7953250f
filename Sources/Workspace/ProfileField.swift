/// One attribute path of the inferred profile schema.
public struct ProfileField: Sendable, Hashable, Codable {
    /// The path's keys, outermost first.
    public var keys: [String]
    /// How many profiles hold each JSON type at the path (`text`, `integer`,
    /// `real`, `true`, `false`, `null`, `array`, `object`), most first.
    public var types: [TypeCount]
    /// How many profiles have the path at all.
    public var profiles: Int

    public struct TypeCount: Sendable, Hashable, Codable {
        public var type: String
        public var profiles: Int
    }

    /// The path as PQL writes it.
    public var path: String { keys.joined(separator: ".") }

    /// One word for the path's type: the JSON type, with `boolean` for true and
    /// false and `number` for integers mixed with reals; `mixed` otherwise.
    public var kind: String {
        let names = Set(
            types.filter { $0.type != "null" }.map { type -> String in
                switch type.type {
                case "true", "false": "boolean"
                case "integer", "real": "number"
                default: type.type
                }
            })
        if names.count == 1, let only = names.first {
            if only == "number" {
                return types.contains { $0.type == "real" }
                    ? (types.contains { $0.type == "integer" } ? "number" : "real") : "integer"
            }
            return only
        }
        return names.isEmpty ? "null" : "mixed"
    }
}
