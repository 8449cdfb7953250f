import Foundation
import GRDB
import Segmentation

/// Evaluates segments over all profiles inside one write transaction and
/// updates their memberships with set-based SQL.
///
/// All segments share one scan of `profile`: each row's predicates become
/// columns of a temporary `flags` table. SQLite parses a row's JSON once for all
/// the `json_extract` calls in that statement, and segments without an SQL
/// translation are evaluated together by one Swift function that parses the row
/// once and returns a bit per segment. Membership changes are then three
/// statements per segment joined against the qualifying pids, so a million
/// members never pass through Swift one by one.
enum SegmentEvaluator {
    /// Exited members are forgotten after this long, as in the reference product.
    static let exitedRetention: TimeInterval = 30 * 24 * 3600
    /// Segments per shared scan; Swift-evaluated ones also share one 63-bit mask.
    static let segmentsPerPass = 32

    static func evaluate(_ segments: [(SegmentRecord, PQLExpression)], now: Date, in db: Database) throws
        -> [EvaluationSummary]
    {
        var summaries: [EvaluationSummary] = []
        var start = 0
        while start < segments.count {
            let pass = Array(segments[start..<min(start + segmentsPerPass, segments.count)])
            summaries += try evaluatePass(pass, now: now, in: db)
            start += segmentsPerPass
        }
        return summaries
    }

    private static func evaluatePass(_ segments: [(SegmentRecord, PQLExpression)], now: Date, in db: Database) throws
        -> [EvaluationSummary]
    {
        let scanStart = Date()
        let fragments = segments.map { PQL.sqliteWhere($0.1, jsonColumn: "doc", now: now) }
        var columns = ["pid"]
        var arguments: [SQLArgument] = []
        var inSwift: [PQLExpression] = []
        /// Per segment: the SQL that is true for its qualifying rows of `flags`.
        var qualifies: [String] = []
        for (index, fragment) in fragments.enumerated() {
            if let fragment {
                columns.append("(\(fragment.sql)) AS c\(index)")
                arguments += fragment.arguments
                qualifies.append("c\(index)")
            } else {
                qualifies.append("(swift >> \(inSwift.count)) & 1")
                inSwift.append(segments[index].1)
            }
        }
        var function: DatabaseFunction?
        if !inSwift.isEmpty {
            let mask = swiftMask(inSwift, now: now)
            function = mask.function
            columns.append("\(mask.function.name)(\(mask.arguments.joined(separator: ", "))) AS swift")
            db.add(function: mask.function)
        }
        defer { if let function { db.remove(function: function) } }

        try db.execute(sql: "DROP TABLE IF EXISTS temp.flags")
        try db.execute(
            sql: "CREATE TEMP TABLE flags AS SELECT \(columns.joined(separator: ", ")) FROM profile",
            arguments: statementArguments(arguments))
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS qualifying (pid INTEGER PRIMARY KEY)")
        let scanShare = Date().timeIntervalSince(scanStart) / Double(segments.count)

        var summaries: [EvaluationSummary] = []
        for (index, (segment, _)) in segments.enumerated() {
            let phaseStart = Date()
            try db.execute(sql: "DELETE FROM temp.qualifying")
            try db.execute(
                sql: "INSERT INTO temp.qualifying (pid) SELECT pid FROM temp.flags WHERE \(qualifies[index])")
            var summary = try updateMemberships(of: segment, usedSQL: fragments[index] != nil, now: now, in: db)
            summary.seconds = scanShare + Date().timeIntervalSince(phaseStart)
            try db.execute(
                sql: "UPDATE evaluation SET finishedAt = ? WHERE id = ?",
                arguments: [now.timeIntervalSince1970 + summary.seconds, summary.evaluationId])
            summaries.append(summary)
        }
        try db.execute(sql: "DROP TABLE temp.flags")
        try db.execute(sql: "DELETE FROM temp.qualifying")
        return summaries
    }

