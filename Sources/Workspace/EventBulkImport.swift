import Foundation
import GRDB

/// An event import into the SQLite workspace, its batches from an `EventBatchStream`.
///
/// A large import is one transaction that drops the event indexes, appends the
/// events in input order and builds the indexes again by sorting once. Kept up
/// batch by batch, each batch of 50k events lands on pages all over the `_id`
/// and per-profile indexes, so most of their pages were written again for every
/// batch: about 8 KB per event at 10M events. A kill at any point rolls the one
/// transaction back, so the workspace is as before the import, indexes included.
/// A small import into many stored events goes batch by batch, a transaction each.
enum EventBulkImport {
    /// The indexes a bulk import builds again: the latest migration's.
    static let indexes = [
        ("event_id", "CREATE UNIQUE INDEX event_id ON event(id)"),
        // A set of a type's events in a window scans this covering index whole,
        // which at 1M events took no longer than a range of an (etype, ets) one.
        ("event_by_profile", "CREATE INDEX event_by_profile ON event(epid, ets, etype)"),
    ]

    /// A generous line length, so a file's size does not overstate its events.
    static let bytesPerEvent = 200

    /// The events the inputs hold, from their sizes; nil when one is not a plain file.
    static func estimatedEvents(_ inputs: [ImportInput]) -> Int? {
        var bytes = 0
        for input in inputs {
            guard case .file(let path) = input,
                let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
            else { return nil }
            bytes += size.intValue
        }
        return bytes / bytesPerEvent
    }

    static func run(_ stream: EventBatchStream, estimatedEvents: Int?, in db: Database) throws -> EventImportSummary {
        var batch = try stream.next()
        guard batch != nil else { return EventImportSummary() }
        let stored = try Int.fetchOne(db, sql: "SELECT max(eid) FROM event") ?? 0
        if try rebuilds(batch ?? [], estimatedEvents: estimatedEvents, stored: stored, db) {
            return try bulk(&batch, stream, above: stored, estimatedEvents: estimatedEvents, db)
        }
        var summary = EventImportSummary()
        while let rows = batch {
            try db.inTransaction {
                summary.add(try EventBatchWriter.write(rows, at: Date(), in: db))
                return .commit
            }
            batch = try stream.next()
        }
        return summary
    }

    /// Whether sorting every stored and new event once costs less than the new
    /// events' scattered index writes: when the import is at least a sixteenth
    /// of what is stored. Not when its first batch is mostly stored already (the
    /// same file again), which the kept indexes find cheaply.
    static func rebuilds(
        _ first: [ImportedEvent], estimatedEvents: Int?, stored: Int, _ db: Database
    ) throws -> Bool {
        if stored == 0 { return true }
        guard let estimatedEvents, estimatedEvents * 16 >= stored else { return false }
        let probe = try db.cachedStatement(sql: "SELECT 1 FROM event WHERE id = ?")
        var present = 0
        for event in first where try Bool.fetchOne(probe, arguments: [event.id]) != nil {
            present += 1
        }
        return present * 2 <= first.count
    }

    /// Whether the import holds at least as many events as there are profiles,
    /// so that reading every identity once costs less than looking up those
    /// the events name; the highest pid stands for the profiles' count. An
    /// input of unknown size counts as its first batch.
    static func preloads(_ estimatedEvents: Int?, firstBatch: Int, _ db: Database) throws -> Bool {
        let events = estimatedEvents ?? firstBatch
        return events >= (try Int.fetchOne(db, sql: "SELECT max(pid) FROM profile") ?? 0)
    }

    /// `batch`: the first batch, taken (set to nil) so its memory goes with the others'.
    private static func bulk(
        _ batch: inout [ImportedEvent]?, _ stream: EventBatchStream, above stored: Int, estimatedEvents: Int?,
        _ db: Database
    ) throws -> EventImportSummary {
        var summary = EventImportSummary()
        var pending = batch
        batch = nil
        try db.inTransaction {
            for (name, _) in indexes { try db.execute(sql: "DROP INDEX IF EXISTS \(name)") }
            do {
                var resolver = try EventProfileResolver(db)
                var columns = try EventCellWriter(db, storedBefore: stored)
                if try preloads(estimatedEvents, firstBatch: pending?.count ?? 0, db) { try resolver.preload(db) }
                while let rows = pending {
                    pending = nil
                    summary.add(
                        try EventBatchWriter.append(
                            rows, resolver: &resolver, columns: &columns, at: Date(), in: db))
                    pending = try stream.next()
                }
            }
            // The batches' memory goes back to the system before the sorter
            // takes its share, which is the cache's size: 32 MB sorted runs
            // still merge in one pass at 10M events (up to 16 at once), and
            // the peak RSS stays well under 300 MiB. The readers are done by
            // now, so the sorter sorts its runs on a second thread.
            FreeMemory.release()
            try db.execute(sql: "PRAGMA cache_size = -32768; PRAGMA threads = 1")
            let duplicates = try buildIndexes(newAbove: stored, db)
            summary.inserted -= duplicates
            summary.duplicates += duplicates
            return .commit
        }
        return summary
    }

    /// Builds the indexes; returns how many new rows had an `_id` stored before
    /// them (earlier in the table, or earlier in the import), which are deleted.
    private static func buildIndexes(newAbove stored: Int, _ db: Database) throws -> Int {
        var duplicates = 0
        let (_, unique) = indexes[0]
        do {
            try db.execute(sql: unique)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            try db.execute(
                sql: "DELETE FROM event WHERE eid > ? AND eid NOT IN (SELECT min(eid) FROM event GROUP BY id)",
                arguments: [stored])
            duplicates = db.changesCount
            try db.execute(sql: unique)
        }
        for (_, sql) in indexes.dropFirst() { try db.execute(sql: sql) }
        return duplicates
    }
}
