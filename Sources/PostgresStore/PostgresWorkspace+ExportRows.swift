import Foundation
import PostgresNIO
import Segmentation
import Synchronization
import Workspace

/// Reads one segment's members for an export, a page at a time in pid
/// order, from the member set as it was when the export began.
///
/// A field with a typed column is read from `profile_value`: a string from
/// `sN` as it is, anything else as the JSON text of `vN`, in one column, so no
/// document is taken apart per row (the bench's 5 extractions from `doc` cost the server
/// two to three times what reading the columns does). A field without one is
/// taken out of the jsonb document by PostgreSQL. Either way only small
/// values are parsed here.
///
/// A page is read while the caller encodes and uploads the one before: the
/// server's work then runs on another core beside Ferry's instead of after
/// it, which is what a PostgreSQL export waited on that a SQLite one does not.
final class PostgresExportRowReader: ExportRowPages {
    /// How a field comes out of the select: JSON text, or a string marked
    /// by a leading `s` (JSON text never starts with one) and JSON text for
    /// the other types. One column per field: each cell costs the client a
    /// slice, a retain and a release, and a string needs no JSON parse.
    enum Cells: Sendable {
        case json
        case tagged
    }

    let workspace: PostgresWorkspace
    /// The select list after `pid`, and the FROM clause, for `read`.
    let columns: String
    let from: String
    let paths: [[String]]
    let cells: [Cells]
    let snapshot: MembershipSnapshot
    let exited: MemberBitmap
    let selected: MemberBitmap
    /// The page expected next, being read: the pid it follows, its limit, the read.
    private let ahead = Mutex<(afterPid: Int64, limit: Int, read: Task<ExportPage, any Error>)?>(nil)

    init(
        workspace: PostgresWorkspace, fields: [MemberField], typed: [[String]: Int], snapshot: MembershipSnapshot,
        exited: MemberBitmap, selected: MemberBitmap
    ) {
        self.workspace = workspace
        var columns = ""
        var paths: [[String]] = []
        var cells: [Cells] = []
        for field in fields {
            switch field {
            case .attribute(let keys) where typed[keys] != nil:
                let n = typed[keys]!
                columns += ", CASE WHEN v.s\(n) IS NOT NULL THEN 's' || v.s\(n) ELSE v.v\(n)::text END"
                cells.append(.tagged)
            case .identity(let namespace) where typed[["identityMap", namespace]] != nil:
                let id = "(v.v\(typed[["identityMap", namespace]]!) #> '{0,id}')"
                columns +=
                    ", CASE WHEN jsonb_typeof(\(id)) = 'string' THEN 's' || (\(id) #>> '{}') ELSE \(id)::text END"
                cells.append(.tagged)
            case .identityList(let namespace) where typed[["identityMap", namespace]] != nil:
                columns += ", v.v\(typed[["identityMap", namespace]]!)::text"
                cells.append(.json)
            default:
                // $1 is the pids; each path read from the document is bound after them.
                paths.append(PostgresWorkspace.path(field))
                columns += ", (p.doc #> $\(1 + paths.count))::text"
                cells.append(.json)
            }
        }
        self.columns = columns
        // Only a field without a typed column needs the document; the pid is
        // matched on the table read first.
        from =
            paths.isEmpty
            ? "profile_value v"
            : cells.count == paths.count
                ? "profile p" : "profile_value v JOIN profile p ON p.pid = v.pid"
        self.paths = paths
        self.cells = cells
        self.snapshot = snapshot
        self.exited = exited
        self.selected = selected
    }

    deinit { ahead.withLock { $0?.read.cancel() } }