    /// Applies `temp.qualifying` to one segment's memberships and records the evaluation.
    private static func updateMemberships(of segment: SegmentRecord, usedSQL: Bool, now: Date, in db: Database) throws
        -> EvaluationSummary
    {
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        let time = now.timeIntervalSince1970
        var evaluation = EvaluationRecord(
            id: nil, sid: sid, startedAt: now, finishedAt: nil,
            realized: 0, existing: 0, exited: 0, usedSQL: usedSQL)
        try evaluation.insert(db)
        guard let evaluationId = evaluation.id else { preconditionFailure("an inserted evaluation has an id") }
        let qualifying = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.qualifying") ?? 0

        try db.execute(
            sql: """
                INSERT INTO membership (sid, pid, status, lastQualificationTime, statusChangedAt, changedInEvaluation)
                SELECT ?1, q.pid, 'realized', ?2, ?2, ?3 FROM temp.qualifying q
                WHERE NOT EXISTS (SELECT 1 FROM membership m WHERE m.sid = ?1 AND m.pid = q.pid)
                """, arguments: [sid, time, evaluationId])
        var realized = db.changesCount
        try db.execute(
            sql: """
                UPDATE membership SET status = 'realized', lastQualificationTime = ?2, statusChangedAt = ?2, changedInEvaluation = ?3
                WHERE sid = ?1 AND status = 'exited' AND pid IN (SELECT pid FROM temp.qualifying)
                """, arguments: [sid, time, evaluationId])
        realized += db.changesCount
        try db.execute(
            sql: """
                UPDATE membership SET status = 'exited', statusChangedAt = ?2, changedInEvaluation = ?3
                WHERE sid = ?1 AND status = 'realized' AND pid NOT IN (SELECT pid FROM temp.qualifying)
                """, arguments: [sid, time, evaluationId])
        let exited = db.changesCount
        try db.execute(
            sql: "DELETE FROM membership WHERE sid = ? AND status = 'exited' AND statusChangedAt < ?",
            arguments: [sid, time - exitedRetention])
        let purged = db.changesCount

        evaluation.realized = realized
        evaluation.existing = qualifying - realized
        evaluation.exited = exited
        try evaluation.update(db)
        return EvaluationSummary(
            evaluationId: evaluationId, segmentId: segment.id, segmentName: segment.name,
            realized: realized, existing: qualifying - realized, exited: exited, purged: purged,
            usedSQL: usedSQL, seconds: 0)
    }

    /// Arguments beyond this many fields pass the whole document instead.
    static let maximumExtractedFields = 100

    /// An SQL function `ferry_pql_mask(...)` whose bit i is set when expression i holds.
    ///
    /// Rather than the whole document, it receives only the fields the expressions
    /// read (`doc -> '$."a"."b"'`, JSON text or NULL), extracted by SQLite from a
    /// parse it shares with the SQL predicates of the same scan. Rebuilding a small
    /// document from those is far cheaper than parsing every profile in Swift.
    private static func swiftMask(_ expressions: [PQLExpression], now: Date) -> (
        function: DatabaseFunction, arguments: [String]
    ) {
        precondition(expressions.count <= 63)
        let paths = expressions.reduce(into: Set<String>()) { $0.formUnion(PQL.fieldPaths($1)) }.sorted()
        let keyPaths = paths.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
        let sqlPaths = keyPaths.map(jsonPathLiteral)
        let wholeDocument = paths.count > maximumExtractedFields || sqlPaths.contains(nil)

        @Sendable func mask(_ document: JSONValue) -> Int64 {
            var bits: Int64 = 0
            for (bit, expression) in expressions.enumerated() where PQL.evaluate(expression, on: document, now: now) {
                bits |= 1 << Int64(bit)
            }
            return bits
        }
        if wholeDocument {
            let function = DatabaseFunction("ferry_pql_mask", argumentCount: 1, pure: true) { arguments in
                guard let text = String.fromDatabaseValue(arguments[0]) else { return 0 }
                return mask(try JSONValue.parse(text))
            }
            return (function, ["doc"])
        }
        let function = DatabaseFunction("ferry_pql_mask", argumentCount: paths.count, pure: true) { arguments in
            var document: [String: JSONValue] = [:]
            // Sorted paths put "a" before "a.b", so a nested value lands inside its parent.
            for (keys, argument) in zip(keyPaths, arguments) {
                guard let text = String.fromDatabaseValue(argument) else { continue }
                JSONValue.insert(try JSONValue.parse(text), at: keys[...], into: &document)
            }
            return mask(.object(document))
        }
        return (function, sqlPaths.map { "doc -> \($0!)" })
    }

    /// `'$."a"."b"'` as an SQL string literal; nil for keys SQLite paths cannot quote.
    static func jsonPathLiteral(_ keys: [String]) -> String? {
        var path = "$"
        for key in keys {
            guard !key.contains("\""), !key.contains("\\"), !key.contains("'"), !key.utf8.contains(0) else {
                return nil
            }
            path += ".\"\(key)\""
        }
        return "'\(path)'"
    }

    static func statementArguments(_ arguments: [SQLArgument]) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> DatabaseValue in
                switch argument {
                case .null: .null
                case .int(let value): value.databaseValue
                case .double(let value): value.databaseValue
                case .string(let value): value.databaseValue
                }
            })
    }
}
