import Foundation
import GRDB

/// Moves what other tables hold of merged profiles onto the profile kept,
/// in the merge's own transaction.
///
/// Member sets are bitmaps keyed by pid: an absorbed profile's bit moves to
/// the kept profile's (so the kept one is a member wherever either was, until
/// the next evaluation re-reads it: the merge stamps its version), in the
/// current sets and in every evaluation's entered and exited sets. Tables
/// with a plain pid column are rewritten with one UPDATE each.
public enum ProfileRemap {
    /// Tables holding pids, as (table, column); a table that does not exist in
    /// a workspace is skipped, so a feature's table can be listed before it lands.
    public static let pidColumns: [(table: String, column: String)] = [("event", "epid")]

    /// The absorbed pids of `kept` (absorbed pid -> kept pid), as a set.
    public static func absorbedSet(_ kept: [Int64: Int64]) -> MemberBitmap {
        var absorbed = MemberBitmap()
        for pid in kept.keys { absorbed.insert(pid) }
        return absorbed
    }

    /// `bitmap` with each absorbed pid's bit moved to its kept pid; nil when it holds none of them.
    public static func remapped(_ bitmap: MemberBitmap, _ kept: [Int64: Int64], absorbed: MemberBitmap) -> MemberBitmap?
    {
        let moving = bitmap.intersection(absorbed)
        guard !moving.isEmpty else { return nil }
        var out = bitmap.subtracting(absorbed)
        var cursor: Int64 = -1
        while let pid = moving.member(after: cursor) {
            cursor = pid
            if let target = kept[pid] { out.insert(target) }
        }
        return out
    }

    /// Applies `kept` (absorbed pid -> kept pid) to every table that holds pids.
    static func apply(_ kept: [Int64: Int64], in db: Database) throws {
        guard !kept.isEmpty else { return }
        let absorbed = absorbedSet(kept)
        func remapped(_ bitmap: MemberBitmap) -> MemberBitmap? { Self.remapped(bitmap, kept, absorbed: absorbed) }
        let sets = try Row.fetchAll(db, sql: "SELECT sid, members FROM segmentMembers")
        for row in sets {
            guard let moved = remapped(try MemberBitmap(data: row[1])) else { continue }
            try db.execute(
                sql: "UPDATE segmentMembers SET members = ? WHERE sid = ?", arguments: [moved.data, row[0] as Int64])
        }
        let deltas = try Row.fetchAll(db, sql: "SELECT evaluationId, entered, exited FROM memberDelta")
        for row in deltas {
            let entered = try MemberBitmap(data: row[1])
            let exited = try MemberBitmap(data: row[2])
            let newEntered = remapped(entered)
            let newExited = remapped(exited)
            guard newEntered != nil || newExited != nil else { continue }
            try db.execute(
                sql: "UPDATE memberDelta SET entered = ?, exited = ? WHERE evaluationId = ?",
                arguments: [(newEntered ?? entered).data, (newExited ?? exited).data, row[0] as Int64])
        }
        for (table, column) in pidColumns {
            guard try db.tableExists(table) else { continue }
            let statement = try db.makeStatement(
                sql:
                    "UPDATE \(table.quotedDatabaseIdentifier) SET \(column.quotedDatabaseIdentifier) = ? WHERE \(column.quotedDatabaseIdentifier) = ?"
            )
            for (from, to) in kept { try statement.execute(arguments: [to, from]) }
        }
    }
}
