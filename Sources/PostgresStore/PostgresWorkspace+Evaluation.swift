import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace {
    /// Evaluates the named segments (all when empty), each in one transaction:
    /// the qualifying pids are selected inside PostgreSQL with the PQL
    /// compiled to its dialect (`CREATE TEMP TABLE ... AS SELECT`, which may
    /// run as a parallel query), then memberships change with set-based SQL.
    /// What the compiler cannot express is evaluated in Swift over a stream
    /// of the documents.
    public func evaluate(segmentIds: [String], now: Date) async throws -> [EvaluationSummary] {
        let targets: [SegmentRecord]
        if segmentIds.isEmpty {
            targets = try await segments()
        } else {
            var resolved: [SegmentRecord] = []
            for nameOrId in segmentIds { resolved.append(try await segment(named: nameOrId)) }
            targets = resolved
        }
        // Events past retention are never seen again; the segment SQL skips them too.
        _ = try await pruneEvents(now: now)
        let events = try await eventTable(now: now)
        let typed = try await typedColumns()
        // Two segments at a time, each on its own connection: one's member
        // writes (a single backend) overlap the other's scan, on as many cores
        // as PostgreSQL has. Summaries keep the segments' order.
        var summaries = [EvaluationSummary?](repeating: nil, count: targets.count)
        try await withThrowingTaskGroup(of: (Int, EvaluationSummary).self) { group in
            var next = 0
            func start() {
                guard next < targets.count else { return }
                let (index, segment) = (next, targets[next])
                next += 1
                group.addTask {
                    (index, try await self.evaluateOne(segment, now: now, typed: typed, events: events))
                }
            }
            for _ in 0..<Self.concurrentEvaluations { start() }
            while let (index, summary) = try await group.next() {
                summaries[index] = summary
                start()
            }
        }
        let done = summaries.compactMap { $0 }
        try await recordFailures(done, now: now)
        try await refreshStatistics(
            of: "membership", afterChanging: done.reduce(0) { $0 + $1.realized + $1.exited + $1.purged })
        return done
    }

    /// How many segments one `evaluate` works on at once.
    static let concurrentEvaluations = 2

    /// One segment's evaluation; a failure that is the segment's own comes back in the summary.
    func evaluateOne(_ segment: SegmentRecord, now: Date, typed: [[String]: Int], events: PQLEventStore) async throws
        -> EvaluationSummary
    {
        let started = Date()
        do {
            let expression = try PQL.parse(segment.pql)
            var summary: EvaluationSummary
            if let fragment = PQL.sqlWhere(
                expression, dialect: .postgresql, documentColumn: "doc", typedColumns: typed, now: now,
                events: events)
            {
                summary = try await applyEvaluation(of: segment, usedSQL: true, now: now, started: started) {
                    connection in
                    var bindings = PostgresBindings()
                    for argument in fragment.arguments { try Self.bind(argument, to: &bindings) }
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL:
                                "CREATE TEMP TABLE qualifying ON COMMIT DROP AS SELECT pid FROM \(Self.typedProfiles(typed)) WHERE \(fragment.numberedPlaceholders())",
                            binds: bindings),
                        logger: self.logger
                    ).collect()
                }
            } else {
                let pids = try await qualifyingInSwift(expression, now: now, events: events)
                summary = try await applyEvaluation(of: segment, usedSQL: false, now: now, started: started) {
                    connection in
                    try await connection.query(
                        "CREATE TEMP TABLE qualifying (pid BIGINT) ON COMMIT DROP", logger: self.logger
                    ).collect()
                    var buffer = ByteBuffer()
                    for pid in pids {
                        buffer.writeString(String(pid))
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    }
                    let data = buffer
                    try await connection.copyFrom(table: "qualifying", columns: ["pid"], logger: self.logger) {
                        writer in try await writer.write(data)
                    }
                }
            }
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        } catch {
            // One segment failing must not stop the others: its failure is kept on
            // the segment, in a sentence without SQL, and its members stay as they were.
            guard let failure = Self.evaluationFailure(error) else { throw error }
            var failed = EvaluationSummary.make(
                evaluationId: 0, segmentId: segment.id, segmentName: segment.name, realized: 0, existing: 0,
                exited: 0, purged: 0, usedSQL: false, seconds: Date().timeIntervalSince(started))
            failed.failure = failure
            return failed
        }
    }

    /// Why a segment could not be evaluated, in one sentence without its SQL; nil for
    /// errors that are not the segment's own (a lost connection), which stop the evaluation.
    static func evaluationFailure(_ error: any Error) -> String? {
        if let error = error as? PQLError { return "its PQL no longer parses (\(error))" }
        guard let error = error as? PSQLError, error.code == .server,
            let message = error.serverInfo?[.message]
        else { return nil }
        return "PostgreSQL could not evaluate it (\(message.prefix(120)))"
    }

    /// Keeps each failure on its segment for `segments list`/`show`, and clears the
    /// failure of a segment this evaluation succeeded for.
    func recordFailures(_ summaries: [EvaluationSummary], now: Date) async throws {
        try await transaction { connection in
            for summary in summaries {
                if let failure = summary.failure {
                    try await connection.query(
                        """
                        UPDATE segment SET last_failure = \(failure), last_failed_at = \(now.timeIntervalSince1970)
                        WHERE id = \(summary.segmentId)
                        """, logger: self.logger
                    ).collect()
                } else {
                    try await connection.query(
                        """
                        UPDATE segment SET last_failure = NULL, last_failed_at = NULL
                        WHERE id = \(summary.segmentId) AND last_failure IS NOT NULL
                        """, logger: self.logger
                    ).collect()
                }
            }
        }
    }

    static func bind(_ argument: SQLArgument, to bindings: inout PostgresBindings) throws {
        switch argument {
        case .null: bindings.appendNull()
        case .int(let value): try bindings.append(value)
        case .double(let value): try bindings.append(value)
        case .string(let value): try bindings.append(value)
        }
    }

    /// The pids whose documents satisfy `expression`, read as a stream so
    /// memory holds one row at a time (and the pid list).
    func qualifyingInSwift(_ expression: PQLExpression, now: Date, events: PQLEventStore) async throws -> [Int64] {
        if PQL.readsEvents(expression) { return try await qualifyingWithEvents(expression, now: now, events: events) }
        return try await withConnection { connection in
            var pids: [Int64] = []
            let rows = try await connection.query("SELECT pid, doc::text FROM profile", logger: self.logger)
            for try await (pid, text) in rows.decode((Int64, String).self) {
                if PQL.evaluate(expression, on: try JSONValue.parse(text), now: now) { pids.append(pid) }
            }
            return pids
        }
    }

    /// In one transaction: `fill` makes `qualifying(pid)`, then the
    /// segment's memberships and a new evaluation row follow from it, with
    /// the same rules as the SQLite workspace.
    func applyEvaluation(
        of segment: SegmentRecord, usedSQL: Bool, now: Date, started: Date,
        fill: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws -> EvaluationSummary {
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        let time = now.timeIntervalSince1970
        let logger = self.logger
        return try await transaction { connection in
            // Two workers evaluating one segment at once would compute the
            // same changes twice; the second waits for the first.
            try await connection.query(
                "SELECT 1 FROM segment WHERE sid = \(sid) FOR UPDATE", logger: logger
            ).collect()
            try await fill(connection)
            // The statements below join a segment's members with `qualifying`.
            // A segment evaluated for the first time has no rows in the table's
            // statistics, so the planner expects a handful and may pick a nested
            // loop that scans `qualifying` once per member: minutes at 100,000
            // members instead of a second. Hash joins are linear whatever the
            // statistics say.
            try await connection.query("SET LOCAL enable_nestloop = off", logger: logger).collect()
            let evaluationId = try await connection.query(
                "INSERT INTO evaluation (sid, started_at, used_sql) VALUES (\(sid), \(time), \(usedSQL)) RETURNING id",
                logger: logger
            ).collect()[0].decode(Int64.self)
            // A pid qualifies once: `qualifying` comes from one scan of `profile`.
            let qualifying = try await connection.query("SELECT count(*) FROM qualifying", logger: logger)
                .collect()[0].decode(Int.self)
            // A plain insert of the new members, not ON CONFLICT: its speculative
            // insertion doubles the cost per row. The segment's row lock keeps
            // other evaluations out, and an import moving memberships of merged
            // profiles locks the table first (`PostgresIdentityGraph.finish`).
            var realized = try await connection.query(
                """
                WITH changed AS (
                    INSERT INTO membership (sid, pid, status, last_qualification_time, status_changed_at,
                                            changed_in_evaluation)
                    SELECT \(sid)::bigint, q.pid, 'realized', \(time)::double precision,
                           \(time)::double precision, \(evaluationId)::bigint
                    FROM qualifying q
                    WHERE NOT EXISTS (SELECT 1 FROM membership m WHERE m.sid = \(sid) AND m.pid = q.pid)
                    RETURNING 1
                )
                SELECT count(*) FROM changed
                """, logger: logger
            ).collect()[0].decode(Int.self)
            realized += try await connection.query(
                """
                WITH changed AS (
                    UPDATE membership SET status = 'realized', last_qualification_time = \(time),
                        status_changed_at = \(time), changed_in_evaluation = \(evaluationId)
                    WHERE sid = \(sid) AND status = 'exited' AND pid IN (SELECT pid FROM qualifying)
                      AND changed_in_evaluation <> \(evaluationId)
                    RETURNING 1
                )
                SELECT count(*) FROM changed
                """, logger: logger
            ).collect()[0].decode(Int.self)
            let exited = try await connection.query(
                """
                WITH changed AS (
                    UPDATE membership m SET status = 'exited', status_changed_at = \(time),
                        changed_in_evaluation = \(evaluationId)
                    WHERE m.sid = \(sid) AND m.status = 'realized'
                      AND NOT EXISTS (SELECT 1 FROM qualifying q WHERE q.pid = m.pid)
                    RETURNING 1
                )
                SELECT count(*) FROM changed
                """, logger: logger
            ).collect()[0].decode(Int.self)
            let purged = try await connection.query(
                """
                WITH changed AS (
                    DELETE FROM membership WHERE sid = \(sid) AND status = 'exited'
                      AND status_changed_at < \(time - Self.exitedRetention)
                    RETURNING 1
                )
                SELECT count(*) FROM changed
                """, logger: logger
            ).collect()[0].decode(Int.self)
            // Finished in the same commit as the members it describes, and
            // later than the segment's previous evaluation: an after-evaluation
            // activation owes one run per finish time, so a crash between two
            // commits, or a slower evaluation finishing "earlier", would lose one.
            let finished = time + Date().timeIntervalSince(started)
            try await connection.query(
                """
                UPDATE evaluation SET realized = \(realized), existing = \(qualifying - realized), exited = \(exited),
                    finished_at = GREATEST(\(finished)::double precision,
                        (SELECT max(finished_at) FROM evaluation WHERE sid = \(sid) AND id <> \(evaluationId)) + 0.001)
                WHERE id = \(evaluationId)
                """, logger: logger
            ).collect()
            return EvaluationSummary.make(
                evaluationId: evaluationId, segmentId: segment.id, segmentName: segment.name, realized: realized,
                existing: qualifying - realized, exited: exited, purged: purged, usedSQL: usedSQL, seconds: 0)
        }
    }
}
