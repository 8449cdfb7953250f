import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace {
    /// Evaluates the named segments (all when empty), each in one transaction
    /// (segments sharing a scan in one together): the qualifying pids are
    /// selected inside PostgreSQL with the PQL compiled to its dialect (which
    /// may run as a parallel query) and come back as a member set, 64 pids a
    /// row, which replaces the segment's.
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
        let layout = try await withConnection { connection in
            try await Self.valueLayout(on: connection, logger: self.logger)
        }
        // Segments whose SQL reads only `profile_value` share scans (`evaluateTogether`):
        // one parallel scan computes all their member sets, where a scan each cost the
        // tuple reading and grouping once per segment. The rest are evaluated one by one.
        var shared: [SharedCondition] = []
        var alone: [Int] = []
        for (index, segment) in targets.enumerated() {
            if let condition = Self.sharedCondition(segment, now: now, layout: layout, events: events) {
                shared.append(SharedCondition(index: index, segment: segment, condition: condition))
            } else {
                alone.append(index)
            }
        }
        if shared.count < 2 {
            alone = Array(targets.indices)
            shared = []
        }
        var jobs: [EvaluationJob] = Swift.stride(from: 0, to: shared.count, by: Self.segmentsPerSharedScan).map {
            .together(Array(shared[$0..<min($0 + Self.segmentsPerSharedScan, shared.count)]))
        }
        jobs += alone.map { .alone($0) }
        // Two jobs at a time, each on its own connection, on as many cores as
        // PostgreSQL has. Summaries keep the segments' order.
        var summaries = [EvaluationSummary?](repeating: nil, count: targets.count)
        try await withThrowingTaskGroup(of: [(Int, EvaluationSummary)].self) { tasks in
            var next = 0
            func start() {
                guard next < jobs.count else { return }
                let job = jobs[next]
                next += 1
                tasks.addTask {
                    switch job {
                    case .together(let segments):
                        do {
                            return try await self.evaluateTogether(segments, now: now, layout: layout, events: events)
                        } catch is ValueLayoutChanged {
                            var summaries: [(Int, EvaluationSummary)] = []
                            for shared in segments {
                                summaries.append(
                                    (shared.index, try await self.evaluateOne(shared.segment, now: now, events: events))
                                )
                            }
                            return summaries
                        }
                    case .alone(let index):
                        return [
                            (
                                index,
                                try await self.evaluateOne(targets[index], now: now, events: events, layout: layout)
                            )
                        ]
                    }
                }
            }
            for _ in 0..<Self.concurrentEvaluations { start() }
            while let done = try await tasks.next() {
                for (index, summary) in done { summaries[index] = summary }
                start()
            }
        }
        let done = summaries.compactMap { $0 }
        try await recordFailures(done, now: now)
        return done
    }

    /// How many scans one `evaluate` runs at once.
    static let concurrentEvaluations = 2

    /// At most this many segments share a scan, so its grouping state (a word per
    /// segment per 64 profiles) stays within `sharedScanWorkMemory` up to a few million profiles.
    static let segmentsPerSharedScan = 16

    /// `work_mem` of a shared scan's transaction: its hash aggregate holds 64
    /// profiles' bits per segment in each entry, about 20 MB for 10 segments
    /// and 1,000,000 profiles; past it, PostgreSQL spills to disk.
    static let sharedScanWorkMemory = "64MB"

    /// Work for one connection: segments sharing a scan, or one segment (its index in the targets).
    enum EvaluationJob: Sendable {
        case together([SharedCondition])
        case alone(Int)
    }

    /// A segment evaluated in a shared scan, with its compiled condition.
    struct SharedCondition: Sendable {
        var index: Int
        var segment: SegmentRecord
        var condition: SQLFragment
    }

    /// The segment's condition when it can share a scan: compiled to SQL that reads
    /// only the typed values, without a subquery (the document read row by row,
    /// events, other segments' members), which would keep the aggregates out of
    /// the parallel workers.
    static func sharedCondition(_ segment: SegmentRecord, now: Date, layout: ValueLayout, events: PQLEventStore)
        -> SQLFragment?
    {
        guard let expression = try? PQL.parse(segment.pql),
            let fragment = PQL.sqlWhere(
                expression, dialect: .postgresql, documentColumn: "doc", typedColumns: layout.typed, now: now,
                events: events, lazyDocument: Self.lazyDocument, nativeValues: true, objectColumns: layout.marks),
            !readsDocument(fragment), fragment.sql.range(of: "select", options: .caseInsensitive) == nil
        else { return nil }
        return fragment
    }

    /// Evaluates `segments` in one transaction over one scan of `profile_value`:
    /// a member set per segment, each then recorded as `evaluateOne` records it.
    /// When PostgreSQL refuses the scan, each segment is evaluated by itself, so
    /// the failure is the failing segment's alone.
    func evaluateTogether(_ segments: [SharedCondition], now: Date, layout: ValueLayout, events: PQLEventStore)
        async throws -> [(Int, EvaluationSummary)]
    {
        let started = Date()
        var bindings = PostgresBindings()
        var columns: [String] = []
        var next = 1
        for shared in segments {
            for argument in shared.condition.arguments { try Self.bind(argument, to: &bindings) }
            columns.append(
                "bit_or(CASE WHEN \(shared.condition.numberedPlaceholders(from: next)) "
                    + "THEN 1::bigint << (pid & 63)::integer ELSE 0 END)")
            next += shared.condition.arguments.count
        }
        let sql =
            "SELECT pid >> 6, \(columns.joined(separator: ", ")) FROM "
            + "\(Self.typedProfiles(layout.typed, marks: layout.marks, readsDocument: false)) GROUP BY 1"
        let binds = bindings
        let logger = self.logger
        do {
            let summaries = try await transaction { connection in
                try await Self.lockForEvaluation(segments.compactMap(\.segment.sid), on: connection, logger: logger)
                try await Self.prepareScan(shared: true, on: connection, logger: logger)
                var sets = [MemberBitmap](repeating: MemberBitmap(), count: segments.count)
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                for try await row in rows {
                    var cells = row.makeIterator()
                    guard let word = try cells.next()?.decode(Int64.self) else { continue }
                    for index in sets.indices {
                        if let bits = try cells.next()?.decode(Int64.self), bits != 0 {
                            sets[index].insert(word: word, bits: bits)
                        }
                    }
                }
                try await Self.expectLayout(layout, on: connection, logger: logger)
                var summaries: [(Int, EvaluationSummary)] = []
                for (shared, members) in zip(segments, sets) {
                    summaries.append(
                        (
                            shared.index,
                            try await Self.recordEvaluation(
                                of: shared.segment, members: members, usedSQL: true, now: now, started: started,
                                on: connection, logger: logger)
                        ))
                }
                return summaries
            }
            let seconds = Date().timeIntervalSince(started)
            return summaries.map { index, summary in
                var summary = summary
                summary.seconds = seconds
                return (index, summary)
            }
        } catch  where Self.evaluationFailure(error) != nil {
            var summaries: [(Int, EvaluationSummary)] = []
            for shared in segments {
                summaries.append(
                    (shared.index, try await evaluateOne(shared.segment, now: now, events: events, layout: layout)))
            }
            return summaries
        }
    }

    /// Settings for a segment scan, for the rest of the caller's transaction. JIT
    /// compilation costs more than it saves on these scans (their conditions are
    /// mostly calls of jsonb functions, which it cannot inline). A shared scan's
    /// grouping is hashed: the planner cannot estimate how few groups `pid >> 6`
    /// makes and would sort every row by it.
    static func prepareScan(shared: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("SET LOCAL jit = off", logger: logger).collect()
        guard shared else { return }
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "SET LOCAL work_mem = '\(sharedScanWorkMemory)'"), logger: logger
        ).collect()
        _ = try await connection.query("SET LOCAL enable_sort = off", logger: logger).collect()
    }

    /// One segment's evaluation; a failure that is the segment's own comes back in the summary.
    /// Compiled for `layout` (the current one when nil), and again for the current one
    /// when columns were added while it ran (`expectLayout`).
    func evaluateOne(_ segment: SegmentRecord, now: Date, events: PQLEventStore, layout: ValueLayout? = nil)
        async throws -> EvaluationSummary
    {
        var attempt = 0
        var layout = layout
        while true {
            attempt += 1
            do {
                let current: ValueLayout
                if let layout {
                    current = layout
                } else {
                    current = try await withConnection { connection in
                        try await Self.valueLayout(on: connection, logger: self.logger)
                    }
                }
                return try await evaluateOnce(segment, now: now, layout: current, events: events)
            } catch is ValueLayoutChanged where attempt < 5 {
                layout = nil
            }
        }
    }

    private func evaluateOnce(_ segment: SegmentRecord, now: Date, layout: ValueLayout, events: PQLEventStore)
        async throws -> EvaluationSummary
    {
        let started = Date()
        do {
            let expression = try PQL.parse(segment.pql)
            var summary: EvaluationSummary
            if let fragment = PQL.sqlWhere(
                expression, dialect: .postgresql, documentColumn: "doc", typedColumns: layout.typed, now: now,
                events: events, lazyDocument: Self.lazyDocument, nativeValues: true, objectColumns: layout.marks)
            {
                var bindings = PostgresBindings()
                for argument in fragment.arguments { try Self.bind(argument, to: &bindings) }
                let binds = bindings
                let logger = self.logger
                summary = try await applyEvaluation(of: segment, usedSQL: true, now: now, started: started) {
                    connection in
                    try await Self.prepareScan(shared: false, on: connection, logger: logger)
                    let members = try await Self.qualifyingSet(
                        from: Self.typedProfiles(
                            layout.typed, marks: layout.marks, readsDocument: Self.readsDocument(fragment)),
                        where: fragment.numberedPlaceholders(), binds: binds,
                        on: connection, logger: logger)
                    try await Self.expectLayout(layout, on: connection, logger: logger)
                    return members
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
    /// Thrown by an evaluation whose scan may have met values written with
    /// columns added since its SQL was compiled.
    struct ValueLayoutChanged: Error {}

    /// Throws `ValueLayoutChanged` unless the typed columns and object marks are
    /// still `layout`, read after a scan: catalogs only grow, so the rows the scan
    /// saw were written with no column it did not know. A mark is NULL for a typed
    /// value below it, which the SQL reads as an object only for the columns it knows.
    static func expectLayout(_ layout: ValueLayout, on connection: PostgresConnection, logger: Logger) async throws {
        guard !layout.marks.isEmpty else { return }
        guard try await valueLayout(on: connection, logger: logger) == layout else { throw ValueLayoutChanged() }
    }

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
                    _ = try await connection.query(
                        """
                        UPDATE segment SET last_failure = \(failure), last_failed_at = \(now.timeIntervalSince1970)
                        WHERE id = \(summary.segmentId)
                        """, logger: self.logger
                    ).collect()
                } else {
                    _ = try await connection.query(
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
        case .int(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .string(let value): bindings.append(value)
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
        _ = try await connection.query("LOCK TABLE segment_members IN ROW EXCLUSIVE MODE", logger: logger).collect()
        // Two workers evaluating one segment at once would compute the same
        // changes twice; the second waits for the first. In sid order, so two
        // evaluations of overlapping segments cannot deadlock.
        _ = try await connection.query(
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
        _ = try await connection.query(
            """
            INSERT INTO member_delta (evaluation_id, entered, exited)
            VALUES (\(evaluationId), \(entered.data), \(exited.data))
            """, logger: logger
        ).collect()
        _ = try await connection.query(
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
        _ = try await connection.query(
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
