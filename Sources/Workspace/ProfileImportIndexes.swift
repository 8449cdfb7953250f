import Foundation
import GRDB

/// The secondary indexes a large profile import leaves out while it writes
/// and builds again, by sorting once, when it ends.
///
/// Kept up row by row, `identity_by_pid` and `profile_by_version` were a third
/// of the writer's SQLite work for new profiles (2 index entries per identity
/// and 1 per profile, each a descent from the root). At 1,000,000 new profiles
/// leaving them out took 5.9 CPU s off the import, and building them again
/// took 2.2 CPU s (1.7 and 0.5).
///
/// Batches still commit one by one. Nothing needs the indexes to be right,
/// only to be fast: the writer builds `identity_by_pid` back the first time
/// it looks profiles' identities up by pid (a merge, the identities limit),
/// and a reader meanwhile scans instead. An import killed before its end
/// leaves them out; the next import puts them back (a small one before its
/// first batch, a large one at its end).
enum ProfileImportIndexes {
    static let identityByPid = "CREATE INDEX IF NOT EXISTS identity_by_pid ON identity(pid, linkedAt)"
    /// As the latest migration made them.
    static let all = [
        ("identity_by_pid", identityByPid),
        ("profile_by_version", "CREATE INDEX IF NOT EXISTS profile_by_version ON profile(version)"),
    ]

    /// Whether the import whose first batch is `first` leaves the indexes out,
    /// which it then does in the caller's transaction; otherwise makes sure they exist.
    ///
    /// An import of one batch gains nothing (its rows are written either way,
    /// then sorted again). Otherwise, when the import is at least as large as
    /// what is stored: sorting everything once then costs less than the new
    /// rows' index entries. Not when half the first batch is stored already
    /// (the same file again), whose updates write few index entries.
    /// - Parameter inputBytes: the inputs' total size; nil when one is not a plain file.
    static func leaveOut(first: [ParsedProfile], batchSize: Int, inputBytes: Int?, in db: Database) throws -> Bool {
        if try worthLeavingOut(first, batchSize: batchSize, inputBytes: inputBytes, db) {
            for (name, _) in all { try db.execute(sql: "DROP INDEX IF EXISTS \(name)") }
            return true
        }
        try build(db)
        return false
    }

    private static func worthLeavingOut(
        _ first: [ParsedProfile], batchSize: Int, inputBytes: Int?, _ db: Database
    ) throws -> Bool {
        guard first.count >= batchSize, !first.isEmpty else { return false }
        let stored = try Int.fetchOne(db, sql: "SELECT max(pid) FROM profile") ?? 0
        if stored == 0 { return true }
        // The profiles to come, at the first batch's bytes per line.
        let sampled = first.reduce(0) { $0 + $1.document.count + 1 }
        guard let inputBytes, inputBytes / max(sampled / first.count, 1) >= stored else { return false }
        let probe = try db.cachedStatement(sql: "SELECT 1 FROM identity WHERE namespace = ? AND id = ?")
        var present = 0
        for profile in first {
            let key = profile.identities.first ?? IdentityKey(namespace: profile.namespace, id: profile.identity)
            if try Bool.fetchOne(probe, arguments: [key.namespace, key.id]) != nil { present += 1 }
        }
        return present * 2 <= first.count
    }

    /// Builds whichever index is missing, in the caller's transaction.
    static func build(_ db: Database) throws {
        for (_, sql) in all { try db.execute(sql: sql) }
    }

    /// Builds the indexes after a large import, each by one sort. SQLite's
    /// sorter keeps everything in memory under the workspace's temp_store =
    /// MEMORY (about 100 MB of `identity_by_pid` entries at 1M profiles), but
    /// spills sorted runs to files, at most the cache's size in memory, under
    /// FILE. The batches' memory goes back to the system first, so the
    /// sorter's share does not come on top of it.
    static func buildAfterImport(_ db: Database) throws {
        FreeMemory.release()
        try db.execute(sql: "PRAGMA temp_store = FILE")
        defer { try? db.execute(sql: "PRAGMA temp_store = MEMORY") }
        try db.inTransaction {
            try build(db)
            return .commit
        }
    }

    /// The inputs' total size in bytes; nil when one is not a plain file.
    static func inputBytes(_ inputs: [ImportInput]) -> Int? {
        var bytes = 0
        for input in inputs {
            guard case .file(let path) = input,
                let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let size = attributes[.size] as? NSNumber
            else { return nil }
            bytes += size.intValue
        }
        return bytes
    }
}
