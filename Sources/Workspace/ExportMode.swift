import GRDB

/// What each run of an activation sends.
public enum ExportMode: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Every realized member, at each run.
    case full
    /// The members that entered, and left, since the last successful run.
    case incremental
}
