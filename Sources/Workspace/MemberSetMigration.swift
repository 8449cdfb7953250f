import Foundation
import GRDB

/// Turns the row-per-member `membership` table of older workspaces into
/// member sets, keeping what an export and a member list read from it.
enum MemberSetMigration {
    static func convertMembershipRows(in db: Database) throws {
        let segments = try Int64.fetchAll(db, sql: "SELECT DISTINCT sid FROM membership ORDER BY sid")
        for sid in segments {
            var current = MemberBitmap()
            var entered: [Int64: MemberBitmap] = [:]
            var exited: [Int64: MemberBitmap] = [:]
            // A row kept its last change's evaluation, and for an exited member
            // the time it had entered; that time names the evaluation it entered in.
            let evaluationAt = Dictionary(
                try Row.fetchAll(db, sql: "SELECT startedAt, id FROM evaluation WHERE sid = ?", arguments: [sid])
                    .map { (($0[0] as Double), ($0[1] as Int64)) }, uniquingKeysWith: max)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT pid, status, lastQualificationTime, changedInEvaluation FROM membership
                    WHERE sid = ? ORDER BY pid
                    """, arguments: [sid])
            while let row = try rows.next() {
                let pid: Int64 = row[0]
                let changedIn: Int64 = row[3]
                if (row[1] as String) == "realized" {
                    current.insert(pid)
                    entered[changedIn, default: MemberBitmap()].insert(pid)
                } else {
                    exited[changedIn, default: MemberBitmap()].insert(pid)
                    if let enteredIn = evaluationAt[row[2] as Double] {
                        entered[enteredIn, default: MemberBitmap()].insert(pid)
                    }
                }
            }
            let evaluations = try Int64.fetchAll(
                db, sql: "SELECT id FROM evaluation WHERE sid = ? ORDER BY id", arguments: [sid])
            for id in evaluations {
                try db.execute(
                    sql: "INSERT INTO memberDelta (evaluationId, entered, exited) VALUES (?, ?, ?)",
                    arguments: [id, (entered[id] ?? MemberBitmap()).data, (exited[id] ?? MemberBitmap()).data])
            }
            if let latest = evaluations.last {
                try db.execute(
                    sql: "INSERT INTO segmentMembers (sid, evaluationId, members) VALUES (?, ?, ?)",
                    arguments: [sid, latest, current.data])
            }
        }
    }
}
