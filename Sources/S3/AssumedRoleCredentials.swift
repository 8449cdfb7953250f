import Foundation
import Logging

/// Credentials of an assumed role, refreshed before they expire. Every
/// request asks for credentials as it is signed, so a long multipart upload
/// switches to fresh ones between parts and never sends expired ones.
public actor AssumedRoleCredentials {
    public nonisolated let request: AssumeRoleRequest
    private let sts: STSClient
    private let base: @Sendable () throws -> AWSCredentials
    /// How long before expiry a refresh is due; the AWS SDKs use minutes.
    private let refreshMargin: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var current: TemporaryCredentials?
    private var inFlight: Task<TemporaryCredentials, any Error>?
    /// AssumeRole calls made so far, for logs and tests.
    public private(set) var assumeCount = 0

    public static let defaultRefreshMargin: Duration = .seconds(300)

    /// - Parameter base: Ferry's own credentials (the usual chain), read at
    ///   each refresh so rotated keys are picked up.
    public init(
        request: AssumeRoleRequest, sts: STSClient, base: @escaping @Sendable () throws -> AWSCredentials,
        refreshMargin: Duration = AssumedRoleCredentials.defaultRefreshMargin,
        logger: Logger = Logger(label: "ferry.sts"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.request = request
        self.sts = sts
        self.base = base
        self.refreshMargin = refreshMargin
        self.logger = logger
        self.now = now
    }

    /// Valid credentials, from STS when the cached ones are missing or due.
    public func credentials() async throws -> AWSCredentials {
        if let current, !isDue(current) { return current.credentials }
        if let inFlight { return try await inFlight.value.credentials }
        let task = Task { [request, sts, base] in
            try await sts.assumeRole(request, credentials: try base())
        }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        current = fresh
        assumeCount += 1
        logger.info(
            "assumed role",
            metadata: [
                "role": "\(request.roleArn)", "session": "\(request.sessionName)",
                "expires": "\(fresh.expiration)", "count": "\(assumeCount)",
            ])
        return fresh.credentials
    }

    /// When the cached credentials stop being used.
    public func refreshDue() -> Date? {
        current.map { $0.expiration.addingTimeInterval(-refreshMargin.seconds) }
    }

    func isDue(_ credentials: TemporaryCredentials) -> Bool {
        now() >= credentials.expiration.addingTimeInterval(-refreshMargin.seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
