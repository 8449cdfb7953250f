/// What an import did.
public struct ImportSummary: Sendable, Hashable {
    public var inserted = 0
    public var updated = 0
    public var rejected = 0
    /// Profiles absorbed into another because a record linked them through a shared identity.
    public var merged = 0
    /// Identity links dropped because a profile passed the identities-per-profile limit.
    public var identitiesDropped = 0
    /// True when `maxErrors` was exceeded; rows before the stop are committed.
    public var stoppedEarly = false

    public init(inserted: Int = 0, updated: Int = 0, rejected: Int = 0, stoppedEarly: Bool = false) {
        self.inserted = inserted
        self.updated = updated
        self.rejected = rejected
        self.stoppedEarly = stoppedEarly
    }
}
