import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace {
    /// Evaluates the named segments (all when empty), each in one transaction:
    /// the qualifying pids are selected inside PostgreSQL with the PQL
    /// compiled to its dialect (which may run as a parallel query) and come
    /// back as a member set, 64 pids a row, which replaces the segment's.
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
        // Two segments at a time, each on its own connection, on as many cores
        // as PostgreSQL has. Summaries keep the segments' order. (One scan for
        // all of them measured slower: PostgreSQL then evaluates every
        // condition in one process, where separate scans run in parallel.)
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
                events: events, lazyDocument: Self.lazyDocument)
            {
                var bindings = PostgresBindings()
                for argument in fragment.arguments { try Self.bind(argument, to: &bindings) }
                let binds = bindings
                summary = try await applyEvaluation(of: segment, usedSQL: true, now: now, started: started) {
                    connection in
                    try await Self.qualifyingSet(
                        from: Self.typedProfiles(typed, readsDocument: Self.readsDocument(fragment)),
                        where: fragment.numberedPlaceholders(), binds: binds,
                        on: connection, logger: self.logger)
                }
            } else {
                let pids = try await qualifyingInSwift(expression, now: now, events: events)
                summary = try await applyEvaluation(of: segment, usedSQL: false, now: now, started: started) { _ in
                    var members = MemberBitmap()
                    for pid in pids { members.insert(pid) }
                    return members
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

    /// In one transaction: `qualifying` selects the members, then the segment's
    /// member set, the evaluation's delta and a new evaluation row follow from
    /// it, with the same rules as the SQLite workspace.
    func applyEvaluation(
        of segment: SegmentRecord, usedSQL: Bool, now: Date, started: Date,
        qualifying: @escaping @Sendable (PostgresConnection) async throws -> MemberBitmap
    ) async throws -> EvaluationSummary {
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        let logger = self.logger
        return try await transaction { connection in
            try await Self.lockForEvaluation([sid], on: connection, logger: logger)
            return try await Self.recordEvaluation(
                of: segment, members: try await qualifying(connection), usedSQL: usedSQL, now: now, started: started,
                on: connection, logger: logger)
        }
    }

    /// Taken first by an evaluation's transaction.
    static func lockForEvaluation(_ sids: [Int64], on connection: PostgresConnection, logger: Logger) async throws {
        // An import that merges profiles moves their bits under a SHARE ROW
        // EXCLUSIVE lock of this table (`PostgresIdentityGraph.finish`): it
        // waits for the evaluations running, and those starting wait for it.
        try await connection.query("LOCK TABLE segment_members IN ROW EXCLUSIVE MODE", logger: logger).collect()
        // Two workers evaluating one segment at once would compute the same
        // changes twice; the second waits for the first. In sid order, so two
        // evaluations of overlapping segments cannot deadlock.
        try await connection.query(
            "SELECT 1 FROM segment WHERE sid = ANY(\(sids)) ORDER BY sid FOR UPDATE", logger: logger
        ).collect()
    }

    /// Replaces a segment's member set with `members`, in the caller's transaction
    /// (which holds `lockForEvaluation`): who entered and who exited since the
    /// previous evaluation, and a new evaluation row.
    static func recordEvaluation(
        of segment: SegmentRecord, members: MemberBitmap, usedSQL: Bool, now: Date, started: Date,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> EvaluationSummary {
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        let time = now.timeIntervalSince1970
        // Read under the lock: another process may have evaluated meanwhile.
        let before = try await membershipSnapshot(sid: sid, on: connection, logger: logger)
        let entered = members.subtracting(before.current)
        let exited = before.current.subtracting(members)
        let existing = members.count - entered.count
        let evaluationId = try await connection.query(
            """
            INSERT INTO evaluation (sid, started_at, realized, existing, exited, used_sql)
            VALUES (\(sid), \(time), \(entered.count), \(existing), \(exited.count), \(usedSQL)) RETURNING id
            """,
            logger: logger
        ).collect()[0].decode(Int64.self)
        try await connection.query(
            """
            INSERT INTO member_delta (evaluation_id, entered, exited)
            VALUES (\(evaluationId), \(entered.data), \(exited.data))
            """, logger: logger
        ).collect()
        try await connection.query(
            """
            INSERT INTO segment_members (sid, evaluation_id, members) VALUES (\(sid), \(evaluationId), \(members.data))
            ON CONFLICT (sid) DO UPDATE SET evaluation_id = excluded.evaluation_id, members = excluded.members
            """, logger: logger
        ).collect()
        var after = before
        after.current = members
        after.deltas.append(.init(evaluationId: evaluationId, time: time, entered: entered, exited: exited))
        // Exits that fell out of the 30 days are forgotten by this evaluation.
        let purged = before.exited.subtracting(after.exited).subtracting(members).count
        // Finished in the same commit as the members it describes, and
        // later than the segment's previous evaluation: an after-evaluation
        // activation owes one run per finish time, so a crash between two
        // commits, or a slower evaluation finishing "earlier", would lose one.
        let finished = time + Date().timeIntervalSince(started)
        try await connection.query(
            """
            UPDATE evaluation SET finished_at = GREATEST(\(finished)::double precision,
                    (SELECT max(finished_at) FROM evaluation WHERE sid = \(sid) AND id <> \(evaluationId)) + 0.001)
            WHERE id = \(evaluationId)
            """, logger: logger
        ).collect()
        return EvaluationSummary.make(
            evaluationId: evaluationId, segmentId: segment.id, segmentName: segment.name,
            realized: entered.count, existing: existing, exited: exited.count, purged: purged, usedSQL: usedSQL,
            seconds: 0)
    }
}
