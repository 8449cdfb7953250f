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
        let pids = try profiles(for: batch, resolver: &resolver, at: now, in: db, created: &summary.profilesCreated)
        // Rows go in by profile and time: the (epid, ...) index then takes them
        // in key order, so a batch dirties a run of its pages instead of one
        // page per event, and a profile's events sit together in the table.
        let order = batch.indices.filter { pids[$0] != nil }.sorted {
            (pids[$0]!, batch[$0].seconds, $0) < (pids[$1]!, batch[$1].seconds, $1)
        }
        var columns = try EventCellWriter(db)
        try columns.prepare(batch, in: db)
        let insert = try db.cachedStatement(sql: columns.insertSQL + " ON CONFLICT (id) DO NOTHING")
        (summary.inserted, summary.duplicates) = try store(
            order, of: batch, pids, with: insert, columns: &columns, in: db)
        try columns.finish(in: db)
        // Profiles' versions are left as they are: only segments that read
        // nothing but the profile's row are evaluated incrementally, and an
        // event changes no row.
        return summary
    }

    /// Appends the batch in input order to an event table without indexes
    /// (`EventBulkImport`), where an `_id` seen before is found at the end.
    /// `resolver` is kept from batch to batch: in the one transaction no other
    /// writer can move an identity to another profile.
    static func append(
        _ batch: [ImportedEvent], resolver: inout EventProfileResolver, columns: inout EventCellWriter, at now: Date,
        in db: Database
    ) throws -> EventImportSummary {
        var summary = EventImportSummary()
        let pids = try profiles(for: batch, resolver: &resolver, at: now, in: db, created: &summary.profilesCreated)
        try columns.prepare(batch, in: db)
        let insert = try db.cachedStatement(sql: columns.insertSQL)
        summary.inserted =
            try store(
                batch.indices.filter { pids[$0] != nil }, of: batch, pids, with: insert, columns: &columns, in: db
            )
            .0
        try columns.finish(in: db)
        return summary
    }

    /// Each event's profile, made when none holds its identities.
    private static func profiles(
        for batch: [ImportedEvent], resolver: inout EventProfileResolver, at now: Date, in db: Database,
        created: inout Int
    ) throws -> [Int64?] {
        // Events are read in place: a copy of one is a retain and a release of each of its texts.
        var pids = try batch.withUnsafeBufferPointer { events in
            try events.indices.map { try resolver.profile(at: events.baseAddress! + $0) }
        }
        let orphans = batch.indices.filter { pids[$0] == nil }
        if !orphans.isEmpty {
            created = try createProfiles(for: orphans.map { batch[$0] }, at: now, in: db)
            resolver.forgetMisses()
            for index in orphans { pids[index] = try resolver.profile(for: batch[index]) }
        }
        return pids
    }

    /// Steps `insert` for the events at `order`; returns how many rows went in and how many did not.
    private static func store(
        _ order: [Int], of batch: [ImportedEvent], _ pids: [Int64?], with insert: Statement,
        columns: inout EventCellWriter, in db: Database
    ) throws -> (Int, Int) {
        let handle = insert.sqliteStatement
        var inserted = 0
        var shortened: [UInt8] = []
        try batch.withUnsafeBufferPointer { events in
            for index in order {
                let code = step(
                    events.baseAddress! + index, index: index, pid: pids[index]!, handle, columns: &columns,
                    shortened: &shortened)
                guard code == SQLITE_DONE else { throw SQLiteBinding.error(code, handle) }
                inserted += Int(sqlite3_changes(db.sqliteConnection))
            }
        }
        sqlite3_reset(handle)
        return (inserted, order.count - inserted)
    }

    /// Steps `handle` for one event, its texts bound where they lie (no copy by
    /// SQLite) for the one step and unbound before their buffers may go.
    /// The event is read through a pointer, which the closures capture instead of copying it.
    private static func step(
        _ event: UnsafePointer<ImportedEvent>, index: Int, pid: Int64, _ handle: SQLiteStatement,
        columns: inout EventCellWriter, shortened: inout [UInt8]
    ) -> Int32 {
        sqlite3_reset(handle)
        defer { sqlite3_clear_bindings(handle) }
        sqlite3_bind_int64(handle, 2, pid)
        sqlite3_bind_double(handle, 3, event.pointee.seconds)
        let lead = event.pointee.lead
        return SQLiteBinding.withTexts(event.pointee.id, event.pointee.document) { id, whole in
            if lead > 0 {
                shortened.removeAll(keepingCapacity: true)
                shortened.append(UInt8(ascii: "{"))
                shortened.append(contentsOf: UnsafeRawBufferPointer(rebasing: whole[lead...]))
            }
            return shortened.withUnsafeBytes { short in
                SQLiteBinding.borrowedText(handle, 1, id)
                SQLiteBinding.borrowedText(handle, 5, lead > 0 ? short : whole)
                guard let type = event.pointee.eventType else {
                    sqlite3_bind_null(handle, 4)
                    return columns.bind(event, index: index, handle) { sqlite3_step(handle) }
                }
                return SQLiteBinding.withText(type) { type in
                    SQLiteBinding.borrowedText(handle, 4, type)
                    return columns.bind(event, index: index, handle) { sqlite3_step(handle) }
                }
            }
        }
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
    private var known = EventProfileCache()
    private var missing = Set<EventIdentity>()
    /// Whether `known` holds every identity stored when the import began, so
    /// that one it lacks needs no lookup until profiles are made.
    private var holdsAll = false

    init(_ db: Database) throws {
        normalizes = try db.tableExists("identity")
        lookup = try db.cachedStatement(
            sql: normalizes
                ? "SELECT pid FROM identity WHERE namespace = ? AND id = ?"
                : "SELECT pid FROM profile WHERE namespace = ? AND identity = ?")
    }

    /// `profile(for:)` of an event read in place.
    mutating func profile(at event: UnsafePointer<ImportedEvent>) throws -> Int64? {
        // Most events are found by their first identity's key, made on the parsing threads.
        if normalizes, let pid = known[event.pointee.profileKey] { return pid }
        return try profile(for: event.pointee)
    }

    mutating func profile(for event: ImportedEvent) throws -> Int64? {
        for (index, raw) in event.identities.enumerated() {
            let key =
                normalizes && index == 0 ? event.profileKey : EventProfileCache.Key(normalizes ? raw.normalized : raw)
            if let pid = known[key] { return pid }
            if holdsAll { continue }
            let identity = normalizes ? raw.normalized : raw
            if missing.contains(identity) { continue }
            if let pid = try find(identity) {
                known[key] = pid
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
        case let code: throw SQLiteBinding.error(code, handle)
        }
    }

    /// After profiles were made, the identities that led nowhere may lead
    /// somewhere: from then on a miss is looked up again.
    mutating func forgetMisses() {
        missing.removeAll()
        holdsAll = false
    }

    /// Reads every stored identity's profile into the cache in one pass over
    /// the identity table, for an import that would otherwise look most of
    /// them up one at a time: at 3M events into 1M profiles those descents,
    /// each through pages read back from the file, were a third of the
    /// writer's time. The table cannot change under the caller's transaction.
    mutating func preload(_ db: Database) throws {
        guard normalizes else { return }
        let scan = try db.makeStatement(sql: "SELECT namespace, id, pid FROM identity")
        let handle = scan.sqliteStatement
        var rows = 0
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw SQLiteBinding.error(code, handle) }
            let identity = EventIdentity(
                namespace: String(cString: sqlite3_column_text(handle, 0)),
                id: String(cString: sqlite3_column_text(handle, 1)))
            known[EventProfileCache.Key(identity)] = sqlite3_column_int64(handle, 2)
            rows += 1
        }
        // Past the cache's size, or on two identities sharing a key, the rest
        // are looked up as before.
        holdsAll = known.count == rows
    }
}

