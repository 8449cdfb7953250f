import Export
import Foundation
import Logging
import S3
import Scheduling
import Workspace

/// The use cases the CLI and the HTTP server share: every business rule and
/// its wording lives here, and the front ends only translate input and errors.
///
/// It talks to the store only through `FerryStore`, so a PostgreSQL store can
/// stand in for the SQLite workspace.
public struct FerryUseCases: Sendable {
    public let store: any FerryStore
    /// Seals the secrets a destination is created with, and opens them to test it.
    public let secretBox: SecretBox
    /// Runs "export now" and the scheduler's runs.
    public var exporter: ExportRunner
    public var logger: Logger
    /// A due time with no successful run after this long counts as delayed.
    public var delayThreshold: TimeInterval = 150 * 60
    /// Timeouts for the destination permission checks.
    public var s3Timeouts: S3Timeouts = .standard
    /// The S3 endpoint a destination created without one gets (`AWS_ENDPOINT_URL`), as the CLI does.
    public var defaultEndpoint: String?
    /// Where run alerts go besides the metrics (a webhook, say).
    public var onAlert: (@Sendable (RunAlert) async -> Void)?
    let manifestFlags = ManifestFlags()

    public init(
        store: any FerryStore, secretBox: SecretBox, exporter: ExportRunner,
        logger: Logger = Logger(label: "ferry.app")
    ) {
        self.store = store
        self.secretBox = secretBox
        self.exporter = exporter
        self.logger = logger
    }

    /// The SQLite workspace, with its own key and an exporter over it.
    public init(workspace: Workspace, logger: Logger = Logger(label: "ferry.app")) {
        self.init(store: workspace, secretBox: workspace.secretBox, exporter: ExportRunner(workspace: workspace))
    }

    /// The tokens live in the same store when it keeps them.
    var tokenStore: any TokenStore {
        get throws {
            guard let tokens = store as? any TokenStore else {
                throw AppError(.failure, code: "noTokenStore", "This store does not keep API tokens.")
            }
            return tokens
        }
    }

    /// A scheduler over the same store and exporter.
    public func dueRunner() -> DueRunner {
        var runner = DueRunner(store: store, exporter: exporter)
        runner.delayThreshold = delayThreshold
        let metrics = RunMetrics(store: store)
        runner.onAlert = { [onAlert] alert in
            await metrics.record(alert)
            await onAlert?(alert)
        }
        return runner
    }

    /// Runs a store call and phrases its failure for a user.
    func phrased<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw AppError.from(error) ?? error
        }
    }
}
