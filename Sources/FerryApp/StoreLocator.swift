import Export
import Foundation
import Logging
import PostgresStore
import Workspace

/// Where a command's workspace lives: a SQLite folder (the default) or a
/// shared PostgreSQL database named by `--database URL` / `FERRY_DATABASE_URL`.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(directory: URL)
    case postgresql(PostgresURL)

    /// Names the location without its password, so it can be printed and logged.
    public var description: String {
        switch self {
        case .sqlite(let directory): "SQLite workspace \(directory.path)"
        case .postgresql(let url): "PostgreSQL workspace \(url)"
        }
    }
}

/// An open workspace of either backend, with what the layers above it need.
public struct OpenedStore: Sendable {
    public let location: StoreLocation
    public let store: any FerryStore
    public let secretBox: SecretBox
    /// Closes the connection pool of a PostgreSQL workspace; nothing for SQLite.
    public let close: @Sendable () async -> Void

    /// The use cases over this store, with an exporter over it.
    public func useCases(logger: Logger = Logger(label: "ferry.app")) -> FerryUseCases {
        FerryUseCases(
            store: store, secretBox: secretBox, exporter: ExportRunner(store: store, secretBox: secretBox),
            logger: logger)
    }

    /// The worker (host:pid:id) that last took up each run, by run id; only
    /// a PostgreSQL workspace, shared by many workers, records it.
    public func workers(ofRuns ids: [String]) async throws -> [String: String] {
        guard let postgres = store as? PostgresWorkspace else { return [:] }
        return try await postgres.workers(ofRuns: ids)
    }

    /// The backend's name and schema version, for `ferry workspace info`.
    public func schemaInfo() async throws -> (backend: String, version: Int, current: Int, server: String?) {
        switch store {
        case let postgres as PostgresWorkspace:
            return (
                "postgresql", try await postgres.schemaVersion(), PostgresWorkspace.currentSchemaVersion,
                try await postgres.serverVersion()
            )
        case let sqlite as Workspace:
            let version = try await sqlite.schemaVersion()
            return ("sqlite", version.applied, version.known, nil)
        default:
            return ("unknown", 0, 0, nil)
        }
    }
}

/// Defaults the front ends print in their help.
public enum OpenedStoreDefaults {
    public static let maxConnections = PostgresWorkspace.defaultMaxConnections
}

/// Opens the workspace a command names, on either backend.
public enum StoreLocator {
    /// A PostgreSQL failure (a bad URL, a refused login, a lost server) in one
    /// sentence, and whether the user's input is at fault; nil for other errors.
    public static func userMessage(for error: any Error) -> (message: String, isBadInput: Bool)? {
        PostgresStoreError.from(error).map { ($0.message, $0.isBadInput) }
    }

    /// `--database` wins over `FERRY_DATABASE_URL`; without either, the SQLite
    /// folder from `--workspace`, `FERRY_WORKSPACE` or `./ferry-workspace`.
    public static func location(
        database: String?, workspace: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StoreLocation {
        func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        if let url = nonEmpty(database) ?? nonEmpty(environment["FERRY_DATABASE_URL"]) {
            return .postgresql(try PostgresURL(url))
        }
        let path = nonEmpty(workspace) ?? nonEmpty(environment["FERRY_WORKSPACE"]) ?? Workspace.defaultDirectory
        return .sqlite(directory: URL(fileURLWithPath: path))
    }

    /// Opens `location`. With `creating`, a workspace with no schema yet is
    /// started; without it, one is refused, so a typo is not met with an
    /// empty workspace.
    public static func open(
        _ location: StoreLocation, creating: Bool, maxConnections: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "ferry.store")
    ) async throws -> OpenedStore {
        switch location {
        case .sqlite(let directory):
            let workspace = try Workspace(directory: directory, create: creating, environment: environment)
            return OpenedStore(location: location, store: workspace, secretBox: workspace.secretBox, close: {})
        case .postgresql(let url):
            let workspace = try await PostgresWorkspace.open(
                url: url, create: creating, maxConnections: maxConnections ?? PostgresWorkspace.defaultMaxConnections,
                environment: environment, logger: logger)
            return OpenedStore(
                location: location, store: workspace, secretBox: workspace.secretBox, close: { await workspace.close() }
            )
        }
    }
}
