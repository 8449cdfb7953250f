import Foundation

/// Segments, their evaluations and the memberships those evaluations record.
public protocol SegmentStore: Sendable {
    /// Creates a segment after checking its PQL against the stored profiles' field kinds.
    func createSegment(name: String, pql: String, description: String?, id: String?, now: Date) async throws
        -> SegmentRecord

    /// Every segment, by name.
    func segments() async throws -> [SegmentRecord]

    /// The segment with this id, else with this name.
    func segment(named nameOrId: String) async throws -> SegmentRecord

    /// Deletes a segment with its memberships and evaluations; refused while an activation exports it.
    @discardableResult
    func deleteSegment(_ nameOrId: String) async throws -> SegmentRecord

    /// Evaluates the named segments (all when empty) and records each evaluation.
    func evaluate(segmentIds: [String], now: Date) async throws -> [EvaluationSummary]

    /// How many profiles a definition selects now, counted by the store's own query
    /// without saving or recording anything: the size shown before a segment is saved.
    /// Nil when the definition does not compile to the store's SQL (it names segments,
    /// reads events, or uses a form only the evaluator has).
    func countMembers(pql: String, now: Date) async throws -> Int?

    /// The most recent finished evaluation of a segment, given its id.
    func latestEvaluation(segmentId: String) async throws -> EvaluationRecord?

    /// Up to `limit` members of `segment` with a pid above `afterPid`, in pid
    /// order, so a caller can walk millions of members one page at a time.
    func memberPage(of segment: SegmentRecord, status: MembershipRecord.Status?, afterPid: Int64, limit: Int)
        async throws -> [MemberEntry]
}
