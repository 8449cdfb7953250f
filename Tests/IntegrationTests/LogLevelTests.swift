import Foundation
import Testing

/// `FERRY_LOG_LEVEL` shows the PostgreSQL pool's own events, and still never
/// the password nor the authentication exchange it could be guessed from.
@Suite struct LogLevelTests {
    @Test func theDeepestLogShowsConnectionsButNoPassword() async throws {
        let database = try await PostgresWorkersTests.freshDatabase()
        let password = try #require(
            database.split(separator: "@").first?.split(separator: ":").last.map(String.init), "\(database)")
        let environment = [
            "FERRY_DATABASE_URL": database, "FERRY_MASTER_KEY": PostgresWorkersTests.masterKey,
            "FERRY_LOG_LEVEL": "trace", "FERRY_CONNECT_TIMEOUT_SECONDS": PostgresWorkersTests.connectTimeout,
        ]
        let initialised = try await FerryRun.run(["workspace", "init"], environment: environment)
        #expect(initialised.exitCode == 0, "\(initialised.stderr)")
        let listed = try await FerryRun.run(["segments", "list"], environment: environment)
        #expect(listed.exitCode == 0, "\(listed.stderr)")
        let logs = initialised.stderr + listed.stderr
        #expect(logs.contains("Creating new connection"), "\(logs.prefix(2000))")
        #expect(!logs.contains(password))
        #expect(!logs.lowercased().contains("sasl"), "\(logs.prefix(2000))")
    }
}
