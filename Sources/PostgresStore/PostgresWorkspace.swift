import Foundation
import Logging
import PostgresNIO
import Workspace
import _ConnectionPoolModule

/// A workspace in a shared PostgreSQL database: the same store protocols as
/// the SQLite one, for any number of workers on any number of machines.
///
/// Connections come from a bounded pool that reopens them with backoff when
/// the server restarts; each store call is one transaction, retried whole
/// when the connection drops under it, so a call either happened once or not
/// at all.
public final class PostgresWorkspace: Sendable {
    public let url: PostgresURL
    /// Seals with `FERRY_MASTER_KEY`; a shared database has no key file beside it.
    public let secretBox: SecretBox
    public let maxConnections: Int
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger

    /// The pool size when `--max-connections` is not given.
    public static let defaultMaxConnections = 8

    /// Opens the workspace at `url`. With `create`, a database with no Ferry
    /// schema gets one (`ferry workspace init`, or a command that adds
    /// something); without it such a database is refused, so a mistyped URL
    /// fails instead of answering with an empty workspace. Either way pending
    /// migrations are applied.
    public static func open(
        url: PostgresURL, create: Bool, maxConnections: Int = defaultMaxConnections,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "ferry.postgres")
    ) async throws -> PostgresWorkspace {
        guard let master = environment["FERRY_MASTER_KEY"], !master.isEmpty else {
            throw PostgresStoreError(
                .missingMasterKey,
                "A PostgreSQL workspace needs FERRY_MASTER_KEY (the base64 of 32 random bytes, e.g. from `openssl rand -base64 32`), the same on every worker, to seal and open destination secrets."
            )
        }
        let workspace = PostgresWorkspace(
            url: url, secretBox: try SecretBox(base64Key: master), maxConnections: maxConnections, logger: logger)
        do {
            try await workspace.probe(timeout: .seconds(Self.connectTimeout(environment)))
            try await PostgresSchema.migrate(workspace, create: create)
        } catch {
            await workspace.close()
            throw error
        }
        return workspace
    }

    init(url: PostgresURL, secretBox: SecretBox, maxConnections: Int, logger: Logger) {
        self.url = url
        self.secretBox = secretBox
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: Self.tls(url.sslMode))
        configuration.options.maximumConnections = self.maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    /// Stops the pool; calls made after this fail.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// `FERRY_CONNECT_TIMEOUT_SECONDS`, 15 s by default: how long opening waits for the server.
    static func connectTimeout(_ environment: [String: String]) -> Int {
        environment["FERRY_CONNECT_TIMEOUT_SECONDS"].flatMap(Int.init).map { max(1, $0) } ?? 15
    }

    static func tls(_ mode: PostgresURL.SSLMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .allow, .prefer, .require:
            // libpq's meaning: encrypted, but the certificate is not checked.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return mode == .require ? .require(tls) : .prefer(tls)
        case .verifyCA:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            return .require(.makeClientConfiguration())
        }
    }

    /// The pool keeps retrying a server that refuses or never answers; one
    /// plain connection first, bounded in time, says at once what is wrong
    /// (a wrong port, a refused password, no such database).
    func probe(timeout: Duration) async throws {
        let url = self.url
        let logger = self.logger
        let tls = try Self.connectionTLS(url.sslMode)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: .init(
                            host: url.host, port: url.port, username: url.user, password: url.password,
                            database: url.database, tls: tls),
                        id: 0, logger: logger)
                    try? await connection.close()
                } catch let error as PSQLError {
                    throw PostgresStoreError(.unreachable, "Cannot use the database \(url): \(Self.describe(error)).")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw PostgresStoreError(
                    .unreachable,
                    "The database \(url) did not answer within \(timeout.components.seconds) s; check the host, the port and that PostgreSQL is running."
                )
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func connectionTLS(_ mode: PostgresURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: tls))
        case .require:
            tls.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: tls))
        }
    }

    /// The server's message, or what went wrong on the way to it; never the password.
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        switch error.code {
        case .connectionError: return "cannot connect (\(error.underlying.map { "\($0)" } ?? "connection refused"))"
        case .sslUnsupported: return "the server does not offer TLS; use sslmode=disable or prefer"
        default: return "\(error.code)"
        }
    }

    // MARK: Transactions

    /// Runs `body` in one transaction, again from the start when the
    /// connection drops or the server restarts under it (with backoff, for
    /// about a minute), or when PostgreSQL picks it as a deadlock or
    /// serialization victim.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T
    {
        try await retrying {
            try await ConnectionWatch.run { watch in
                try await self.client.withConnection { connection in
                    watch(connection)
                    return try await connection.withTransaction(logger: self.logger) { connection in
                        try await body(connection)
                    }
                }
            }
        }
    }

    /// One statement outside a transaction, retried like `transaction`.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws
        -> T
    {
        try await retrying {
            try await ConnectionWatch.run { watch in
                try await self.client.withConnection { connection in
                    watch(connection)
                    return try await body(connection)
                }
            }
        }
    }

    func retrying<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        var delay = 0.05
        var waited = 0.0
        while true {
            do {
                return try await body()
            } catch let error as PostgresTransactionError {
                // A store error thrown inside the transaction is the caller's;
                // a dropped connection at BEGIN, in the body or at COMMIT is retried.
                let cause = error.closureError ?? error.beginError ?? error.commitError
                guard let psql = cause as? PSQLError, Self.isTransient(psql), waited < Self.retryBudget else {
                    throw cause ?? error
                }
                try await Self.backoff(&delay, &waited, Self.describe(psql), logger)
            } catch let error as PSQLError {
                guard Self.isTransient(error), waited < Self.retryBudget else { throw error }
                try await Self.backoff(&delay, &waited, Self.describe(error), logger)
            } catch let error as ConnectionLost {
                guard waited < Self.retryBudget else { throw error }
                try await Self.backoff(&delay, &waited, error.description, logger)
            } catch let error as ConnectionPoolError where error == .connectionCreationCircuitBreakerTripped {
                // After 15 s without a connection the pool fails every request at
                // once while it keeps trying in the background; the server is
                // still restarting or failing over, so wait like any other drop.
                guard waited < Self.retryBudget else {
                    throw PostgresStoreError(
                        .unreachable,
                        "The database \(url) has not accepted a connection for over a minute; check that PostgreSQL is running."
                    )
                }
                try await Self.backoff(&delay, &waited, "no connection for over 15 s", logger)
            }
        }
    }

    static let retryBudget = 60.0

    private static func backoff(_ delay: inout Double, _ waited: inout Double, _ cause: String, _ logger: Logger)
        async throws
    {
        logger.warning("database unavailable, retrying in \(Int(delay * 1000)) ms: \(cause)")
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        waited += delay
        delay = min(delay * 2, 2)
    }

    /// Errors after which the same transaction, run again, can succeed.
    static func isTransient(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // 08: connection exception; 57P01-03: shutdown or starting up;
            // 40001/40P01: serialization failure, deadlock.
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(state)
        default:
            return false
        }
    }
}
