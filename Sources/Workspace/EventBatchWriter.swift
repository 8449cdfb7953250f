import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// Writes one batch of events in the caller's transaction: finds each event's
/// profile by its identities, makes the profiles no identity leads to, stores
/// the events whose `_id` is new, and stamps their profiles' version.
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
        let insert = try db.cachedStatement(
            sql: "INSERT INTO event (id, epid, ets, etype, edoc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
        let handle = insert.sqliteStatement
        var touched = Set<Int64>()
        for (event, pid) in zip(batch, pids) {
            guard let pid else { continue }
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            bindText(handle, 1, event.id)
            sqlite3_bind_int64(handle, 2, pid)
            sqlite3_bind_double(handle, 3, event.seconds)
            if let type = event.eventType { bindText(handle, 4, type) } else { sqlite3_bind_null(handle, 4) }
            bindText(handle, 5, event.document)
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            if sqlite3_changes(db.sqliteConnection) > 0 {
                summary.inserted += 1
                touched.insert(pid)
            } else {
                summary.duplicates += 1
            }
        }
        sqlite3_reset(handle)
        if !touched.isEmpty {
            // Incremental evaluation reads the profiles stamped after its version;
            // event segments scan in full, but a profile's new events are a change all the same.
            guard
                let version = try Int64.fetchOne(
                    db, sql: "UPDATE profileVersion SET version = version + 1 WHERE id = 1 RETURNING version")
            else { preconditionFailure("the profileVersion row is made by the schema") }
            let stamp = try db.cachedStatement(sql: "UPDATE profile SET version = ? WHERE pid = ?")
            for pid in touched { try stamp.execute(arguments: [version, pid]) }
        }
        return summary
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
            lookup.setUncheckedArguments([identity.namespace, identity.id])
            if let pid = try Int64.fetchOne(lookup) {
                known[identity] = pid
                return pid
            }
            missing.insert(identity)
        }
        return nil
    }

    /// After profiles were made, the identities that led nowhere may lead somewhere.
    mutating func forgetMisses() { missing.removeAll() }
}

/// SQLite copies the bytes (SQLITE_TRANSIENT), so Swift's temporary C string may go.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

private func bindText(_ statement: SQLiteStatement, _ index: Int32, _ text: String) {
    sqlite3_bind_text(statement, index, text, -1, transient)
}
