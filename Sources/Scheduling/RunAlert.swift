import Foundation

/// What the reference alerts on: a run started, succeeded or failed, or a
/// scheduled time still has no successful run long after it fell due.
public struct RunAlert: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case started, succeeded, failed, delayed
    }

    public var kind: Kind
    public var activation: String
    public var segment: String
    public var scheduledTime: Date
    public var runId: String?
    public var rows: Int?
    public var files: Int?
    public var attempt: Int?
    /// A failure after the last attempt: nothing more will happen without a person.
    public var willRetry: Bool?
    public var error: String?
    public var delayMinutes: Int?

    public init(kind: Kind, activation: String, segment: String, scheduledTime: Date) {
        self.kind = kind
        self.activation = activation
        self.segment = segment
        self.scheduledTime = scheduledTime
    }

    /// One line for people (chat webhooks show this field).
    public var text: String {
        let at = scheduledTime.formatted(.iso8601)
        let what = "ferry: \(activation)/\(segment) scheduled \(at)"
        switch kind {
        case .started:
            return "\(what) started"
        case .succeeded:
            return "\(what) succeeded: \(rows ?? 0) rows in \(files ?? 0) files"
        case .failed:
            let next = willRetry == true ? "will retry" : "no more retries"
            return "\(what) failed (attempt \(attempt ?? 1), \(next)): \(error ?? "unknown error")"
        case .delayed:
            return "\(what) has no successful run \(delayMinutes ?? 0) minutes after it was due"
        }
    }
}
