import Foundation
import PostgresNIO
import Segmentation
import Workspace

/// Reads one segment's members for an export, a page at a time in pid
/// order; each field is taken out of the jsonb document by PostgreSQL and
/// only that small value is parsed here.
struct PostgresExportRowReader: ExportRowPages {
    let workspace: PostgresWorkspace
    let sid: Int64
    let paths: [[String]]
    let selection: MemberSelection

    func page(afterPid: Int64, limit: Int) async throws -> [ExportRow] {
        var bindings = PostgresBindings()
        try bindings.append(sid)
        var columns = ""
        for path in paths {
            try bindings.append(path)
            columns += ", (p.doc #> $\(bindings.count))::text"
        }
        let condition = try PostgresWorkspace.membershipCondition(selection, &bindings)
        // The bound is stated on both sides of the join: with fresh statistics PostgreSQL
        // merge-joins, and would otherwise read the profiles from the first pid on every page.
        try bindings.append(afterPid)
        let after = bindings.count
        try bindings.append(limit)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT m.pid, m.status, m.last_qualification_time\(columns)
                FROM membership m JOIN profile p ON p.pid = m.pid
                WHERE m.sid = $1 AND \(condition) AND m.pid > $\(after) AND p.pid > $\(after)
                ORDER BY m.pid LIMIT $\(after + 1)
                """, binds: bindings)
        let count = paths.count
        return try await workspace.withConnection { connection in
            try await connection.query(query, logger: workspace.logger).collect().map { row in
                let cells = row.makeRandomAccess()
                var values: [JSONValue] = []
                values.reserveCapacity(count)
                for index in 0..<count {
                    let text = try cells[3 + index].decode(String?.self)
                    values.append(try text.map { try JSONValue.parse($0) } ?? .null)
                }
                return ExportRow.make(
                    pid: try cells[0].decode(Int64.self), status: try cells[1].decode(String.self),
                    qualifiedAt: try cells[2].decode(Double.self), values: values)
            }
        }
    }
}

extension PostgresWorkspace: ExportRowStore {
    public func exportRows(segmentSid sid: Int64, fields: [MemberField], selection: MemberSelection) async throws
        -> any ExportRowPages
    {
        PostgresExportRowReader(workspace: self, sid: sid, paths: fields.map(Self.path), selection: selection)
    }

    /// The keys `#>` follows to a field; an identity is the first id of its namespace.
    static func path(_ field: MemberField) -> [String] {
        switch field {
        case .attribute(let keys): keys
        case .identity(let namespace): ["identityMap", namespace, "0", "id"]
        case .identityList(let namespace): ["identityMap", namespace]
        }
    }

    /// The condition on `membership m` that selects these members, binding its values.
    static func membershipCondition(_ selection: MemberSelection, _ bindings: inout PostgresBindings) throws
        -> String
    {
        switch selection {
        case .realized:
            return "m.status = 'realized'"
        case .changedSince(let evaluationId, let includingExited):
            try bindings.append(evaluationId)
            return "m.changed_in_evaluation > $\(bindings.count)"
                + (includingExited ? "" : " AND m.status = 'realized'")
        }
    }

    public func dedupWinners(
        segmentSid sid: Int64, keys: [MemberValue], mandatory: [MemberField], selection: MemberSelection
    ) async throws -> [Int64] {
        var bindings = PostgresBindings()
        try bindings.append(sid)
        var values: [String] = []
        for key in keys {
            switch key {
            case .status:
                values.append("m.status")
            case .qualificationTime:
                values.append("m.last_qualification_time::text")
            case .field(let field):
                try bindings.append(Self.path(field))
                // A JSON null counts as no value, as SQLite's json_extract has it.
                values.append("NULLIF(p.doc #> $\(bindings.count), 'null'::jsonb)::text")
            }
        }
        var required = ""
        for field in mandatory {
            try bindings.append(Self.path(field))
            required += " AND COALESCE(jsonb_typeof(p.doc #> $\(bindings.count)) <> 'null', false)"
        }
        let condition = try Self.membershipCondition(selection, &bindings)
        let selected = values.enumerated().map { "\($1) AS k\($0)" }.joined(separator: ", ")
        let allNull = values.indices.map { "k\($0) IS NULL" }.joined(separator: " AND ")
        let partition = values.indices.map { "k\($0)" }.joined(separator: ", ")
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT pid FROM (
                    SELECT pid, \(values.indices.map { "k\($0)" }.joined(separator: ", ")),
                           ROW_NUMBER() OVER (PARTITION BY \(partition)
                                              ORDER BY updated_at DESC, namespace, identity) AS rn
                    FROM (
                        SELECT m.pid AS pid, p.updated_at, p.namespace, p.identity, \(selected)
                        FROM membership m JOIN profile p ON p.pid = m.pid
                        WHERE m.sid = $1 AND \(condition)\(required)
                    ) keyed
                ) ranked WHERE rn = 1 OR (\(allNull))
                ORDER BY pid
                """, binds: bindings)
        return try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect().map { try $0.decode(Int64.self) }
        }
    }

    public func identityDedupLosers(
        segmentSid sid: Int64, namespace: String, mandatory: [MemberField], selection: MemberSelection
    ) async throws -> Set<MemberIdentity> {
        var bindings = PostgresBindings()
        try bindings.append(sid)
        try bindings.append(Self.path(.identityList(namespace: namespace)))
        var required = ""
        for field in mandatory {
            try bindings.append(Self.path(field))
            required += " AND COALESCE(jsonb_typeof(p.doc #> $\(bindings.count)) <> 'null', false)"
        }
        let condition = try Self.membershipCondition(selection, &bindings)
        let key =
            IdentityKey.isEmail(namespace) ? #"lower(btrim(e.value ->> 'id', E' \t\n\r\f\v'))"# : "(e.value ->> 'id')"
        // DISTINCT first: one profile naming an id twice (`Ann@x.io`, `ann@x.io`) still holds it once.
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT pid, k FROM (
                    SELECT pid, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY updated_at DESC, namespace, identity) AS rn
                    FROM (
                        SELECT DISTINCT m.pid AS pid, p.updated_at, p.namespace, p.identity, \(key) AS k
                        FROM membership m JOIN profile p ON p.pid = m.pid
                        CROSS JOIN LATERAL jsonb_array_elements(
                            CASE WHEN jsonb_typeof(p.doc #> $2) = 'array' THEN p.doc #> $2 ELSE '[]'::jsonb END) e
                        WHERE m.sid = $1 AND \(condition)\(required) AND jsonb_typeof(e.value -> 'id') = 'string'
                    ) keyed
                ) ranked WHERE rn > 1
                """, binds: bindings)
        return try await withConnection { connection in
            Set(
                try await connection.query(query, logger: self.logger).collect().map { row in
                    let (pid, id) = try row.decode((Int64, String).self)
                    return MemberIdentity(pid: pid, id: id)
                })
        }
    }

    public func qualifiedIdentity(ofPid pid: Int64) async -> String? {
        try? await withConnection { connection in
            guard
                let row = try await connection.query(
                    "SELECT namespace, identity FROM profile WHERE pid = \(pid)", logger: self.logger
                ).collect().first
            else { return nil }
            let (namespace, identity) = try row.decode((String, String).self)
            return "\(namespace):\(identity)"
        }
    }

    /// The paths of a sample of profiles and the types seen at each, in
    /// SQLite's `json_type` names, so typed formats lay out their columns alike.
    public func profilePaths() async throws -> [ProfileField] {
        var types: [[String]: Set<String>] = [:]
        func walk(_ value: JSONValue, _ keys: [String]) {
            if !keys.isEmpty { types[keys, default: []].insert(Self.typeName(value)) }
            if case .object(let members) = value {
                for (key, member) in members { walk(member, keys + [key]) }
            }
        }
        for document in try await sampledDocuments() { walk(try JSONValue.parse(document), []) }
        return types.map { keys, names in
            ProfileField.make(
                keys: keys, types: names.sorted().map { ProfileField.TypeCount.make(type: $0, profiles: 0) },
                profiles: 0)
        }
        .sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int: "integer"
        case .double: "real"
        case .number(let text): text.contains(where: { ".eE".contains($0) }) ? "real" : "integer"
        case .string: "text"
        case .array: "array"
        case .object: "object"
        }
    }
}
