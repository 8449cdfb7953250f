import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// Writes one batch of parsed profiles in the caller's transaction, merging into
/// profiles that already exist.
enum ProfileBatchWriter {
    /// What one batch did.
    struct Written: Sendable {
        var inserted = 0
        var updated = 0
        /// Profiles absorbed into another because a fragment linked them.
        var merged = 0
        /// Identity links dropped by the identities-per-profile limit.
        var identitiesDropped = 0
        /// The typed columns after the batch, when the rows were parsed knowing fewer.
        var columns: ColumnTrie?
    }

    static func write(
        _ batch: [ParsedProfile], at now: Date, identityLimit: Int = ImportOptions.defaultIdentityLimit, in db: Database
    ) throws -> Written {
        let time = now.timeIntervalSince1970
        // Incremental evaluations read the profiles stamped after their own version.
        guard
            let version = try Int64.fetchOne(
                db, sql: "UPDATE profileVersion SET version = version + 1 WHERE id = 1 RETURNING version")
        else { preconditionFailure("the profileVersion row is made by the schema") }
        var columns = try ProfileColumns.load(db)
        // Columns for new paths come first, so the rows below fill them. Values
        // at paths the parsing threads knew come resolved to their columns; only
        // leaves at paths added since (or never given a column) are looked up here.
        func slots() -> [String: Int] {
            var slotOf: [String: Int] = [:]
            for (slot, path) in columns.paths.enumerated() { slotOf[path.keys.joined(separator: "\u{0}")] = slot }
            return slotOf
        }
        var newPaths: [String: [String]] = [:]
        var slotOf: [String: Int] = [:]
        if batch.contains(where: { !$0.cells.unresolved.isEmpty }) {
            slotOf = slots()
            for profile in batch {
                for leaf in profile.cells.unresolved {
                    if let joined = leaf.joined, slotOf[joined] == nil { newPaths[joined] = leaf.keys }
                }
            }
        }
        if !newPaths.isEmpty {
            try columns.register(newPaths.values.sorted { $0.lexicographicallyPrecedes($1) }, in: db)
            slotOf = slots()
        }
        let allKeys = columns.paths.map(\.keys)
        // A column whose path is an object in some profiles: a profile parsed
        // before the column existed has no cell for it, so it is read from the document.
        let oldest = batch.map(\.cells.known).min() ?? allKeys.count
        let interior = Set(
            (oldest..<allKeys.count).filter { slot in
                allKeys.contains { $0.count > allKeys[slot].count && $0.starts(with: allKeys[slot]) }
            })
        let typedNames = columns.paths.flatMap { ["v\($0.number)", "t\($0.number)"] }
        let names = (["namespace", "identity", "doc", "updatedAt", "exact", "version", "fragmentTime"] + typedNames)
            .joined(separator: ", ")
        let typedMarks = String(repeating: ", ?", count: typedNames.count)
        // The pid goes last, so the other parameters keep their places.
        let insertAsIs = try db.cachedStatement(
            sql: "INSERT INTO profile (\(names), pid) VALUES (?, ?, ?, ?, ?, ?, ?\(typedMarks), ?)")
        let insertCompacted = try db.cachedStatement(
            sql: "INSERT INTO profile (\(names), pid) VALUES (?, ?, json(?), ?, ?, ?, ?\(typedMarks), ?)")
        let pidIndex = Int32(8 + typedNames.count)
        // New rows take their pids from here, so a new person's identity can point
        // at its row before the row is written.
        var nextPid = (try Int64.fetchOne(db, sql: "SELECT max(pid) FROM profile") ?? 0) + 1
        // Without nulls in the newer record, RFC 7396 json_patch is exactly the deep
        // merge of JSONValue.merging, and runs in SQLite without a round trip.
        let patch = try db.cachedStatement(
            sql: """
                UPDATE profile SET doc = json_patch(doc, json(?)), updatedAt = ?, exact = max(exact, ?), version = ?,
                    fragmentTime = ?
                WHERE pid = ?
                """)
        let stored = try db.cachedStatement(sql: "SELECT namespace, identity, merged FROM profile WHERE pid = ?")
        let read = try db.cachedStatement(sql: "SELECT doc FROM profile WHERE pid = ?")
        let update = try db.cachedStatement(
            sql:
                "UPDATE profile SET doc = ?, updatedAt = ?, exact = max(exact, ?), version = ?, fragmentTime = ? WHERE pid = ?"
        )
        var graph = try IdentityGraph(db: db, now: time, version: version, limit: identityLimit)
        var written = Written()
        // The kinds met per column, as bits: the catalog learns them once per batch.
        var seen = [UInt16](repeating: 0, count: columns.paths.count)
        // Every bound text below is cleared after its row; the statements start clear.
        sqlite3_clear_bindings(insertAsIs.sqliteStatement)
        sqlite3_clear_bindings(insertCompacted.sqliteStatement)
        // By index: enumerating copied each record, a retain and a release of each of its buffers.
        for ordinal in batch.indices {
            let profile = batch[ordinal]
            let exact = profile.hasExactNumber ? 1 : 0
            let fragmentTime = profile.timestamp ?? time
            // A caller that built the profile without its identities still links its own.
            let identities =
                profile.identities.isEmpty
                ? [IdentityKey(namespace: profile.namespace, id: profile.identity)] : profile.identities
            // A fragment that meets other profiles through any identity merges
            // with them; see IdentityGraph.
            func mergeAll(_ pids: [Int64], carrier: Int64?) throws {
                let fragment = ProfileFragment(
                    key: identities[0], time: fragmentTime, sequence: graph.sequence(ordinal: ordinal),
                    document: try JSONValue.parse(profile.doc))
                _ = try graph.merge(pids, carrier: carrier, fragment: fragment, keys: identities, columns: columns)
                written.updated += 1
            }
            // The kinds a known profile's merged document can take on are recorded
            // too, before the refresh below writes them.
            let cells = profile.cells
            for cell in cells.cells { seen[Int(cell.slot)] |= 1 << cell.kind.rawValue }
            // Leaves at paths the parsing threads did not know yet, and the
            // objects at such paths: the slow way, as the columns grow.
            var late: [(slot: Int, cell: LeafCell)] = []
            for leaf in cells.unresolved {
                if let joined = leaf.joined, let slot = slotOf[joined] { late.append((slot, leaf)) }
            }
            if !interior.isEmpty, cells.known < columns.paths.count {
                let parsed = (try? JSONValue.parse(profile.doc)) ?? .null
                for slot in interior where slot >= cells.known && !late.contains(where: { $0.slot == slot }) {
                    if let value = ProfileColumns.value(at: allKeys[slot], in: parsed) {
                        late.append((slot, LeafCell(keys: allKeys[slot], value: value)))
                    }
                }
            }
            for (slot, leaf) in late { seen[slot] |= 1 << leaf.kind.rawValue }
            // Every profile's own identity points to it in the graph, so claiming the
            // record's identity for the next row tells a new person from a known
            // profile with one search of the graph's key; a unique index on
            // profile's identity would cost each new row a second random insert.
            let claimed = try graph.claim(identities[0], for: nextPid)
            if !claimed, let pid = try graph.profileId(of: identities[0]) {
                stored.setUncheckedArguments([pid])
                if let row = try Row.fetchOne(stored), row[0] as String == profile.namespace,
                    row[1] as String == profile.identity
                {
                    let others = try graph.link(identities, to: pid)
                    if !others.isEmpty || (row[2] as Int64) != 0 {
                        try mergeAll([pid] + others, carrier: nil)
                        continue
                    }
                    if !profile.containsNull {
                        patch.setUncheckedArguments([profile.doc, time, exact, version, fragmentTime, pid])
                        try patch.execute()
                    } else {
                        read.setUncheckedArguments([pid])
                        guard let text = try String.fetchOne(read) else { continue }
                        let merged = try JSONValue.parse(text).merging(try JSONValue.parse(profile.doc))
                        update.setUncheckedArguments([merged.serialized(), time, exact, version, fragmentTime, pid])
                        try update.execute()
                    }
                    try columns.refresh(pid: pid, in: db)
                    written.updated += 1
                    continue
                }
                // Known under another profile's record: this record gets its own
                // row, which the graph then merges into that profile, as any
                // fragment meeting a profile through one of its identities.
            }
            let insert = profile.needsCompaction ? insertCompacted : insertAsIs
            // Bound straight through SQLite's C API, text without copies: building
            // GRDB arguments for every cell of every row was a fifth of an import's time.
            let statement = insert.sqliteStatement
            sqlite3_reset(statement)
            sqlite3_bind_double(statement, 4, time)
            sqlite3_bind_int64(statement, 5, Int64(exact))
            sqlite3_bind_int64(statement, 6, version)
            if let stamp = profile.timestamp { sqlite3_bind_double(statement, 7, stamp) }
            let pid = nextPid
            nextPid += 1
            sqlite3_bind_int64(statement, pidIndex, pid)
            for (slot, leaf) in late { bind(leaf, statement, Int32(8 + 2 * slot)) }
            // The closures capture buffers and texts, not the record: a captured struct is copied.
            let namespace = profile.namespace
            let identity = profile.identity
            let code = profile.document.withUnsafeBytes { document in
                cells.text.withUnsafeBytes { text in
                    cells.cells.withUnsafeBufferPointer { typed in
                        SQLiteBinding.withTexts(namespace, identity) { namespace, identity in
                            SQLiteBinding.borrowedText(statement, 1, namespace)
                            SQLiteBinding.borrowedText(statement, 2, identity)
                            SQLiteBinding.borrowedText(statement, 3, document)
                            for cell in typed { bind(cell, text, statement, 8 + 2 * cell.slot) }
                            let code = sqlite3_step(statement)
                            sqlite3_reset(statement)
                            // Nothing may read the bytes bound above once they are gone,
                            // and the next row binds only its own cells.
                            sqlite3_clear_bindings(statement)
                            return code
                        }
                    }
                }
            }
            guard code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let others = try graph.link(
                identities[(claimed ? 1 : 0)...], to: pid, fresh: true, claimed: claimed ? 1 : 0)
            if others.isEmpty {
                written.inserted += 1
            } else {
                try mergeAll(others, carrier: pid)
            }
        }
        try graph.finish()
        if oldest < columns.paths.count { written.columns = columns.trie }
        written.merged = graph.merged
        written.identitiesDropped = graph.dropped
        for slot in seen.indices where seen[slot] != 0 {
            let names = LeafCell.Kind.all.filter { seen[slot] & (1 << $0.rawValue) != 0 }.map(\.typeName)
            try columns.record(Set(names), forSlot: slot, in: db)
        }
        return written
    }
}

