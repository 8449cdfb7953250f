import Foundation
import GRDB
import Segmentation

/// Evaluates one segment over all profiles inside one write transaction and
/// updates its memberships with set-based SQL.
///
/// The qualifying pids go into a temporary table first, filled by the SQL
/// predicate when PQL can be translated, else by evaluating each document in
/// Swift. Membership changes are then three statements joined against that
/// table, so a million members never pass through Swift one by one.
enum SegmentEvaluator {
    /// Exited members are forgotten after this long, as in the reference product.
    static let exitedRetention: TimeInterval = 30 * 24 * 3600

    static func evaluate(_ segment: SegmentRecord, expression: PQLExpression, now: Date, in db: Database) throws -> EvaluationSummary {
        let clockStart = Date()
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        let time = now.timeIntervalSince1970
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS qualifying (pid INTEGER PRIMARY KEY)")
        try db.execute(sql: "DELETE FROM temp.qualifying")

        let fragment = PQL.sqliteWhere(expression, jsonColumn: "doc", now: now)
        var evaluation = EvaluationRecord(
            id: nil, sid: sid, startedAt: now, finishedAt: nil,
            realized: 0, existing: 0, exited: 0, usedSQL: fragment != nil)
        try evaluation.insert(db)
        guard let evaluationId = evaluation.id else { preconditionFailure("an inserted evaluation has an id") }

        if let fragment {
            try db.execute(
                sql: "INSERT INTO temp.qualifying (pid) SELECT pid FROM profile WHERE \(fragment.sql)",
                arguments: statementArguments(fragment.arguments))
        } else {
            try collectInSwift(expression, now: now, in: db)
        }
        let qualifying = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.qualifying") ?? 0

        try db.execute(sql: """
            INSERT INTO membership (sid, pid, status, lastQualificationTime, statusChangedAt, changedInEvaluation)
            SELECT ?1, q.pid, 'realized', ?2, ?2, ?3 FROM temp.qualifying q
            WHERE NOT EXISTS (SELECT 1 FROM membership m WHERE m.sid = ?1 AND m.pid = q.pid)
            """, arguments: [sid, time, evaluationId])
        var realized = db.changesCount
        try db.execute(sql: """
            UPDATE membership SET status = 'realized', lastQualificationTime = ?2, statusChangedAt = ?2, changedInEvaluation = ?3
            WHERE sid = ?1 AND status = 'exited' AND pid IN (SELECT pid FROM temp.qualifying)
            """, arguments: [sid, time, evaluationId])
        realized += db.changesCount
        try db.execute(sql: """
            UPDATE membership SET status = 'exited', statusChangedAt = ?2, changedInEvaluation = ?3
            WHERE sid = ?1 AND status = 'realized' AND pid NOT IN (SELECT pid FROM temp.qualifying)
            """, arguments: [sid, time, evaluationId])
        let exited = db.changesCount
        try db.execute(
            sql: "DELETE FROM membership WHERE sid = ? AND status = 'exited' AND statusChangedAt < ?",
            arguments: [sid, time - exitedRetention])
        let purged = db.changesCount
        try db.execute(sql: "DELETE FROM temp.qualifying")

        let seconds = Date().timeIntervalSince(clockStart)
        evaluation.realized = realized
        evaluation.existing = qualifying - realized
        evaluation.exited = exited
        evaluation.finishedAt = now.addingTimeInterval(seconds)
        try evaluation.update(db)
        return EvaluationSummary(
            evaluationId: evaluationId, segmentId: segment.id, segmentName: segment.name,
            realized: realized, existing: qualifying - realized, exited: exited, purged: purged,
            usedSQL: fragment != nil, seconds: seconds)
    }

    /// The fallback for PQL that has no SQL translation: parse each stored
    /// document straight from SQLite's buffer and evaluate it.
    private static func collectInSwift(_ expression: PQLExpression, now: Date, in db: Database) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO temp.qualifying (pid) VALUES (?)")
        let rows = try Row.fetchCursor(db, sql: "SELECT pid, doc FROM profile")
        while let row = try rows.next() {
            let document = try row.withUnsafeData(atIndex: 1) { data -> JSONValue? in
                guard let data else { return nil }
                return try data.withUnsafeBytes { try JSONValue.parse($0) }
            }
            guard let document, PQL.evaluate(expression, on: document, now: now) else { continue }
            let pid: Int64 = row[0]
            insert.setUncheckedArguments([pid])
            try insert.execute()
        }
    }

    static func statementArguments(_ arguments: [SQLArgument]) -> StatementArguments {
        StatementArguments(arguments.map { argument -> DatabaseValue in
            switch argument {
            case .null: .null
            case .int(let value): value.databaseValue
            case .double(let value): value.databaseValue
            case .string(let value): value.databaseValue
            }
        })
    }
}
