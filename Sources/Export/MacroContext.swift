import Foundation

/// The values a path template's macros expand to for one segment's export run.
public struct MacroContext: Sendable {
    public var segmentName: String
    public var segmentId: String
    public var destinationName: String
    public var destinationId: String
    /// The run's scheduled (logical) time, so a retried run expands to the same keys.
    public var scheduledTime: Date
    public var timeZone: TimeZone

    public init(
        segmentName: String,
        segmentId: String,
        destinationName: String,
        destinationId: String,
        scheduledTime: Date,
        timeZone: TimeZone = TimeZone(secondsFromGMT: 0)!
    ) {
        self.segmentName = segmentName
        self.segmentId = segmentId
        self.destinationName = destinationName
        self.destinationId = destinationId
        self.scheduledTime = scheduledTime
        self.timeZone = timeZone
    }
}