/// The profiles found for identities, by an 88-bit hash of the identity (64
/// bits to place it, 24 more to check it): among a million identities two
/// share a key with a chance near 10^-14, and no text is kept, so a million
/// take 32 MB where a dictionary of the identities took several times that.
struct EventProfileCache {
    struct Key: Sendable, Equatable {
        var hash: UInt64
        var check: UInt64

        init(_ identity: EventIdentity) {
            var hasher = Hasher()
            hasher.combine(identity.namespace)
            hasher.combine(identity.id)
            hash = UInt64(bitPattern: Int64(hasher.finalize()))
            // FNV-1a, unrelated to the hasher's SipHash.
            var fnv: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in identity.namespace.utf8 { fnv = (fnv ^ UInt64(byte)) &* 0x100_0000_01b3 }
            fnv = (fnv ^ 0xFF) &* 0x100_0000_01b3
            for byte in identity.id.utf8 { fnv = (fnv ^ UInt64(byte)) &* 0x100_0000_01b3 }
            check = fnv >> 40
        }
    }

    /// Pairs of (hash, check << 40 | pid); a pid of 0 marks a free slot.
    private var slots = [UInt64](repeating: 0, count: 2 << 12)
    private(set) var count = 0
    private static let pidBits: UInt64 = (1 << 40) - 1
    /// Past this many slots (32 MB) no more keys are kept; they are looked up each time.
    private static let maxSlots = 1 << 21

    subscript(key: Key) -> Int64? {
        get {
            let mask = slots.count / 2 - 1
            var slot = Int(truncatingIfNeeded: key.hash) & mask
            while true {
                let value = slots[2 * slot + 1]
                if value == 0 { return nil }
                if slots[2 * slot] == key.hash, value >> 40 == key.check { return Int64(value & Self.pidBits) }
                slot = (slot + 1) & mask
            }
        }
        set {
            guard let pid = newValue, pid > 0, UInt64(pid) <= Self.pidBits else { return }
            if (count + 1) * 4 > slots.count / 2 * 3 {
                guard slots.count / 2 < Self.maxSlots else { return }
                grow()
            }
            let mask = slots.count / 2 - 1
            var slot = Int(truncatingIfNeeded: key.hash) & mask
            while slots[2 * slot + 1] != 0 {
                if slots[2 * slot] == key.hash, slots[2 * slot + 1] >> 40 == key.check { return }
                slot = (slot + 1) & mask
            }
            slots[2 * slot] = key.hash
            slots[2 * slot + 1] = key.check << 40 | UInt64(pid)
            count += 1
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        let mask = slots.count / 2 - 1
        for index in stride(from: 0, to: old.count, by: 2) where old[index + 1] != 0 {
            var slot = Int(truncatingIfNeeded: old[index]) & mask
            while slots[2 * slot + 1] != 0 { slot = (slot + 1) & mask }
            slots[2 * slot] = old[index]
            slots[2 * slot + 1] = old[index + 1]
        }
    }
}
