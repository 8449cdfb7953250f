import Foundation
import PostgresNIO
import Workspace

extension PostgresWorkspace: LeaseStore {
    /// Takes the lease unless a live holder has it. The row is locked with
    /// `FOR UPDATE SKIP LOCKED`: a worker that finds another worker taking the
    /// same key at this instant moves on at once instead of queueing behind it.
    public func acquireLease(_ runKey: String, holder: String, duration: TimeInterval, now: Date) async throws
        -> RunLease?
    {
        try await transaction { connection in
            _ = try await connection.query(
                "INSERT INTO lease (run_key, holder, expires_at, token) VALUES (\(runKey), '', 0, 0) ON CONFLICT DO NOTHING",
                logger: self.logger
            ).collect()
            guard
                let row = try await connection.query(
                    "SELECT holder, expires_at, token FROM lease WHERE run_key = \(runKey) FOR UPDATE SKIP LOCKED",
                    logger: self.logger
                ).collect().first
            else { return nil }
            let (current, expiresAt, token) = try row.decode((String, Double, Int64).self)
            if expiresAt >= now.timeIntervalSince1970, current != holder { return nil }
            let next = token + 1
            _ = try await connection.query(
                """
                UPDATE lease SET holder = \(holder), expires_at = \(now.addingTimeInterval(duration).timeIntervalSince1970),
                    token = \(next)
                WHERE run_key = \(runKey)
                """, logger: self.logger
            ).collect()
            return RunLease(runKey: runKey, holder: holder, token: next)
        }
    }

    public func renewLease(_ lease: RunLease, duration: TimeInterval, now: Date) async throws -> Bool {
        try await transaction { connection in
            try await !connection.query(
                """
                UPDATE lease SET expires_at = \(now.addingTimeInterval(duration).timeIntervalSince1970)
                WHERE run_key = \(lease.runKey) AND token = \(lease.token) RETURNING 1
                """, logger: self.logger
            ).collect().isEmpty
        }
    }

    public func checkLease(_ lease: RunLease) async throws {
        try await transaction { connection in try await self.verify(lease, on: connection) }
    }

    /// Inside a write's transaction: the lease row is share-locked until the
    /// commit, so a takeover waits for this write or this write sees it; a
    /// write made under an older token is never recorded after a newer one.
    func verify(_ lease: RunLease?, on connection: PostgresConnection) async throws {
        guard let lease else { return }
        let current = try await connection.query(
            "SELECT token FROM lease WHERE run_key = \(lease.runKey) FOR SHARE", logger: logger
        ).collect().first?.decode(Int64.self)
        guard current == lease.token else { throw LeaseLostError(runKey: lease.runKey, token: lease.token) }
    }

    /// Detached, as on SQLite: called on the way out of a cancelled task.
    public func releaseLease(_ lease: RunLease) async {
        await Task.detached {
            _ = try? await self.transaction { connection in
                try await connection.query(
                    "UPDATE lease SET expires_at = 0 WHERE run_key = \(lease.runKey) AND token = \(lease.token)",
                    logger: self.logger
                ).collect()
            }
        }.value
    }

    public func expireLease(_ runKey: String, heldBy holder: String) async throws {
        _ = try await transaction { connection in
            try await connection.query(
                "UPDATE lease SET expires_at = 0 WHERE run_key = \(runKey) AND holder = \(holder)", logger: self.logger
            ).collect()
        }
    }

    public func leaseHolder(_ runKey: String, now: Date) async throws -> String? {
        try await withConnection { connection in
            try await connection.query(
                "SELECT holder FROM lease WHERE run_key = \(runKey) AND expires_at >= \(now.timeIntervalSince1970)",
                logger: self.logger
            ).collect().first?.decode(String.self)
        }
    }

    /// True for the one caller that takes `key`, even when its commit's
    /// reply was lost and the transaction ran again: the retry finds the
    /// claim made under this call's request id.
    public func claimOnce(_ key: String, now: Date) async throws -> Bool {
        try await claimOnce(key, now: now, request: UUID().uuidString.lowercased())
    }

    func claimOnce(_ key: String, now: Date, request: String) async throws -> Bool {
        try await transaction { connection in
            let holder = try await connection.query(
                """
                WITH taken AS (
                    INSERT INTO claim (claim_key, claimed_at, request_id)
                    VALUES (\(key), \(now.timeIntervalSince1970), \(request))
                    ON CONFLICT DO NOTHING RETURNING request_id
                )
                SELECT request_id FROM taken
                UNION ALL SELECT request_id FROM claim WHERE claim_key = \(key)
                LIMIT 1
                """, logger: self.logger
            ).collect().first?.decode(String?.self)
            return holder == request
        }
    }
}
