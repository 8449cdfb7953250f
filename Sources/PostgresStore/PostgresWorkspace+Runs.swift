import Foundation
import PostgresNIO
import Workspace

extension PostgresWorkspace: RunLedger {
    public func beginRun(
        activationId: String, segmentId: String, destinationId: String, scheduledTime: Date, mode: ExportMode,
        now: Date, lease: RunLease?
    ) async throws -> RunRecord {
        // Made once per call, not per attempt: when a commit's reply is lost
        // and `transaction` runs this again, the row already carries it, so
        // the retry returns that run instead of counting another attempt.
        try await beginRun(
            activationId: activationId, segmentId: segmentId, destinationId: destinationId,
            scheduledTime: scheduledTime, mode: mode, now: now, lease: lease, request: UUID().uuidString.lowercased())
    }

    func beginRun(
        activationId: String, segmentId: String, destinationId: String, scheduledTime: Date, mode: ExportMode,
        now: Date, lease: RunLease?, request: String
    ) async throws -> RunRecord {
        let worker = lease?.holder
        return try await transaction { connection in
            try await self.verify(lease, on: connection)
            if let row = try await connection.query(
                "SELECT \(unescaped: PostgresRows.runColumns) FROM run WHERE request_id = \(request)",
                logger: self.logger
            ).collect().first {
                return try PostgresRows.run(row)
            }
            let fresh = RunRecord(
                id: UUID().uuidString.lowercased(), activationId: activationId, segmentId: segmentId,
                destinationId: destinationId, scheduledTime: scheduledTime, startedAt: now, mode: mode)
            // One statement for both cases, so two processes starting the same
            // run at once end with one row (the unique key) and both see it.
            let rows = try await connection.query(
                """
                INSERT INTO run (id, activation_id, segment_id, destination_id, scheduled_time, started_at, status, mode,
                                 worker, request_id)
                VALUES (\(fresh.id), \(activationId), \(segmentId), \(destinationId),
                        \(scheduledTime.timeIntervalSince1970), \(now.timeIntervalSince1970), 'processing',
                        \(mode.rawValue), \(worker), \(request))
                ON CONFLICT (activation_id, segment_id, scheduled_time) DO UPDATE
                    SET attempts = run.attempts + 1, status = 'processing', started_at = excluded.started_at,
                        finished_at = NULL, error = NULL, worker = excluded.worker, request_id = excluded.request_id
                RETURNING \(unescaped: PostgresRows.runColumns)
                """, logger: self.logger
            ).collect()
            return try PostgresRows.run(rows[0])
        }
    }

    public func saveRun(_ run: RunRecord, lease: RunLease?) async throws {
        try await transaction { connection in
            try await self.verify(lease, on: connection)
            _ = try await connection.query(
                """
                UPDATE run SET started_at = \(run.startedAt.timeIntervalSince1970),
                    finished_at = \(run.finishedAt?.timeIntervalSince1970), status = \(run.status.rawValue),
                    mode = \(run.mode.rawValue), evaluation_id = \(run.evaluationId),
                    profiles_received = \(run.profilesReceived), exported = \(run.exported),
                    excluded_mandatory = \(run.excludedMandatory), excluded_duplicate = \(run.excludedDuplicate),
                    files = \(PostgresRows.json(run.files)), error = \(run.error), attempts = \(run.attempts),
                    skipped_times = \(run.skippedTimes)
                WHERE id = \(run.id)
                """, logger: self.logger
            ).collect()
        }
    }

    public func run(id: String) async throws -> RunRecord {
        let found = try await selectRuns("WHERE id = $1", [id.lowercased()], limit: 1).first
        guard let found else {
            throw WorkspaceError(.runNotFound, "No run has the id '\(id)'; `ferry runs list` shows them.")
        }
        return found
    }

    public func run(activationId: String, segmentId: String, scheduledTime: Date) async throws -> RunRecord? {
        try await selectRuns(
            "WHERE activation_id = $1 AND segment_id = $2 AND scheduled_time = $3",
            [activationId, segmentId, scheduledTime.timeIntervalSince1970], limit: 1
        ).first
    }

    public func runs(activationId: String?, limit: Int) async throws -> [RunRecord] {
        try await runs(activationId: activationId, status: nil, since: nil, segmentId: nil, limit: limit)
    }

