import GRDB

/// Copies a bulk import's write-ahead log back into the database on a
/// connection of its own, beside the writer, rather than inside the writer's
/// commits: with one writer thread, that copy (and its fsync) was time the
/// next batch waited for.
///
/// The writer keeps a high automatic checkpoint as the bound on the log: by
/// the time it runs, most frames are already copied, so it costs little, and
/// the log then starts over.
final class WALCheckpointer: Sendable {
    private let pool: DatabasePool
    private let commits: AsyncStream<Void>.Continuation
    private let loop: Task<Void, Never>?

    /// Pages of log after which the writer checkpoints itself (128 MiB).
    static let writerBound = 32_768

    /// Raises the writer's own checkpoint for the import; `finish()` lowers it again.
    init(pool: DatabasePool) async throws {
        self.pool = pool
        var configuration = Configuration()
        configuration.label = "checkpoint"
        // Without a connection of its own the import still works, the writer checkpointing alone.
        let queue = try? DatabaseQueue(path: pool.path, configuration: configuration)
        // Commits that come while a checkpoint runs ask for one more, not one each.
        let (stream, commits) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.commits = commits
        loop = queue.map { queue in
            Task {
                for await _ in stream {
                    // PASSIVE: copies what is committed, never waits for the writer nor makes it wait.
                    _ = try? await queue.writeWithoutTransaction { db in
                        try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
                    }
                }
            }
        }
        let pages = loop == nil ? 8192 : Self.writerBound
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)") }
    }

    /// A batch was committed.
    func committed() { commits.yield() }

    /// Waits for the checkpoint under way; SQLite's default bound again.
    func finish() async {
        commits.finish()
        await loop?.value
        try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
    }
}
