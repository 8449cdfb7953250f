import Foundation
import GRDB

extension Workspace {
    /// Records a data file just before its last S3 write (the PutObject or
    /// the CompleteMultipartUpload), under the run's lease.
    public func recordFile(runId: String, file: RunFile, lease: RunLease? = nil) async throws {
        try await dbPool.write { db in
            try Self.verify(lease, in: db)
            try db.execute(
                sql: """
                    INSERT INTO runFile (runId, key, rows, bytes, sha256) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(runId, key) DO UPDATE SET rows = excluded.rows, bytes = excluded.bytes,
                        sha256 = excluded.sha256
                    """, arguments: [runId, file.key, file.rows, file.bytes, file.sha256])
        }
    }

    /// The file an earlier attempt of the run recorded for `key`, if any.
    public func recordedFile(runId: String, key: String) async throws -> RunFile? {
        try await dbPool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT key, rows, bytes, sha256 FROM runFile WHERE runId = ? AND key = ?",
                arguments: [runId, key]
            ).map { RunFile(key: $0["key"], rows: $0["rows"], bytes: $0["bytes"], sha256: $0["sha256"]) }
        }
    }
}
