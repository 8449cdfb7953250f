import Foundation
import GRDB
import Segmentation

/// Writes one batch of parsed profiles in the caller's transaction, merging into
/// profiles that already exist.
enum ProfileBatchWriter {
    static func write(_ batch: [ParsedProfile], at now: Date, in db: Database) throws -> (inserted: Int, updated: Int) {
        let time = now.timeIntervalSince1970
        var columns = try ProfileColumns.load(db)
        // Columns for new paths come first, so the rows below fill them.
        var newPaths = Set<[String]>()
        for profile in batch {
            for keys in ProfileColumns.leafPaths(of: profile.document) where columns.column(for: keys) == nil {
                newPaths.insert(keys)
            }
        }
        if !newPaths.isEmpty {
            try columns.register(newPaths.sorted { $0.lexicographicallyPrecedes($1) }, in: db)
        }
        let typedNames = columns.paths.flatMap { ["v\($0.number)", "t\($0.number)"] }
        let names = (["namespace", "identity", "doc", "updatedAt", "exact"] + typedNames).joined(separator: ", ")
        let typedMarks = String(repeating: ", ?", count: typedNames.count)
        // Insert first: a new profile then costs one statement, and only a conflict
        // pays for the read and merge.
        let insertAsIs = try db.cachedStatement(
            sql: """
                INSERT INTO profile (\(names)) VALUES (?, ?, ?, ?, ?\(typedMarks))
                ON CONFLICT (namespace, identity) DO NOTHING
                """)
        let insertCompacted = try db.cachedStatement(
            sql: """
                INSERT INTO profile (\(names)) VALUES (?, ?, json(?), ?, ?\(typedMarks))
                ON CONFLICT (namespace, identity) DO NOTHING
                """)
        // Without nulls in the newer record, RFC 7396 json_patch is exactly the deep
        // merge of JSONValue.merging, and runs in SQLite without a round trip.
        let patch = try db.cachedStatement(
            sql: """
                UPDATE profile SET doc = json_patch(doc, json(?)), updatedAt = ?, exact = max(exact, ?)
                WHERE namespace = ? AND identity = ?
                """)
        let find = try db.cachedStatement(sql: "SELECT pid, doc FROM profile WHERE namespace = ? AND identity = ?")
        let update = try db.cachedStatement(
            sql: "UPDATE profile SET doc = ?, updatedAt = ?, exact = max(exact, ?) WHERE pid = ?")
        var inserted = 0
        var updated = 0
        var arguments: [DatabaseValue] = []
        arguments.reserveCapacity(5 + typedNames.count)
        for profile in batch {
            let exact = ProfileColumns.hasExactNumber(profile.document) ? 1 : 0
            let insert = profile.needsCompaction ? insertCompacted : insertAsIs
            arguments.removeAll(keepingCapacity: true)
            arguments += [
                profile.namespace.databaseValue, profile.identity.databaseValue, profile.doc.databaseValue,
                time.databaseValue, exact.databaseValue,
            ]
            for (_, keys) in columns.paths {
                let typed = ProfileColumns.typed(ProfileColumns.value(at: keys, in: profile.document))
                arguments.append(typed.value)
                arguments.append(typed.type)
            }
            insert.setUncheckedArguments(StatementArguments(arguments))
            try insert.execute()
            if db.changesCount > 0 {
                inserted += 1
                continue
            }
            if !profile.containsNull {
                patch.setUncheckedArguments([profile.doc, time, exact, profile.namespace, profile.identity])
                try patch.execute()
                find.setUncheckedArguments([profile.namespace, profile.identity])
                if let pid = try Int64.fetchOne(find) { try columns.refresh(pid: pid, in: db) }
                updated += 1
                continue
            }
            find.setUncheckedArguments([profile.namespace, profile.identity])
            guard let row = try Row.fetchOne(find) else { continue }
            let pid: Int64 = row[0]
            let stored: String = row[1]
            let merged = try JSONValue.parse(stored).merging(try JSONValue.parse(profile.doc))
            update.setUncheckedArguments([merged.serialized(), time, exact, pid])
            try update.execute()
            try columns.refresh(pid: pid, in: db)
            updated += 1
        }
        return (inserted, updated)
    }
}