    public func runs(activationId: String?, status: RunRecord.Status?, since: Date?, segmentId: String?, limit: Int)
        async throws -> [RunRecord]
    {
        var conditions: [String] = []
        var values: [any PostgresEncodable & Sendable] = []
        func add(_ condition: String, _ value: any PostgresEncodable & Sendable) {
            values.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(values.count)"))
        }
        if let activationId { add("activation_id = ?", activationId) }
        if let status { add("status = ?", status.rawValue) }
        if let since { add("started_at >= ?", since.timeIntervalSince1970) }
        if let segmentId { add("segment_id = ?", segmentId) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await selectRuns(filter + " ORDER BY started_at DESC", values, limit: limit)
    }

    /// The worker (host:pid:id) that last took each run up, by run id.
    public func workers(ofRuns ids: [String]) async throws -> [String: String] {
        try await withConnection { connection in
            var workers: [String: String] = [:]
            for row in try await connection.query(
                "SELECT id, worker FROM run WHERE id = ANY(\(ids)) AND worker IS NOT NULL", logger: self.logger
            ).collect() {
                let (id, worker) = try row.decode((String, String).self)
                workers[id] = worker
            }
            return workers
        }
    }

    public func lastSuccessfulRun(activationId: String, segmentId: String, scheduledAtOrBefore: Date) async throws
        -> RunRecord?
    {
        try await selectRuns(
            """
            WHERE activation_id = $1 AND segment_id = $2 AND status = 'success' AND scheduled_time <= $3
            ORDER BY scheduled_time DESC
            """, [activationId, segmentId, scheduledAtOrBefore.timeIntervalSince1970], limit: 1
        ).first
    }

    public func lastRun(segmentId: String) async throws -> RunRecord? {
        try await selectRuns("WHERE segment_id = $1 ORDER BY started_at DESC", [segmentId], limit: 1).first
    }

    public func lastExportedEvaluationId(activationId: String, segmentId: String, excludingRun runId: String)
        async throws -> Int64?
    {
        try await selectRuns(
            """
            WHERE activation_id = $1 AND segment_id = $2 AND status = 'success' AND id <> $3
              AND evaluation_id IS NOT NULL
            ORDER BY scheduled_time DESC
            """, [activationId, segmentId, runId], limit: 1
        ).first?.evaluationId
    }

    func selectRuns(_ clause: String, _ values: [any PostgresEncodable & Sendable], limit: Int) async throws
        -> [RunRecord]
    {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        bindings.append(limit)
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(PostgresRows.runColumns) FROM run \(clause) LIMIT $\(values.count + 1)",
            binds: bindings)
        return try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect().map(PostgresRows.run)
        }
    }

    public func deleteRun(id: String) async throws -> RunRecord {
        try await transaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT \(unescaped: PostgresRows.runColumns) FROM run WHERE id = \(id.lowercased()) FOR UPDATE",
                    logger: self.logger
                ).collect().first
            else {
                throw WorkspaceError(.runNotFound, "No run has the id '\(id)'; `ferry runs list` shows them.")
            }
            let run = try PostgresRows.run(row)
            let pattern = "\(run.activationId)|\(run.segmentId)|%"
            let leased = try await connection.query(
                """
                SELECT 1 FROM lease WHERE run_key LIKE \(pattern) AND expires_at >= \(Date().timeIntervalSince1970)
                LIMIT 1
                """, logger: self.logger
            ).collect()
            if run.status == .processing, !leased.isEmpty {
                throw WorkspaceError(
                    .runNotFound, "Run \(run.id) is being processed by a ferry process now; wait for it to end.")
            }
            _ = try await connection.query("DELETE FROM run WHERE id = \(run.id)", logger: self.logger).collect()
            return run
        }
    }

    /// Keeps, per activation and segment, the latest run and the latest
    /// successful one, as on SQLite: the scheduler reads them.
    @discardableResult
    public func pruneRuns(scheduledBefore cutoff: Date) async throws -> Int {
        try await transaction { connection in
            let removed = try await connection.query(
                """
                WITH keep AS (
                    SELECT DISTINCT ON (activation_id, segment_id) id FROM run
                    ORDER BY activation_id, segment_id, scheduled_time DESC
                ), keep_success AS (
                    SELECT DISTINCT ON (activation_id, segment_id) id FROM run WHERE status = 'success'
                    ORDER BY activation_id, segment_id, scheduled_time DESC
                ), changed AS (
                    DELETE FROM run
                    WHERE scheduled_time < \(cutoff.timeIntervalSince1970) AND status <> 'processing'
                      AND id NOT IN (SELECT id FROM keep) AND id NOT IN (SELECT id FROM keep_success)
                    RETURNING 1
                )
                SELECT count(*) FROM changed
                """, logger: self.logger
            ).collect()[0].decode(Int.self)
            _ = try await connection.query(
                "DELETE FROM claim WHERE claimed_at < \(cutoff.timeIntervalSince1970)", logger: self.logger
            ).collect()
            return removed
        }
    }

    public func recordUpload(runId: String, key: String, uploadId: String, lease: RunLease?) async throws {
        try await transaction { connection in
            try await self.verify(lease, on: connection)
            _ = try await connection.query(
                """
                INSERT INTO run_upload (run_id, key, upload_id) VALUES (\(runId), \(key), \(uploadId))
                ON CONFLICT (run_id, key) DO UPDATE SET upload_id = excluded.upload_id
                """, logger: self.logger
            ).collect()
        }
    }

    public func recordedUpload(runId: String, key: String) async throws -> String? {
        try await withConnection { connection in
            try await connection.query(
                "SELECT upload_id FROM run_upload WHERE run_id = \(runId) AND key = \(key)", logger: self.logger
            ).collect().first?.decode(String.self)
        }
    }

    public func clearUpload(runId: String, key: String) async throws {
        _ = try await transaction { connection in
            try await connection.query(
                "DELETE FROM run_upload WHERE run_id = \(runId) AND key = \(key)", logger: self.logger
            ).collect()
        }
    }

    public func recordFile(runId: String, file: RunFile, lease: RunLease?) async throws {
        try await transaction { connection in
            try await self.verify(lease, on: connection)
            _ = try await connection.query(
                """
                INSERT INTO run_file (run_id, key, rows, bytes, sha256)
                VALUES (\(runId), \(file.key), \(file.rows), \(file.bytes), \(file.sha256))
                ON CONFLICT (run_id, key) DO UPDATE SET rows = excluded.rows, bytes = excluded.bytes,
                    sha256 = excluded.sha256
                """, logger: self.logger
            ).collect()
        }
    }

    public func recordedFile(runId: String, key: String) async throws -> RunFile? {
        try await withConnection { connection in
            guard
                let row = try await connection.query(
                    "SELECT key, rows, bytes, sha256 FROM run_file WHERE run_id = \(runId) AND key = \(key)",
                    logger: self.logger
                ).collect().first
            else { return nil }
            let (key, rows, bytes, sha) = try row.decode((String, Int, Int64, String).self)
            return RunFile(key: key, rows: rows, bytes: bytes, sha256: sha)
        }
    }
}
