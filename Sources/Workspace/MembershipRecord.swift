import GRDB

/// A profile's status in a segment. Memberships are stored as member sets per
/// evaluation (see `MembershipSnapshot`), not as a row per member.
public enum MembershipRecord {
    public enum Status: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case realized
        case exited
    }
}
