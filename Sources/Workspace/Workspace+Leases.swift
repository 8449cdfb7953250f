import Foundation
import GRDB

extension Workspace {
    /// Takes the lease on a run key unless a live holder has it. SQLite
    /// serialises writers, so two processes never both succeed.
    public func acquireLease(_ runKey: String, holder: String, duration: TimeInterval, now: Date = Date()) throws
        -> Bool
    {
        try dbPool.write { db in
            try db.execute(
                sql: "DELETE FROM lease WHERE runKey = ? AND (expiresAt < ? OR holder = ?)",
                arguments: [runKey, now.timeIntervalSince1970, holder])
            try db.execute(
                sql: "INSERT OR IGNORE INTO lease (runKey, holder, expiresAt) VALUES (?, ?, ?)",
                arguments: [runKey, holder, now.addingTimeInterval(duration).timeIntervalSince1970])
            return try String.fetchOne(db, sql: "SELECT holder FROM lease WHERE runKey = ?", arguments: [runKey])
                == holder
        }
    }

    public func renewLease(_ runKey: String, holder: String, duration: TimeInterval, now: Date = Date()) throws {
        try dbPool.write { db in
            try db.execute(
                sql: "UPDATE lease SET expiresAt = ? WHERE runKey = ? AND holder = ?",
                arguments: [now.addingTimeInterval(duration).timeIntervalSince1970, runKey, holder])
        }
    }

    /// Synchronous on purpose: it runs on the way out of a cancelled task, where async database calls would refuse.
    public func releaseLease(_ runKey: String, holder: String) {
        try? dbPool.write { db in
            try db.execute(sql: "DELETE FROM lease WHERE runKey = ? AND holder = ?", arguments: [runKey, holder])
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
    public func lastSuccessfulRun(activationId: String, segmentId: String) async throws -> RunRecord? {
        try await dbPool.read { db in
            try RunRecord
                .filter(
                    RunRecord.Columns.activationId == activationId && RunRecord.Columns.segmentId == segmentId
                        && RunRecord.Columns.status == RunRecord.Status.success.rawValue
                )
                .order(RunRecord.Columns.scheduledTime.desc)
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
}

extension Workspace {
    /// Who holds a run key's lease now, if anyone.
    public func leaseHolder(_ runKey: String) throws -> String? {
        try dbPool.read { db in
            try String.fetchOne(db, sql: "SELECT holder FROM lease WHERE runKey = ?", arguments: [runKey])
        }
    }
}
