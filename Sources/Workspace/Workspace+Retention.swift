import Foundation
import GRDB

extension Workspace {
    /// Claims a key; true for exactly one caller across all processes
    /// sharing the workspace, which is then the one to act (send the alert,
    /// run the prune).
    public func claimOnce(_ key: String, now: Date = Date()) async throws -> Bool {
        try await dbPool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO claim (claimKey, claimedAt) VALUES (?, ?)",
                arguments: [key, now.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    /// Removes runs scheduled before `cutoff`, with their recorded uploads and
    /// the claims made before it. Kept whatever their age: runs still
    /// processing, and per activation and segment the latest run and the
    /// latest successful one, since the scheduler reads them to decide what is
    /// due and incremental files are cut from the last success.
    @discardableResult
    public func pruneRuns(scheduledBefore cutoff: Date) async throws -> Int {
        try await dbPool.write { db in
            try db.execute(
                sql: """
                    WITH pair AS (SELECT DISTINCT activationId, segmentId FROM run),
                    keep(id) AS (
                        SELECT (SELECT r.id FROM run r
                                WHERE r.activationId = pair.activationId AND r.segmentId = pair.segmentId
                                ORDER BY r.scheduledTime DESC LIMIT 1)
                        FROM pair
                        UNION
                        SELECT (SELECT r.id FROM run r
                                WHERE r.activationId = pair.activationId AND r.segmentId = pair.segmentId
                                  AND r.status = 'success'
                                ORDER BY r.scheduledTime DESC LIMIT 1)
                        FROM pair
                    )
                    DELETE FROM run
                    WHERE scheduledTime < :cutoff
                      AND status != 'processing'
                      -- A pair with no success yields NULL here, which NOT IN would
                      -- turn into "keep everything".
                      AND id NOT IN (SELECT id FROM keep WHERE id IS NOT NULL)
                    """,
                arguments: ["cutoff": cutoff.timeIntervalSince1970])
            let removed = db.changesCount
            try db.execute(
                sql: "DELETE FROM claim WHERE claimedAt < ?", arguments: [cutoff.timeIntervalSince1970])
            return removed
        }
    }
}
