import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// A value an export reads from each member's profile.
public enum MemberField: Sendable, Hashable {
    /// The value at an attribute path.
    case attribute([String])
    /// The first id in an identity namespace (`identityMap.Email`).
    case identity(namespace: String)
    /// Every entry of an identity namespace, as its JSON array.
    case identityList(namespace: String)

    /// The JSON path for SQLite's json functions, as an SQL string literal;
    /// every key is quoted, so keys with spaces or dots still address one field.
    var sqlPath: String {
        func quote(_ key: String) -> String {
            "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let path: String
        switch self {
        case .attribute(let keys): path = "$." + keys.map(quote).joined(separator: ".")
        case .identity(let namespace): path = "$.identityMap.\(quote(namespace))[0].id"
        case .identityList(let namespace): path = "$.identityMap.\(quote(namespace))"
        }
        return "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// What a dedup key reads: a profile value or the member's own status and time.
public enum MemberValue: Sendable, Hashable {
    case field(MemberField)
    case status
    case qualificationTime
}

/// Reads one segment's members for an export, in pid order, a page at a time.
///
/// Fields with a typed column are read as their (type, value) pair, so no
/// document is parsed per row; the rest, and rows whose numbers must keep the
/// exact text they were imported with, come from the document.
public struct ExportRowReader: Sendable {
    let dbPool: DatabasePool
    /// The select list, read from `profile p`.
    let columns: String
    let fieldCount: Int
    let snapshot: MembershipSnapshot
    let exited: MemberBitmap
    let selected: MemberBitmap

    /// A page whose pids span at most this many times its count reads the
    /// whole pid range and skips the rows between: one pass in key order
    /// costs less than a lookup per member, and needs no list of pids in SQL.
    static let rangeSpread: Int64 = 4

    /// Members after `afterPid`, at most `limit` of them.
    public func page(afterPid: Int64, limit: Int) async throws -> ExportPage {
        let pids = selected.members(after: afterPid, limit: limit)
        guard let first = pids.first, let last = pids.last else { return ExportPage(fieldCount: fieldCount) }
        let (columns, selected) = (self.columns, self.selected)
        let facts = Facts(fieldCount: fieldCount, snapshot: snapshot, exited: exited)
        return try await dbPool.read { db in
            guard last - first < Self.rangeSpread * Int64(pids.count) else {
                return try Self.rows(
                    "SELECT \(columns) FROM profile p WHERE p.pid IN (SELECT value FROM json_each(?)) ORDER BY p.pid",
                    [Workspace.pidList(pids)], facts, expected: pids.count, db)
            }
            // Every selected pid in the range is one of this page's.
            return try SQLiteMemberFilter.with(selected, on: db) {
                try Self.rows(
                    """
                    SELECT \(columns) FROM profile p
                    WHERE p.pid BETWEEN ? AND ? AND \(SQLiteMemberFilter.functionName)(p.pid) ORDER BY p.pid
                    """, [first, last], facts, expected: pids.count, db)
            }
        }
    }

    /// What a page's rows are told apart and described by.
    private struct Facts: Sendable {
        let fieldCount: Int
        let snapshot: MembershipSnapshot
        let exited: MemberBitmap
    }

    /// The rows `sql` selects, stepped through SQLite's C API straight into
    /// the page: a GRDB row and its decoded values per member were most of
    /// an export's reading time. A member whose profile is gone (merged away
    /// since the evaluation) is passed over.
    private static func rows(
        _ sql: String, _ arguments: StatementArguments, _ facts: Facts, expected: Int, _ db: Database
    ) throws -> ExportPage {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var page = ExportPage(fieldCount: facts.fieldCount)
        page.reserve(rows: expected, textBytes: expected * facts.fieldCount * 16)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return page }
            guard code == SQLITE_ROW else { throw SQLiteBinding.error(code, handle) }
            let pid = sqlite3_column_int64(handle, 0)
            guard let described = facts.snapshot.describe(pid, exited: facts.exited) else { continue }
            page.startRow(pid: pid, status: described.status.rawValue, qualifiedAt: described.lastQualificationTime)
            if let exact = SQLiteColumn.text(handle, 1) {
                if case .array(let items) = (try? JSONValue.parse(exact)) ?? .array([]) {
                    for item in items { page.append(item) }
                }
            } else {
                for field in 0..<facts.fieldCount {
                    SQLiteColumn.appendPair(handle, Int32(2 + 2 * field), to: &page)
                }
            }
            page.finishRow()
        }
    }
}

extension Workspace {
    /// A reader of the members of segment `sid` that `selection` picks, with `fields`.
    public func exportRowReader(segmentSid sid: Int64, fields: [MemberField], selection: MemberSelection) async throws
        -> ExportRowReader
    {
        let typed = try await dbPool.read { db in try ProfileColumns.load(db) }
        let pairs = fields.map { field -> String in
            switch field {
            case .attribute(let keys):
                if let n = typed.column(for: keys) { return "p.t\(n), p.v\(n)" }
            case .identity(let namespace):
                if let n = typed.column(for: ["identityMap", namespace]) {
                    // The column holds the namespace's array; only that small text is parsed.
                    return
                        "CASE WHEN p.t\(n) = 'array' THEN json_type(p.v\(n), '$[0].id') END, CASE WHEN p.t\(n) = 'array' THEN json_extract(p.v\(n), '$[0].id') END"
                }
            case .identityList(let namespace):
                if let n = typed.column(for: ["identityMap", namespace]) { return "p.t\(n), p.v\(n)" }
            }
            return "json_type(p.doc, \(field.sqlPath)), json_extract(p.doc, \(field.sqlPath))"
        }
        // One json_extract with several paths returns them as a JSON array with
        // the numbers spelled as imported; a lone path would come back unwrapped,
        // so it is doubled.
        let exactList: String
        if fields.isEmpty {
            exactList = "NULL"
        } else {
            let paths = (fields.count == 1 ? [fields[0], fields[0]] : fields).map(\.sqlPath)
            exactList = "CASE WHEN p.exact THEN json_extract(p.doc, \(paths.joined(separator: ", "))) END"
        }
        let snapshot = try await dbPool.read { db in try MembershipSnapshot.load(sid: sid, in: db) }
        let exited = snapshot.exited
        return ExportRowReader(
            dbPool: dbPool,
            columns: "p.pid, \(exactList)\(pairs.map { ", " + $0 }.joined())",
            fieldCount: fields.count, snapshot: snapshot, exited: exited,
            selected: snapshot.selected(selection, exited: exited))
    }

