import Foundation
import GRDB

/// A held lease on one run key. The token grows by one each time the key
/// changes hands, so a write made under an older token can be told from
/// the current holder's and refused (a fencing token).
public struct RunLease: Sendable, Hashable {
    public var runKey: String
    public var holder: String
    public var token: Int64

    public init(runKey: String, holder: String, token: Int64) {
        self.runKey = runKey
        self.holder = holder
        self.token = token
    }
}

/// A write was refused because another process took the run over after
/// this one's lease lapsed (it was stopped, or starved, for longer than the
/// lease). The other process now owns the run; this one must not touch it.
public struct LeaseLostError: Error, Sendable, CustomStringConvertible {
    public var runKey: String
    public var token: Int64

    public init(runKey: String, token: Int64) {
        self.runKey = runKey
        self.token = token
    }

    public var description: String {
        "this process lost the lease on the run and another process has taken it over; it stopped without writing"
    }
}

extension Workspace {
    /// Takes the lease on a run key unless a live holder has it. SQLite
    /// serialises writers, so two processes never both succeed. Returns nil
    /// when another holder's lease is still live.
    public func acquireLease(_ runKey: String, holder: String, duration: TimeInterval, now: Date = Date())
        async throws -> RunLease?
    {
        try await dbPool.write { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT holder, expiresAt, token FROM lease WHERE runKey = ?", arguments: [runKey])
            if let row, (row["expiresAt"] as Double) >= now.timeIntervalSince1970, (row["holder"] as String) != holder {
                return nil
            }
            // The row is kept after release so the token only ever grows.
            let token = ((row?["token"] as Int64?) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO lease (runKey, holder, expiresAt, token) VALUES (?, ?, ?, ?)
                    ON CONFLICT(runKey) DO UPDATE SET holder = excluded.holder, expiresAt = excluded.expiresAt,
                        token = excluded.token
                    """,
                arguments: [runKey, holder, now.addingTimeInterval(duration).timeIntervalSince1970, token])
            return RunLease(runKey: runKey, holder: holder, token: token)
        }
    }

    /// Extends a lease. False when a newer holder has taken the key, after
    /// which the caller must stop; a lapsed lease nobody took is extended,
    /// since nothing was lost.
    public func renewLease(_ lease: RunLease, duration: TimeInterval, now: Date = Date()) async throws -> Bool {
        try await dbPool.write { db in
            try db.execute(
                sql: "UPDATE lease SET expiresAt = ? WHERE runKey = ? AND token = ?",
                arguments: [now.addingTimeInterval(duration).timeIntervalSince1970, lease.runKey, lease.token])
            return db.changesCount == 1
        }
    }

    /// Throws `LeaseLostError` when a newer holder has the key.
    public func checkLease(_ lease: RunLease) async throws {
        try await dbPool.read { db in try Self.verify(lease, in: db) }
    }

    static func verify(_ lease: RunLease?, in db: Database) throws {
        guard let lease else { return }
        let current = try Int64.fetchOne(db, sql: "SELECT token FROM lease WHERE runKey = ?", arguments: [lease.runKey])
        guard current == lease.token else { throw LeaseLostError(runKey: lease.runKey, token: lease.token) }
    }

    /// Ends a lease early so the next process need not wait for it to lapse.
    /// Runs detached: it is called on the way out of a cancelled task, where
    /// the task's own database calls would refuse.
    public func releaseLease(_ lease: RunLease) async {
        await Task.detached { [dbPool] in
            try? await dbPool.write { db in
                try db.execute(
                    sql: "UPDATE lease SET expiresAt = 0 WHERE runKey = ? AND token = ?",
                    arguments: [lease.runKey, lease.token])
            }
        }.value
    }

    /// Lets a key be taken at once when its holder is known to be gone.
    public func expireLease(_ runKey: String, heldBy holder: String) async throws {
        try await dbPool.write { db in
            try db.execute(
                sql: "UPDATE lease SET expiresAt = 0 WHERE runKey = ? AND holder = ?", arguments: [runKey, holder])
        }
    }

    /// Who holds a run key's lease now, if anyone.
    public func leaseHolder(_ runKey: String, now: Date = Date()) async throws -> String? {
        try await dbPool.read { db in
            try String.fetchOne(
                db, sql: "SELECT holder FROM lease WHERE runKey = ? AND expiresAt >= ?",
                arguments: [runKey, now.timeIntervalSince1970])
        }
    }

    /// The run of (activation, segment, scheduled time), if one was started.
    public func run(activationId: String, segmentId: String, scheduledTime: Date) async throws -> RunRecord? {
        try await dbPool.read { db in
            try RunRecord
                .filter(
                    RunRecord.Columns.activationId == activationId && RunRecord.Columns.segmentId == segmentId
                        && RunRecord.Columns.scheduledTime == scheduledTime.timeIntervalSince1970
                )
                .fetchOne(db)
        }
    }

    /// The latest successful run of a segment within an activation.
    /// With `scheduledAtOrBefore`, a run recorded at a later time (a mistyped
    /// `--at`) is not counted, so it cannot hold the schedule back.
    public func lastSuccessfulRun(activationId: String, segmentId: String, scheduledAtOrBefore: Date = .distantFuture)
        async throws -> RunRecord?
    {
        try await dbPool.read { db in
            try RunRecord
                .filter(
                    RunRecord.Columns.activationId == activationId && RunRecord.Columns.segmentId == segmentId
                        && RunRecord.Columns.status == RunRecord.Status.success.rawValue
                        && RunRecord.Columns.scheduledTime <= scheduledAtOrBefore.timeIntervalSince1970
                )
                .order(RunRecord.Columns.scheduledTime.desc)
                .fetchOne(db)
        }
    }

    /// The evaluation the latest successful run of a segment within an
    /// activation exported, not counting `runId` (a retry of a run that
    /// already succeeded must not cut its file from itself).
    public func lastExportedEvaluationId(activationId: String, segmentId: String, excludingRun runId: String)
        async throws -> Int64?
    {
        try await dbPool.read { db in
            try RunRecord
                .filter(
                    RunRecord.Columns.activationId == activationId && RunRecord.Columns.segmentId == segmentId
                        && RunRecord.Columns.status == RunRecord.Status.success.rawValue
                        && RunRecord.Columns.id != runId && RunRecord.Columns.evaluationId != nil
                )
                .order(RunRecord.Columns.scheduledTime.desc)
                .select(RunRecord.Columns.evaluationId, as: Int64.self)
                .fetchOne(db)
        }
    }

    /// The latest run of a segment in any activation, for deciding whether to evaluate again.
    public func lastRun(segmentId: String) async throws -> RunRecord? {
        try await dbPool.read { db in
            try RunRecord.filter(RunRecord.Columns.segmentId == segmentId).order(RunRecord.Columns.startedAt.desc)
                .fetchOne(db)
        }
    }

    /// Runs newest first with the monitoring filters.
    public func runs(
        activationId: String?, status: RunRecord.Status?, since: Date?, segmentId: String?, limit: Int = 1000
    ) async throws -> [RunRecord] {
        try await dbPool.read { db in
            var request = RunRecord.order(RunRecord.Columns.startedAt.desc)
            if let activationId { request = request.filter(RunRecord.Columns.activationId == activationId) }
            if let status { request = request.filter(RunRecord.Columns.status == status.rawValue) }
            if let since { request = request.filter(RunRecord.Columns.startedAt >= since.timeIntervalSince1970) }
            if let segmentId { request = request.filter(RunRecord.Columns.segmentId == segmentId) }
            return try request.limit(limit).fetchAll(db)
        }
    }

    /// Removes one run with its recorded uploads, e.g. a run made by mistake
    /// with a wrong `--at` that would otherwise hold back its schedule.
    /// A run being processed is refused.
    public func deleteRun(id: String) async throws -> RunRecord {
        try await dbPool.write { db in
            guard let run = try RunRecord.fetchOne(db, key: id.lowercased()) else {
                throw WorkspaceError(.runNotFound, "No run has the id '\(id)'; `ferry runs list` shows them.")
            }
            let leased = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM lease WHERE runKey LIKE ? AND expiresAt >= ?",
                arguments: ["\(run.activationId)|\(run.segmentId)|%", Date().timeIntervalSince1970])
            if run.status == .processing, leased == true {
                throw WorkspaceError(
                    .runNotFound, "Run \(run.id) is being processed by a ferry process now; wait for it to end.")
            }
            try db.execute(sql: "DELETE FROM runUpload WHERE runId = ?", arguments: [run.id])
            try db.execute(sql: "DELETE FROM runFile WHERE runId = ?", arguments: [run.id])
            try run.delete(db)
            return run
        }
    }
}
