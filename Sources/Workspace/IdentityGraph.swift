import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// The identity graph's side of one import batch on SQLite, in the batch's
/// transaction: every identity of a fragment points to its profile; a
/// fragment that meets other profiles through its identities merges them.
///
/// A profile made of one fragment keeps it in its own row (`merged = 0`), so
/// the common import (a new person, or the same record again) costs one
/// identity row per id and nothing more. Only when a second fragment joins
/// does the profile's fragments go to `fragment`, from which the merge
/// policy rebuilds the document.
struct IdentityGraph {
    let db: Database
    /// Import time of the batch (Unix seconds).
    let now: Double
    /// The batch's profile version; stamps every profile the batch changes.
    let version: Int64
    /// Most identities a profile keeps linked.
    let limit: Int
    /// Absorbed pid -> kept pid, applied to other tables at the end of the batch.
    private(set) var kept: [Int64: Int64] = [:]
    /// Profiles absorbed into others.
    private(set) var merged = 0
    /// Links dropped by the identities-per-profile limit.
    private(set) var dropped = 0
    private let linkStatement: Statement
    private let lookupStatement: Statement
    /// Whether `identity_by_pid` is known to exist in this batch: a large
    /// import leaves it out (ProfileImportIndexes), and the lookups by pid
    /// below would each scan the table without it.
    private var pidIndexBuilt = false

    init(db: Database, now: Double, version: Int64, limit: Int) throws {
        self.db = db
        self.now = now
        self.version = version
        self.limit = limit
        linkStatement = try db.cachedStatement(
            sql: "INSERT INTO identity (namespace, id, pid, linkedAt) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        lookupStatement = try db.cachedStatement(sql: "SELECT pid FROM identity WHERE namespace = ? AND id = ?")
    }

    /// The order key of a fragment imported at `ordinal` in this batch.
    func sequence(ordinal: Int) -> Int64 { version << 24 | Int64(min(ordinal, 0xFF_FFFF)) }

    /// Points `keys` at `pid` where they point nowhere yet; returns the other
    /// profiles that already hold some of them, ascending. `fresh`: `pid` was
    /// just made, so it has no links but these and the `claimed` ones before them
    /// (no count to read).
    mutating func link(
        _ keys: some Collection<IdentityKey>, to pid: Int64, fresh: Bool = false, claimed: Int = 0
    ) throws -> [Int64] {
        var others: [Int64] = []
        var added = 0
        for key in keys {
            if try claim(key, for: pid) {
                added += 1
                continue
            }
            if let holder = try profileId(of: key), holder != pid, !others.contains(holder) { others.append(holder) }
        }
        if fresh ? added + claimed > limit : added > 0 { try enforceLimit(on: pid) }
        return others.sorted()
    }

    /// Points `key` at `pid` if it points nowhere yet; false when a profile holds it.
    func claim(_ key: IdentityKey, for pid: Int64) throws -> Bool {
        let statement = linkStatement.sqliteStatement
        let now = now
        sqlite3_reset(statement)
        // The texts are bound without copies, and unbound before they go.
        let code = SQLiteBinding.withTexts(key.namespace, key.id) { namespace, id in
            SQLiteBinding.borrowedText(statement, 1, namespace)
            SQLiteBinding.borrowedText(statement, 2, id)
            sqlite3_bind_int64(statement, 3, pid)
            sqlite3_bind_double(statement, 4, now)
            let code = sqlite3_step(statement)
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return code
        }
        guard code == SQLITE_DONE else { throw SQLiteBinding.error(code, statement) }
        return sqlite3_changes(db.sqliteConnection) > 0
    }

    /// Through SQLite's C API: GRDB's arguments and cursor were half the cost
    /// of a probe made once per imported record.
    func profileId(of key: IdentityKey) throws -> Int64? {
        let statement = lookupStatement.sqliteStatement
        sqlite3_reset(statement)
        let (code, pid) = SQLiteBinding.withTexts(key.namespace, key.id) { namespace, id in
            SQLiteBinding.borrowedText(statement, 1, namespace)
            SQLiteBinding.borrowedText(statement, 2, id)
            let code = sqlite3_step(statement)
            let pid = code == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return (code, pid)
        }
        switch code {
        case SQLITE_ROW: return pid
        case SQLITE_DONE: return nil
        default: throw SQLiteBinding.error(code, statement)
        }
    }

    /// Merges the profiles `pids` and `fragment` into the smallest pid.
    /// `carrier`, when given, is a row this batch inserted for `fragment`
    /// alone; it goes too. Returns the kept pid.
    mutating func merge(
        _ pids: [Int64], carrier: Int64?, fragment: ProfileFragment, keys: [IdentityKey], columns: ProfileColumns
    ) throws -> Int64 {
        let existing = pids.sorted()
        guard let keep = existing.first else { preconditionFailure("a merge needs a profile to keep") }
        try buildPidIndex()
        var fragments: [ProfileFragment] = []
        var primary = fragment.key
        for pid in existing {
            guard
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT namespace, identity, doc, updatedAt, fragmentTime, merged, version FROM profile WHERE pid = ?",
                    arguments: [pid])
            else { continue }
            if pid == keep { primary = IdentityKey(namespace: row[0], id: row[1]) }
            if (row[5] as Int64) != 0 {
                let stored = try Row.fetchAll(
                    db,
                    sql:
                        "SELECT namespace, identity, time, sequence, doc FROM fragment WHERE pid = ? ORDER BY sequence",
                    arguments: [pid])
                for part in stored {
                    IdentityMergePolicy.upsert(
                        ProfileFragment(
                            key: IdentityKey(namespace: part[0], id: part[1]), time: part[2], sequence: part[3],
                            document: try JSONValue.parse(part[4] as String)),
                        into: &fragments)
                }
            } else {
                IdentityMergePolicy.upsert(
                    ProfileFragment(
                        key: IdentityKey(namespace: row[0], id: row[1]), time: (row[4] as Double?) ?? row[3],
                        sequence: (row[6] as Int64) << 24, document: try JSONValue.parse(row[2] as String)),
                    into: &fragments)
            }
        }
        IdentityMergePolicy.upsert(fragment, into: &fragments)
        for pid in existing.dropFirst() + (carrier.map { [$0] } ?? []) {
            try db.execute(sql: "UPDATE identity SET pid = ? WHERE pid = ?", arguments: [keep, pid])
            try db.execute(sql: "DELETE FROM fragment WHERE pid = ?", arguments: [pid])
            try db.execute(sql: "DELETE FROM profile WHERE pid = ?", arguments: [pid])
            if pid != carrier {
                merged += 1
                for (from, to) in kept where to == pid { kept[from] = keep }
                kept[pid] = keep
            }
        }
        _ = try link(keys, to: keep)
        try enforceLimit(on: keep)
        try db.execute(sql: "DELETE FROM fragment WHERE pid = ?", arguments: [keep])
        if fragments.count == 1 {
            // One record after all (the same record reached through an
            // identity its profile had absorbed): it stays in the row.
            let only = fragments[0]
            try db.execute(
                sql: """
                    UPDATE profile SET doc = ?, updatedAt = ?, fragmentTime = ?, merged = 0, version = ?, exact = ?
                    WHERE pid = ?
                    """,
                arguments: [
                    only.document.serialized(), now, only.time, version,
                    ProfileColumns.hasExactNumber(only.document) ? 1 : 0, keep,
                ])
            try columns.refresh(pid: keep, in: db)
            return keep
        }
        let identities = try Row.fetchAll(
            db, sql: "SELECT namespace, id FROM identity WHERE pid = ? ORDER BY linkedAt, namespace, id",
            arguments: [keep]
        ).map { IdentityKey(namespace: $0[0], id: $0[1]) }
        let document = IdentityMergePolicy.merge(fragments, identities: identities, primary: primary)
        let insert = try db.cachedStatement(
            sql: "INSERT INTO fragment (pid, namespace, identity, time, sequence, doc) VALUES (?, ?, ?, ?, ?, ?)")
        for part in fragments {
            try insert.execute(
                arguments: [
                    keep, part.key.namespace, part.key.id, part.time, part.sequence, part.document.serialized(),
                ])
        }
        try db.execute(
            sql: """
                UPDATE profile SET doc = ?, updatedAt = ?, fragmentTime = ?, merged = 1, version = ?, exact = ?
                WHERE pid = ?
                """,
            arguments: [
                document.serialized(), now, fragments.map(\.time).max() ?? now, version,
                ProfileColumns.hasExactNumber(document) ? 1 : 0, keep,
            ])
        try columns.refresh(pid: keep, in: db)
        return keep
    }

