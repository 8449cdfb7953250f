import Foundation
import GRDB
import Segmentation

/// Writes one batch of parsed profiles in the caller's transaction, merging into
/// profiles that already exist.
enum ProfileBatchWriter {
    static func write(_ batch: [ParsedProfile], at now: Date, in db: Database) throws -> (inserted: Int, updated: Int) {
        let time = now.timeIntervalSince1970
        // Insert first: a new profile then costs one statement, and only a conflict
        // pays for the read and merge.
        let insertAsIs = try db.cachedStatement(
            sql: """
                INSERT INTO profile (namespace, identity, doc, updatedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (namespace, identity) DO NOTHING
                """)
        let insertCompacted = try db.cachedStatement(
            sql: """
                INSERT INTO profile (namespace, identity, doc, updatedAt) VALUES (?, ?, json(?), ?)
                ON CONFLICT (namespace, identity) DO NOTHING
                """)
        // Without nulls in the newer record, RFC 7396 json_patch is exactly the deep
        // merge of JSONValue.merging, and runs in SQLite without a round trip.
        let patch = try db.cachedStatement(
            sql: """
                UPDATE profile SET doc = json_patch(doc, json(?)), updatedAt = ? WHERE namespace = ? AND identity = ?
                """)
        let find = try db.cachedStatement(sql: "SELECT pid, doc FROM profile WHERE namespace = ? AND identity = ?")
        let update = try db.cachedStatement(sql: "UPDATE profile SET doc = ?, updatedAt = ? WHERE pid = ?")
        var inserted = 0
        var updated = 0
        for profile in batch {
            let insert = profile.needsCompaction ? insertCompacted : insertAsIs
            insert.setUncheckedArguments([profile.namespace, profile.identity, profile.doc, time])
            try insert.execute()
            if db.changesCount > 0 {
                inserted += 1
                continue
            }
            if !profile.containsNull {
                patch.setUncheckedArguments([profile.doc, time, profile.namespace, profile.identity])
                try patch.execute()
                updated += 1
                continue
            }
            find.setUncheckedArguments([profile.namespace, profile.identity])
            guard let row = try Row.fetchOne(find) else { continue }
            let pid: Int64 = row[0]
            let stored: String = row[1]
            let merged = try JSONValue.parse(stored).merging(try JSONValue.parse(profile.doc))
            update.setUncheckedArguments([merged.serialized(), time, pid])
            try update.execute()
            updated += 1
        }
        return (inserted, updated)
    }
}
