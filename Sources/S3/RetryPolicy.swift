import Foundation

/// AWS SDK "standard" retry semantics with full-jitter exponential backoff.
///
/// Exporters of large files want more attempts than the SDK default of three,
/// so the count is configurable; permanent errors never wait.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// The backoff unit: attempt n waits `random(0,1) * min(base * 2^n, maxDelay)`.
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let standard = RetryPolicy()

    static let retryableCodes: Set<String> = [
        "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "SlowDown", "ServiceUnavailable",
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "PriorRequestNotComplete",
        "EC2ThrottledException", "IDPCommunicationError", "ConnectionFailed", "Timeout",
        // A write answered 200 without an ETag stored nothing Ferry can vouch for; sending it again is safe.
        "MissingETag",
    ]
    static let permanentCodes: Set<String> = [
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "NoSuchKey", "NoSuchUpload",
        "InvalidBucketName", "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidArgument",
    ]

    /// Whether an S3 answer is worth another attempt.
    public func isRetryable(_ error: S3Error) -> Bool {
        if Self.permanentCodes.contains(error.code) { return false }
        if Self.retryableCodes.contains(error.code) { return true }
        return [500, 502, 503, 504].contains(error.httpStatus) || error.httpStatus == 0
    }

    /// The pause before the attempt after `attempt` (0-based) failed.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = min(attempt, 30)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        return ceiling * random
    }
}
