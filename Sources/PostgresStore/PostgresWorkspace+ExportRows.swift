import Foundation
import PostgresNIO
import Segmentation
import Workspace

/// Reads one segment's members for an export, a page at a time in pid
/// order, from the member set as it was when the export began; each field is
/// taken out of the jsonb document by PostgreSQL and only that small value is
/// parsed here.
struct PostgresExportRowReader: ExportRowPages {
    let workspace: PostgresWorkspace
    let paths: [[String]]
    let snapshot: MembershipSnapshot
    let exited: MemberBitmap
    let selected: MemberBitmap

    /// Up to `limit` members after `afterPid`; a member whose profile is gone
    /// (merged away since the evaluation) is passed over, not counted.
    func page(afterPid: Int64, limit: Int) async throws -> [ExportRow] {
        var rows: [ExportRow] = []
        var cursor = afterPid
        while rows.count < limit {
            let pids = selected.members(after: cursor, limit: limit - rows.count)
            guard let last = pids.last else { break }
            rows += try await read(pids)
            cursor = last
        }
        return rows
    }

    func read(_ pids: [Int64]) async throws -> [ExportRow] {
        var bindings = PostgresBindings()
        bindings.append(pids)
        var columns = ""
        for path in paths {
            try bindings.append(path)
            columns += ", (p.doc #> $\(bindings.count))::text"
        }
        let query = PostgresQuery(
            unsafeSQL: "SELECT p.pid\(columns) FROM profile p WHERE p.pid = ANY($1) ORDER BY p.pid", binds: bindings)
        let (count, snapshot, exited) = (paths.count, self.snapshot, self.exited)
        return try await workspace.withConnection { connection in
            try await connection.query(query, logger: workspace.logger).collect().compactMap { row in
                let cells = row.makeRandomAccess()
                let pid = try cells[0].decode(Int64.self)
                guard let facts = snapshot.describe(pid, exited: exited) else { return nil }
                var values: [JSONValue] = []
                values.reserveCapacity(count)
                for index in 0..<count {
                    let text = try cells[1 + index].decode(String?.self)
                    values.append(try text.map { try JSONValue.parse($0) } ?? .null)
                }
                return ExportRow.make(
                    pid: pid, status: facts.status.rawValue, qualifiedAt: facts.lastQualificationTime, values: values)
            }
        }
    }
}

extension PostgresWorkspace: ExportRowStore {
    public func exportRows(segmentSid sid: Int64, fields: [MemberField], selection: MemberSelection) async throws
        -> any ExportRowPages
    {
        let snapshot = try await membershipSnapshot(sid: sid)
        let exited = snapshot.exited
        return PostgresExportRowReader(
            workspace: self, paths: fields.map(Self.path), snapshot: snapshot, exited: exited,
            selected: snapshot.selected(selection, exited: exited))
    }

    /// The keys `#>` follows to a field; an identity is the first id of its namespace.
    static func path(_ field: MemberField) -> [String] {
        switch field {
        case .attribute(let keys): keys
        case .identity(let namespace): ["identityMap", namespace, "0", "id"]
        case .identityList(let namespace): ["identityMap", namespace]
        }
    }

    /// The members `selectedMembers` returned, bound as $1-$3, as `m(pid, status, last_qualification_time)`.
    static let selectedMembersTable =
        "unnest($1::bigint[], $2::text[], $3::double precision[]) AS m(pid, status, last_qualification_time)"

    public func dedupWinners(
        segmentSid sid: Int64, keys: [MemberValue], mandatory: [MemberField], selection: MemberSelection
    ) async throws -> [Int64] {
        let members = Self.selectedMembers(try await membershipSnapshot(sid: sid), selection)
        var bindings = PostgresBindings()
        bindings.append(members.pids)
        try bindings.append(members.statuses)
        bindings.append(members.times)
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
                        FROM \(Self.selectedMembersTable) JOIN profile p ON p.pid = m.pid
                        WHERE TRUE\(required)
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
        let members = Self.selectedMembers(try await membershipSnapshot(sid: sid), selection)
        var bindings = PostgresBindings()
        bindings.append(members.pids)
        try bindings.append(members.statuses)
        bindings.append(members.times)
        try bindings.append(Self.path(.identityList(namespace: namespace)))
        var required = ""
        for field in mandatory {
            try bindings.append(Self.path(field))
            required += " AND COALESCE(jsonb_typeof(p.doc #> $\(bindings.count)) <> 'null', false)"
        }
        let key =
            IdentityKey.isEmail(namespace) ? #"lower(btrim(e.value ->> 'id', E' \t\n\r\f\v'))"# : "(e.value ->> 'id')"
        // DISTINCT first: one profile naming an id twice (`Ann@x.io`, `ann@x.io`) still holds it once.
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT pid, k FROM (
                    SELECT pid, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY updated_at DESC, namespace, identity) AS rn
                    FROM (
                        SELECT DISTINCT m.pid AS pid, p.updated_at, p.namespace, p.identity, \(key) AS k
                        FROM \(Self.selectedMembersTable) JOIN profile p ON p.pid = m.pid
                        CROSS JOIN LATERAL jsonb_array_elements(
                            CASE WHEN jsonb_typeof(p.doc #> $4) = 'array' THEN p.doc #> $4 ELSE '[]'::jsonb END) e
                        WHERE jsonb_typeof(e.value -> 'id') = 'string'\(required)
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