/// Binds a cell's value at `index` and its `json_type` name at `index + 1`.
private func bind(_ cell: LeafCell, _ statement: SQLiteStatement, _ index: Int32) {
    bind(cell.kind, integer: cell.integer, real: cell.real, statement, index) {
        SQLiteBinding.text(statement, index, cell.text)
    }
}

/// The same for a resolved cell whose text lies in `text`, bound without a copy.
private func bind(_ cell: ColumnCell, _ text: UnsafeRawBufferPointer, _ statement: SQLiteStatement, _ index: Int32) {
    bind(cell.kind, integer: cell.integer, real: cell.real, statement, index) {
        SQLiteBinding.borrowedText(statement, index, UnsafeRawBufferPointer(rebasing: text[cell.textRange]))
    }
}

private func bind(
    _ kind: LeafCell.Kind, integer: Int64, real: Double, _ statement: SQLiteStatement, _ index: Int32,
    text: () -> Void
) {
    switch kind {
    case .text, .array, .object: text()
    case .integer: sqlite3_bind_int64(statement, index, integer)
    case .real, .bigInteger: sqlite3_bind_double(statement, index, real)
    case .yes: sqlite3_bind_int64(statement, index, 1)
    case .no: sqlite3_bind_int64(statement, index, 0)
    case .null: sqlite3_bind_null(statement, index)
    }
    SQLiteBinding.typeName(statement, index + 1, kind)
}
