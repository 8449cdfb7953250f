import Foundation
import GRDB
import Segmentation

/// Evaluates segments over all profiles and updates their memberships with
/// set-based SQL, without holding the workspace's write lock for the scan.
///
/// All segments of a pass share one scan of `profile`: each row's predicates
/// become columns of a `flags` table in a scratch database file beside the
/// workspace, written by a connection of its own. That statement reads the
/// workspace as one snapshot and writes only the scratch file, so imports,
/// runs and other processes keep writing while it runs; SQLite parses a row's
/// JSON once for all the `json_extract` calls in it, and segments without an
/// SQL translation are evaluated together by one Swift function that returns a
/// bit per segment. Each segment's membership changes are then one short write
/// transaction that joins the workspace against the scratch file.
enum SegmentEvaluator {
    /// Exited members are forgotten after this long, as in the reference product.
    static let exitedRetention: TimeInterval = 30 * 24 * 3600
    /// Segments per shared scan; Swift-evaluated ones also share one 63-bit mask.
    static let segmentsPerPass = 32

    static func evaluate(
        _ segments: [(SegmentRecord, PQLExpression)], now: Date, writer: DatabasePool, databasePath: String,
        scratchDirectory: URL
    ) async throws -> [EvaluationSummary] {
        var summaries: [EvaluationSummary] = []
        var start = 0
        while start < segments.count {
            let pass = Array(segments[start..<min(start + segmentsPerPass, segments.count)])
            summaries += try await evaluatePass(
                pass, now: now, writer: writer, databasePath: databasePath, scratchDirectory: scratchDirectory)
            start += segmentsPerPass
        }
        return summaries
    }

    /// The scratch file's name starts with this; a crashed evaluation's file is removed at the next one.
    static let scratchPrefix = ".evaluation-"

    private static func evaluatePass(
        _ segments: [(SegmentRecord, PQLExpression)], now: Date, writer: DatabasePool, databasePath: String,
        scratchDirectory: URL
    ) async throws -> [EvaluationSummary] {
        let scanStart = Date()
        let typed = try await writer.read { db in try ProfileColumns.load(db) }.numbers
        let fragments = segments.map { PQL.sqliteWhere($0.1, jsonColumn: "doc", typedColumns: typed, now: now) }
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
        let mask = inSwift.isEmpty ? nil : swiftMask(inSwift, now: now)
        if let mask {
            columns.append("\(mask.function.name)(\(mask.arguments.joined(separator: ", "))) AS swift")
        }

        let selectList = columns.joined(separator: ", ")
        let scanArguments = statementArguments(arguments)
        let conditions = qualifies
        let scratch = try ScratchDatabase(directory: scratchDirectory)
        defer { scratch.remove() }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let scanner = try DatabaseQueue(path: databasePath, configuration: configuration)
        try await scanner.writeWithoutTransaction { db in
            if let mask { db.add(function: mask.function) }
            try db.execute(sql: "ATTACH DATABASE ? AS scratch", arguments: [scratch.path])
            try db.execute(
                sql: "CREATE TABLE scratch.flags AS SELECT \(selectList) FROM main.profile", arguments: scanArguments)
            try db.execute(sql: "DETACH DATABASE scratch")
        }
        try scanner.close()
        let scanShare = Date().timeIntervalSince(scanStart) / Double(segments.count)

        var summaries: [EvaluationSummary] = []
        for (index, (segment, _)) in segments.enumerated() {
            let phaseStart = Date()
            var summary = try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS scratch", arguments: [scratch.path])
                defer { try? db.execute(sql: "DETACH DATABASE scratch") }
                var summary: EvaluationSummary?
                try db.inTransaction {
                    try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS qualifying (pid INTEGER PRIMARY KEY)")
                    try db.execute(sql: "DELETE FROM temp.qualifying")
                    try db.execute(
                        sql:
                            "INSERT INTO temp.qualifying (pid) SELECT pid FROM scratch.flags WHERE \(conditions[index])"
                    )
                    summary = try updateMemberships(of: segment, usedSQL: fragments[index] != nil, now: now, in: db)
                    try db.execute(sql: "DELETE FROM temp.qualifying")
                    return .commit
                }
                return summary!
            }
            summary.seconds = scanShare + Date().timeIntervalSince(phaseStart)
            try await writer.write { [summary] db in
                try db.execute(
                    sql: "UPDATE evaluation SET finishedAt = ? WHERE id = ?",
                    arguments: [now.timeIntervalSince1970 + summary.seconds, summary.evaluationId])
            }
            summaries.append(summary)
        }
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
        let sqlPaths = keyPaths.map(ProfileColumns.jsonPath)
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

/// An empty SQLite file, readable by the owner only, that a scan fills and
/// the membership writes read; removed when the evaluation ends.
struct ScratchDatabase {
    let path: String

    init(directory: URL) throws {
        // Files left by an evaluation that was killed are of no use to anyone.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(SegmentEvaluator.scratchPrefix) {
            let stale = directory.appendingPathComponent(name).path
            var info = stat()
            if stat(stale, &info) == 0, Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 24 * 3600 {
                unlink(stale)
            }
        }
        path = directory.appendingPathComponent(SegmentEvaluator.scratchPrefix + UUID().uuidString + ".sqlite").path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw WorkspaceError(
                .cannotCreateDirectory,
                "Cannot create the evaluation's scratch file in \(directory.path): \(String(cString: strerror(errno)))."
            )
        }
        close(fd)
    }

    func remove() {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }
}
