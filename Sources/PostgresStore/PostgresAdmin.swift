import Foundation
import Logging
import PostgresNIO

/// Server-level statements that run outside any workspace: making and
/// dropping a database (tests and benches give each run its own).
public enum PostgresAdmin {
    public static func createDatabase(_ name: String, at url: PostgresURL) async throws {
        try await execute("CREATE DATABASE \(quoted(name))", at: url)
    }

    public static func dropDatabase(_ name: String, at url: PostgresURL) async throws {
        try await execute("DROP DATABASE IF EXISTS \(quoted(name)) WITH (FORCE)", at: url)
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Retried for a few seconds when the server is restarting.
    static func execute(_ sql: String, at url: PostgresURL) async throws {
        var attempt = 0
        while true {
            do {
                return try await executeOnce(sql, at: url)
            } catch let error as PSQLError where PostgresWorkspace.isTransient(error) && attempt < 20 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    static func executeOnce(_ sql: String, at url: PostgresURL) async throws {
        let logger = Logger(label: "ferry.postgres.admin")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: url.sslMode == .disable ? .disable : .prefer(try NIOSSLContext(configuration: tls))),
            id: 1, logger: logger)
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
