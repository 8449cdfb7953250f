import NIOConcurrencyHelpers

/// How one attempt of an S3 request ended, for whoever counts them. The
/// metrics backend lives above this module; it installs an observer.
public struct S3RequestEvent: Sendable, Equatable {
    public var operation: S3Operation
    /// The HTTP status, or 0 when no answer came (a reset, a refused connection, a timeout).
    public var httpStatus: Int
    /// S3's error code (`SlowDown`, `AccessDenied`), a transport code, or nil on success.
    public var code: String?
    /// The attempt failed and is tried again.
    public var retried: Bool
}

/// The process's observer of S3 attempts: one per process, as the metrics backend is,
/// so every client (an export's, a permission check's) is counted without each caller passing it.
public enum S3RequestObserver {
    static let installed = NIOLockedValueBox<(@Sendable (S3RequestEvent) -> Void)?>(nil)

    /// Replaces the observer; nil stops observing.
    public static func install(_ observer: (@Sendable (S3RequestEvent) -> Void)?) {
        installed.withLockedValue { $0 = observer }
    }

    static func notify(_ event: S3RequestEvent) {
        installed.withLockedValue { $0 }?(event)
    }
}
