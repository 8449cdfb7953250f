import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import PostgresStore

/// A connection the server ends under a store call (as `pg_ctl restart`
/// does): the call is run again on a new connection, or ends with the
/// cancellation, and never waits forever on a statement that PostgresNIO
/// dropped because its connection had already closed.
@Suite struct ConnectionLossTests {
    /// Ends the backend behind `connection` from another connection, and waits
    /// until this side has closed it, so the next statement is written to a
    /// closed channel.
    static func endBackend(of connection: PostgresConnection, in workspace: PostgresWorkspace) async throws {
        let pid = try await connection.query("SELECT pg_backend_pid()", logger: workspace.logger).collect()[0].decode(
            Int32.self)
        _ = try await workspace.withConnection { other in
            try await other.query("SELECT pg_terminate_backend(\(pid))", logger: workspace.logger).collect()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !connection.isClosed, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        // Long enough for the channel to drop its handlers after closing.
        try await Task.sleep(for: .milliseconds(300))
    }

    /// `body`'s result, or nil when it has not ended after `limit`: a call that
    /// hangs fails the test instead of the whole run.
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async
        -> Result<T, any Error>?
    {
        let result = Mutex<Result<T, any Error>?>(nil)
        let task = Task {
            do {
                let value = try await body()
                result.withLock { $0 = .success(value) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
        }
        let deadline = ContinuousClock.now + limit
        while result.withLock({ $0 == nil }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        return result.withLock { $0 }
    }

    @Test func aStatementAfterTheConnectionClosedIsRunAgainOnANewOne() async throws {
        let database = try await TestDatabase.make()
        let workspace = try await database.open(maxConnections: 2)
        let attempts = Atomic<Int>(0)
        let outcome = await Self.within(.seconds(90)) {
            try await workspace.withConnection { connection in
                if attempts.add(1, ordering: .relaxed).newValue == 1 {
                    try await Self.endBackend(of: connection, in: workspace)
                }
                return try await connection.query("SELECT 42", logger: workspace.logger).collect()[0].decode(Int.self)
            }
        }
        #expect(try outcome?.get() == 42, "the call did not end within 90 s")
        #expect(attempts.load(ordering: .relaxed) == 2)
        await database.close(workspace)
    }

    @Test func aTransactionWhoseConnectionClosedIsRunAgainWhole() async throws {
        let database = try await TestDatabase.make()
        let workspace = try await database.open(maxConnections: 2)
        try await workspace.withConnection { connection in
            try await connection.query("CREATE TABLE lost (n int)", logger: workspace.logger).collect()
        }
        let attempts = Atomic<Int>(0)
        let outcome = await Self.within(.seconds(90)) {
            try await workspace.transaction { connection in
                try await connection.query("INSERT INTO lost VALUES (1)", logger: workspace.logger).collect()
                if attempts.add(1, ordering: .relaxed).newValue == 1 {
                    // The server rolls this attempt back; PostgresNIO's ROLLBACK
                    // then goes to a closed connection.
                    try await Self.endBackend(of: connection, in: workspace)
                    try await connection.query("INSERT INTO lost VALUES (2)", logger: workspace.logger).collect()
                }
                return true
            }
        }
        #expect(try outcome?.get() == true, "the transaction did not end within 90 s")
        #expect(attempts.load(ordering: .relaxed) == 2)
        let rows = try await workspace.withConnection { connection in
            try await connection.query("SELECT n FROM lost ORDER BY n", logger: workspace.logger).collect().map {
                try $0.decode(Int.self)
            }
        }
        #expect(rows == [1], "the first attempt left nothing, the second one row")
        await database.close(workspace)
    }

    @Test func aCancelledCallEndsWhileItsStatementRuns() async throws {
        let database = try await TestDatabase.make()
        let workspace = try await database.open(maxConnections: 2)
        let started = Atomic<Bool>(false)
        let call = Task {
            try await workspace.withConnection { connection in
                started.store(true, ordering: .relaxed)
                return try await connection.query("SELECT pg_sleep(60)", logger: workspace.logger).collect().count
            }
        }
        while !started.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(200))
        let cancelledAt = ContinuousClock.now
        call.cancel()
        let outcome = await Self.within(.seconds(40)) { try await call.value }
        #expect(outcome != nil, "a cancelled call waited for its 60 s statement")
        #expect(throws: CancellationError.self) { try outcome?.get() }
        #expect(ContinuousClock.now - cancelledAt < .seconds(30))
        // The statement is still running on the server; ending the backend lets the database be dropped.
        _ = try? await workspace.withConnection { connection in
            try await connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'",
                logger: workspace.logger
            ).collect()
        }
        await database.close(workspace)
    }
}
