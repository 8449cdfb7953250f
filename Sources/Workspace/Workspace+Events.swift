import Foundation
import GRDB
import Segmentation

extension Workspace: EventStore {
    public func importEvents(
        _ inputs: [ImportInput], maxErrors: Int, onReject: (ImportRejection) -> Void
    ) async throws -> EventImportSummary {
        // Half the default batch: batch by batch it is still a large
        // transaction, and in a bulk import three batches in memory at once
        // weigh on the peak RSS for no gain.
        let reader = EventInputReader(maxErrors: maxErrors, batchSize: 25_000)
        let estimate = EventBulkImport.estimatedEvents(inputs)
        // The import stays on the writer until it ends, as a bulk import is one
        // transaction; the rejected lines are reported after it.
        let (summary, rejections) = try await dbPool.writeWithoutTransaction { db in
            // Batch by batch, the `_id` and (epid, ...) indexes take every batch
            // at scattered pages: with the usual 32 MB cache most were read back
            // from the file, and checkpointing every ~4 MB cost a third of the
            // import. A bulk import builds its indexes with SQLite's sorter,
            // which keeps everything in memory under temp_store = MEMORY but
            // spills sorted runs to files (at most the cache's size in memory)
            // under FILE.
            try db.execute(
                sql: "PRAGMA wal_autocheckpoint = 8192; PRAGMA cache_size = -65536; PRAGMA temp_store = FILE")
            defer {
                try? db.execute(
                    sql: "PRAGMA wal_autocheckpoint = 1000; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY; "
                        + "PRAGMA threads = 0")
            }
            let stream = try EventBatchStream(inputs, reader: reader)
            defer { stream.stop() }
            var summary = try EventBulkImport.run(stream, estimatedEvents: estimate, in: db)
            let outcome = stream.outcome
            summary.rejected = outcome.summary.rejected
            summary.stoppedEarly = outcome.summary.stoppedEarly
            // A bulk import leaves a log as large as what it wrote; give the disk back.
            _ = try? db.checkpoint(.truncate)
            return (summary, outcome.rejections)
        }
        rejections.forEach(onReject)
        return summary
    }

    public func eventRetentionDays() async throws -> Int {
        try await dbPool.read { db in try Self.retentionDays(db) }
    }

    public func setEventRetentionDays(_ days: Int) async throws {
        guard days >= 1 else {
            throw WorkspaceError(.badName, "The event retention is a whole number of days, at least 1.")
        }
        try await dbPool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO workspaceSetting (name, value) VALUES ('eventRetentionDays', ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value
                    """, arguments: [String(days)])
        }
    }

    public func eventCount() async throws -> Int {
        try await dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }

    public func pruneEvents(now: Date) async throws -> Int {
        try await dbPool.write { db in
            let since = try Self.eventsRetainedSince(now: now, db)
            try db.execute(sql: "DELETE FROM event WHERE ets < ?", arguments: [since])
            return db.changesCount
        }
    }

    static func retentionDays(_ db: Database) throws -> Int {
        try String.fetchOne(db, sql: "SELECT value FROM workspaceSetting WHERE name = 'eventRetentionDays'")
            .flatMap { Int($0) } ?? EventRetention.defaultDays
    }

    /// The oldest instant an evaluation at `now` still sees events from.
    static func eventsRetainedSince(now: Date, _ db: Database) throws -> Double {
        EventRetention.since(now: now, days: try retentionDays(db))
    }
}

/// The event SQL the segment scan needs beside the compiler's.
enum EventSQL {
    /// The scanned profile's retained events as one JSON array, oldest first.
    static func eventsJSON(since: Double) -> String {
        "(SELECT json_group_array(json(edoc)) FROM (SELECT \(document("event")) AS edoc FROM event "
            + "WHERE epid = profile.pid AND ets >= \(since) ORDER BY ets, eid))"
    }

    /// The event document of row `alias` as imported: a shortened one
    /// (`EventDocumentLead`, told by its missing `_id`) gets its leading members back.
    static func document(_ alias: String) -> String {
        "(CASE WHEN json_type(\(alias).edoc, '$._id') IS NULL THEN '{\"_id\":\"' || \(alias).id || "
            + "'\",\"timestamp\":\"' || \(PQLEventStore.timestampText("\(alias).ets")) || "
            + "'\",\"eventType\":\"' || \(alias).etype || '\",' || substr(\(alias).edoc, 2) ELSE \(alias).edoc END)"
    }
}