    /// The pid that wins each dedup key among the members `selection` picks:
    /// the most recently updated profile, then the smallest identity. Profiles
    /// with no key value are kept; with `mandatory`, only profiles that have
    /// every one of those fields take part. Sorted.
    public func dedupWinners(
        segmentSid sid: Int64, keys: [MemberValue], mandatory: [MemberField], selection: MemberSelection
    ) async throws -> [Int64] {
        func value(_ key: MemberValue) -> String {
            switch key {
            case .status: return "ferry_member_status(p.pid)"
            case .qualificationTime: return "ferry_member_qualified(p.pid)"
            case .field(let field): return "json_extract(p.doc, \(field.sqlPath))"
            }
        }
        let selected = keys.enumerated().map { "\(value($1)) AS k\($0)" }.joined(separator: ", ")
        // SQLite does not let a window clause name the select's own aliases.
        let partition = keys.map(value).joined(separator: ", ")
        let allNull = keys.indices.map { "k\($0) IS NULL" }.joined(separator: " AND ")
        let required = mandatory.map { " AND json_type(p.doc, \($0.sqlPath)) NOT IN ('null')" }.joined()
        let sql = """
            SELECT pid FROM (
                SELECT p.pid AS pid, \(selected),
                       ROW_NUMBER() OVER (PARTITION BY \(partition)
                                          ORDER BY p.updatedAt DESC, p.namespace, p.identity) AS rn
                FROM profile p
                WHERE ferry_member_selected(p.pid)\(required)
            ) WHERE rn = 1 OR (\(allNull))
            ORDER BY pid
            """
        return try await withMemberFunctions(segmentSid: sid, selection: selection) { db in
            try Int64.fetchAll(db, sql: sql)
        }
    }

