import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// Writes one batch of events in the caller's transaction: finds each event's
/// profile by its identities, makes the profiles no identity leads to, stores
/// the events whose `_id` is new.
enum EventBatchWriter {
    static func write(_ batch: [ImportedEvent], at now: Date, in db: Database) throws -> EventImportSummary {
        var summary = EventImportSummary()
        var resolver = try EventProfileResolver(db)
        var pids = try batch.map { try resolver.profile(for: $0.identities) }
        let orphans = batch.indices.filter { pids[$0] == nil }
        if !orphans.isEmpty {
            summary.profilesCreated = try createProfiles(for: orphans.map { batch[$0] }, at: now, in: db)
            resolver.forgetMisses()
            for index in orphans { pids[index] = try resolver.profile(for: batch[index].identities) }
        }
        // Rows go in by profile and time: the (epid, ...) index then takes them
        // in key order, so a batch dirties a run of its pages instead of one
        // page per event, and a profile's events sit together in the table.
        let order = batch.indices.filter { pids[$0] != nil }.sorted {
            (pids[$0]!, batch[$0].seconds, $0) < (pids[$1]!, batch[$1].seconds, $1)
        }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO event (id, epid, ets, etype, edoc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
        let handle = insert.sqliteStatement
        for index in order {
            let event = batch[index]
            sqlite3_reset(handle)
            SQLiteBinding.text(handle, 1, event.id)
            sqlite3_bind_int64(handle, 2, pids[index]!)
            sqlite3_bind_double(handle, 3, event.seconds)
            if let type = event.eventType { SQLiteBinding.text(handle, 4, type) } else { sqlite3_bind_null(handle, 4) }
            SQLiteBinding.text(handle, 5, event.document)
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else { throw error(code, handle) }
            if sqlite3_changes(db.sqliteConnection) > 0 {
                summary.inserted += 1
            } else {
                summary.duplicates += 1
            }
        }
        sqlite3_reset(handle)
        // Profiles' versions are left as they are: only segments that read
        // nothing but the profile's row are evaluated incrementally, and an
        // event changes no row.
        return summary
    }

    static func error(_ code: Int32, _ statement: SQLiteStatement) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
    }

    /// Makes one profile per primary identity through the profile import's own
    /// writer, so the profile gets what any imported profile gets.
    private static func createProfiles(for events: [ImportedEvent], at now: Date, in db: Database) throws -> Int {
        var seen = Set<EventIdentity>()
        var profiles: [ParsedProfile] = []
        var parser = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        for event in events where seen.insert(event.identities[0]).inserted {
            let line = EventProfileRecord.line(event.identities)
            let parsed = Array(line.utf8).withUnsafeBytes { parser.parse($0) }
            if case .profile(let profile) = parsed { profiles.append(profile) }
        }
        return try ProfileBatchWriter.write(profiles, at: now, in: db).inserted
    }
}

/// Finds the profile holding any of an event's identities: through the identity
/// graph's table when the workspace has one, else by the profiles' primary identities.
struct EventProfileResolver {
    private let lookup: Statement
    private let normalizes: Bool
    private var known: [EventIdentity: Int64] = [:]
    private var missing = Set<EventIdentity>()

    init(_ db: Database) throws {
        normalizes = try db.tableExists("identity")
        lookup = try db.cachedStatement(
            sql: normalizes
                ? "SELECT pid FROM identity WHERE namespace = ? AND id = ?"
                : "SELECT pid FROM profile WHERE namespace = ? AND identity = ?")
    }

    mutating func profile(for identities: [EventIdentity]) throws -> Int64? {
        for raw in identities {
            let identity = normalizes ? raw.normalized : raw
            if let pid = known[identity] { return pid }
            if missing.contains(identity) { continue }
            if let pid = try find(identity) {
                known[identity] = pid
                return pid
            }
            missing.insert(identity)
        }
        return nil
    }

    /// One indexed lookup, stepped through SQLite's C API: a batch makes one per
    /// distinct identity, and GRDB's row decoding cost more than the search.
    private func find(_ identity: EventIdentity) throws -> Int64? {
        let handle = lookup.sqliteStatement
        defer { sqlite3_reset(handle) }
        SQLiteBinding.text(handle, 1, identity.namespace)
        SQLiteBinding.text(handle, 2, identity.id)
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return sqlite3_column_int64(handle, 0)
        case SQLITE_DONE: return nil
        case let code: throw EventBatchWriter.error(code, handle)
        }
    }

    /// After profiles were made, the identities that led nowhere may lead somewhere.
    mutating func forgetMisses() { missing.removeAll() }
}