    /// Up to `limit` members after `afterPid`; a member whose profile is gone
    /// (merged away since the evaluation) is passed over, not counted.
    func page(afterPid: Int64, limit: Int) async throws -> ExportPage {
        let pending = ahead.withLock { ahead -> Task<ExportPage, any Error>? in
            defer { ahead = nil }
            guard let next = ahead, next.afterPid == afterPid, next.limit == limit else {
                ahead?.read.cancel()
                return nil
            }
            return next.read
        }
        let rows: ExportPage
        if let pending {
            // The read runs in a task of its own, which the caller's cancellation does not reach by itself.
            rows = try await withTaskCancellationHandler {
                try await pending.value
            } onCancel: {
                pending.cancel()
            }
        } else {
            rows = try await read(afterPid: afterPid, limit: limit)
        }
        // A full page is followed by another read from where it ends, the
        // pid the caller continues after, unless no member is left.
        if rows.count == limit, let last = rows.pids.last, selected.member(after: last) != nil {
            let read = Task { try await self.read(afterPid: last, limit: limit) }
            ahead.withLock { $0 = (last, limit, read) }
        }
        return rows
    }

    private func read(afterPid: Int64, limit: Int) async throws -> ExportPage {
        var rows = ExportPage(fieldCount: cells.count)
        var cursor = afterPid
        while rows.count < limit {
            let pids = selected.members(after: cursor, limit: limit - rows.count)
            guard let last = pids.last else { break }
            let read = try await read(pids)
            if rows.count == 0 { rows = read } else { rows.append(contentsOf: read) }
            cursor = last
        }
        return rows
    }

    func read(_ pids: [Int64]) async throws -> ExportPage {
        var bindings = PostgresBindings()
        bindings.append(pids)
        for path in paths { bindings.append(path) }
        let key = from == "profile p" ? "p.pid" : "v.pid"
        // Pids that fill most of their range are read by one scan of it, the
        // others filtered out by a hash of the list (`+ 0` keeps the list out
        // of the index condition): a probe of the index per pid cost more
        // than the rows passed over. Sparse pids are probed one by one.
        var condition = "\(key) = ANY($1)"
        if let first = pids.first, let last = pids.last, last - first < 3 * Int64(pids.count) {
            bindings.append(first)
            bindings.append(last)
            let count = bindings.count
            condition = "\(key) BETWEEN $\(count - 1) AND $\(count) AND \(key) + 0 = ANY($1)"
        }
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(key)\(columns) FROM \(from) WHERE \(condition) ORDER BY \(key)", binds: bindings)
        let (cells, snapshot, exited, logger) = (self.cells, self.snapshot, self.exited, workspace.logger)
        return try await workspace.withConnection { connection in
            var page = ExportPage(fieldCount: cells.count)
            page.reserve(rows: pids.count, textBytes: pids.count * cells.count * 16)
            for try await row in try await connection.query(query, logger: logger) {
                var iterator = row.makeIterator()
                guard let pid = try iterator.next()?.decode(Int64.self),
                    let facts = snapshot.describe(pid, exited: exited)
                else { continue }
                page.startRow(pid: pid, status: facts.status.rawValue, qualifiedAt: facts.lastQualificationTime)
                for kind in cells {
                    guard let cell = iterator.next()?.bytes else {
                        page.append(.null)
                        continue
                    }
                    if case .tagged = kind, cell.readableBytesView.first == UInt8(ascii: "s") {
                        cell.withUnsafeReadableBytes {
                            page.appendText(UnsafeRawBufferPointer(rebasing: $0.dropFirst()))
                        }
                        continue
                    }
                    // The JSON text is parsed where the row holds it, without a String of its own.
                    page.append(try cell.withUnsafeReadableBytes { try JSONValue.parse($0) })
                }
                page.finishRow()
            }
            return page
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
            workspace: self, fields: fields, typed: try await typedColumns(), snapshot: snapshot, exited: exited,
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
        bindings.append(members.statuses)
        bindings.append(members.times)
        var values: [String] = []
        for key in keys {
            switch key {
            case .status:
                values.append("m.status")
            case .qualificationTime:
                values.append("m.last_qualification_time::text")
            case .field(let field):
                bindings.append(Self.path(field))
                // A JSON null counts as no value, as SQLite's json_extract has it.
                values.append("NULLIF(p.doc #> $\(bindings.count), 'null'::jsonb)::text")
            }
        }
        var required = ""
        for field in mandatory {
            bindings.append(Self.path(field))
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
        bindings.append(members.statuses)
        bindings.append(members.times)
        bindings.append(Self.path(.identityList(namespace: namespace)))
        var required = ""
        for field in mandatory {
            bindings.append(Self.path(field))
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