    /// The ids of identity namespace `namespace` that a member holds and
    /// another member holds too (compared as the identity graph compares
    /// them), but that other member keeps: the most recently updated profile,
    /// then the smallest identity. With `mandatory`, only profiles that have
    /// every one of those fields take part.
    public func identityDedupLosers(
        segmentSid sid: Int64, namespace: String, mandatory: [MemberField], selection: MemberSelection
    ) async throws -> Set<MemberIdentity> {
        let list = MemberField.identityList(namespace: namespace).sqlPath
        let required = mandatory.map { " AND json_type(p.doc, \($0.sqlPath)) NOT IN ('null')" }.joined()
        // The namespace's typed column holds just its array: no document is parsed per member.
        let typed = try await dbPool.read { db in try ProfileColumns.load(db) }
        let entries =
            typed.column(for: ["identityMap", namespace]).map {
                "CASE WHEN p.t\($0) = 'array' THEN p.v\($0) ELSE '[]' END"
            }
            ?? "CASE WHEN json_type(p.doc, \(list)) = 'array' THEN json_extract(p.doc, \(list)) ELSE '[]' END"
        // Nested CASEs: json_extract on a bare string entry would be a malformed-JSON error.
        let id =
            "CASE WHEN j.type = 'object' THEN CASE WHEN json_type(j.value, '$.id') = 'text' THEN json_extract(j.value, '$.id') END END"
        // DISTINCT first: one profile naming an id twice (`Ann@x.io`, `ann@x.io`) still holds it once.
        let sql = """
            SELECT pid, k FROM (
                SELECT pid, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY updatedAt DESC, namespace, identity) AS rn
                FROM (
                    SELECT DISTINCT p.pid AS pid, p.updatedAt AS updatedAt, p.namespace AS namespace,
                           p.identity AS identity, ferry_identity_key(\(id)) AS k
                    FROM profile p, json_each(\(entries)) j
                    WHERE ferry_member_selected(p.pid)\(required)
                ) WHERE k IS NOT NULL
            ) WHERE rn > 1
            """
        let key = DatabaseFunction("ferry_identity_key", argumentCount: 1, pure: true) { arguments in
            String.fromDatabaseValue(arguments[0]).map { IdentityKey(namespace: namespace, id: $0).id }
        }
        return try await withMemberFunctions(segmentSid: sid, selection: selection) { db in
            db.add(function: key)
            defer { db.remove(function: key) }
            return Set(try Row.fetchAll(db, sql: sql).map { MemberIdentity(pid: $0[0], id: $0[1]) })
        }
    }

    /// Runs `body` in a read of segment `sid`'s members, with SQL functions
    /// that answer for each pid whether `selection` picks it, its status and
    /// its qualification time: those facts live in Swift, in the member bitmaps.
    private func withMemberFunctions<T: Sendable>(
        segmentSid sid: Int64, selection: MemberSelection, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await dbPool.read { db in
            let snapshot = try MembershipSnapshot.load(sid: sid, in: db)
            let exited = snapshot.exited
            let members = snapshot.selected(selection, exited: exited)
            let functions = [
                DatabaseFunction("ferry_member_selected", argumentCount: 1, pure: true) { arguments in
                    members.contains(Int64.fromDatabaseValue(arguments[0]) ?? -1)
                },
                DatabaseFunction("ferry_member_status", argumentCount: 1, pure: true) { arguments in
                    snapshot.describe(Int64.fromDatabaseValue(arguments[0]) ?? -1, exited: exited)?.status.rawValue
                },
                DatabaseFunction("ferry_member_qualified", argumentCount: 1, pure: true) { arguments in
                    snapshot.describe(Int64.fromDatabaseValue(arguments[0]) ?? -1, exited: exited)?
                        .lastQualificationTime
                },
            ]
            for function in functions { db.add(function: function) }
            defer { for function in functions { db.remove(function: function) } }
            return try body(db)
        }
    }

    /// `NAMESPACE:ID` of the profile `pid`, or nil when it cannot be read, for
    /// naming a profile in an export error.
    public func qualifiedIdentity(ofPid pid: Int64) async -> String? {
        // A text, not a Row: a Row is not Sendable, and with one the blocking `read` was picked.
        let name = try? await dbPool.read { db -> String? in
            try Row.fetchOne(db, sql: "SELECT namespace, identity FROM profile WHERE pid = ?", arguments: [pid])
                .map { "\($0[0] as String):\($0[1] as String)" }
        }
        return name ?? nil
    }
}