    /// Past `limit` identities, drops the oldest links of `pid` (never the
    /// identity its row is stored under, which must keep finding it).
    mutating func enforceLimit(on pid: Int64) throws {
        try buildPidIndex()
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM identity WHERE pid = ?", arguments: [pid]) ?? 0
        guard count > limit else { return }
        guard
            let own = try Row.fetchOne(
                db, sql: "SELECT namespace, identity FROM profile WHERE pid = ?", arguments: [pid])
        else { return }
        let key = IdentityKey(namespace: own[0], id: own[1])
        let oldest = try Row.fetchAll(
            db,
            sql: """
                SELECT namespace, id FROM identity WHERE pid = ? AND NOT (namespace = ? AND id = ?)
                ORDER BY linkedAt, namespace, id LIMIT ?
                """, arguments: [pid, key.namespace, key.id, count - limit])
        for row in oldest {
            try db.execute(
                sql: "DELETE FROM identity WHERE namespace = ? AND id = ?",
                arguments: [row[0] as String, row[1] as String])
        }
        dropped += oldest.count
    }

    /// Builds `identity_by_pid` if a large import left it out, once per batch
    /// at most: from then on the import keeps it up, as a smaller one would.
    private mutating func buildPidIndex() throws {
        guard !pidIndexBuilt else { return }
        try db.execute(sql: ProfileImportIndexes.identityByPid)
        pidIndexBuilt = true
    }

    /// Moves what other tables hold of the absorbed profiles to the kept ones.
    func finish() throws {
        try ProfileRemap.apply(kept, in: db)
    }
}
