/// What an event import did.
public struct EventImportSummary: Sendable, Hashable {
    /// Events stored.
    public var inserted = 0
    /// Events whose `_id` was stored already, left as they were.
    public var duplicates = 0
    /// Profiles made for events whose identities no profile held.
    public var profilesCreated = 0
    /// Lines rejected, each reported with its line number.
    public var rejected = 0
    /// Whether the import stopped after too many rejected lines.
    public var stoppedEarly = false

    public init() {}

    mutating func add(_ other: EventImportSummary) {
        inserted += other.inserted
        duplicates += other.duplicates
        profilesCreated += other.profilesCreated
    }
}
