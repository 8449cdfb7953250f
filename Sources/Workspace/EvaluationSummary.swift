import Foundation

/// What one segment's evaluation changed, as printed by `ferry segments evaluate`.
public struct EvaluationSummary: Sendable, Hashable, Codable {
    public var evaluationId: Int64
    public var segmentId: String
    public var segmentName: String
    public var realized: Int
    public var existing: Int
    public var exited: Int
    /// Exited memberships older than the retention window, deleted by this run.
    public var purged: Int
    public var usedSQL: Bool
    public var seconds: Double
    /// For an incremental evaluation, how many changed profiles it read; nil
    /// when it read them all.
    public var changedProfiles: Int? = nil
    /// Why this segment could not be evaluated; the others still were, and
    /// its members stay as the previous evaluation left them.
    public var failure: String? = nil
}
