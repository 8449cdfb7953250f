import Foundation
import PostgresNIO
import Workspace

extension PostgresWorkspace {
    /// The inferred schema, counted over every profile inside PostgreSQL:
    /// the paths are the leaves SQLite gives typed columns (scalars, arrays,
    /// empty objects; not inside arrays), and each path's counts include the
    /// profiles where it holds an object, as SQLite's `json_type` of the
    /// column does. Type names are SQLite's, so both backends print alike.
    public func profileSchema() async throws -> [ProfileField] {
        let rows = try await withConnection { connection in
            try await connection.query(
                """
                WITH RECURSIVE walk(keys, value) AS (
                    SELECT ARRAY[e.key], e.value FROM profile p, jsonb_each(p.doc) e
                    WHERE jsonb_typeof(p.doc) = 'object'
                    UNION ALL
                    SELECT w.keys || e.key, e.value FROM walk w, jsonb_each(w.value) e
                    WHERE jsonb_typeof(w.value) = 'object'
                )
                SELECT keys, \(unescaped: Self.sqliteTypeName("value")) AS type,
                       bool_or(jsonb_typeof(value) <> 'object' OR value = '{}'::jsonb) AS leaf, count(*)
                FROM walk GROUP BY 1, 2
                """, logger: self.logger
            ).collect().map { try $0.decode(([String], String, Bool, Int).self) }
        }
        var types: [[String]: [ProfileField.TypeCount]] = [:]
        var leaves: Set<[String]> = []
        for (keys, type, leaf, count) in rows {
            types[keys, default: []].append(.make(type: type, profiles: count))
            if leaf { leaves.insert(keys) }
        }
        return leaves.map { keys in
            let counts = types[keys, default: []].sorted { ($0.profiles, $1.type) > ($1.profiles, $0.type) }
            return ProfileField.make(keys: keys, types: counts, profiles: counts.reduce(0) { $0 + $1.profiles })
        }
        .sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
    }

    /// SQL naming a jsonb value's type as SQLite's `json_type` does: `integer`
    /// for a number written without a fraction or exponent, `true`/`false`.
    /// jsonb keeps a number's scale and prints a fraction exactly when it has
    /// one, so a scale of 0 is the integer test, without text or a regex per row.
    static func sqliteTypeName(_ value: String) -> String {
        """
        CASE jsonb_typeof(\(value)) WHEN 'string' THEN 'text' \
        WHEN 'number' THEN (CASE WHEN scale((\(value))::numeric) = 0 THEN 'integer' ELSE 'real' END) \
        WHEN 'boolean' THEN (\(value))::text ELSE jsonb_typeof(\(value)) END
        """
    }
}
