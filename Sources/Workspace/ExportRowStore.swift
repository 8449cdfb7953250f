import Foundation

/// One segment's export rows, read a page at a time in pid order.
public protocol ExportRowPages: Sendable {
    /// Members after `afterPid`, at most `limit` of them.
    func page(afterPid: Int64, limit: Int) async throws -> ExportPage
}

extension ExportRowReader: ExportRowPages {}

/// One id of one member's identity namespace.
public struct MemberIdentity: Sendable, Hashable {
    public var pid: Int64
    /// Normalized as the identity graph compares ids.
    public var id: String

    public init(pid: Int64, id: String) {
        self.pid = pid
        self.id = id
    }
}

/// What an export reads from the store besides the catalog and the ledger:
/// member rows with their fields, the dedup winners, names for errors, and
/// the schema a typed file format (Parquet) is laid out from.
public protocol ExportRowStore: Sendable {
    /// A reader of the members of segment `sid` that `selection` picks, with `fields`.
    func exportRows(segmentSid sid: Int64, fields: [MemberField], selection: MemberSelection) async throws
        -> any ExportRowPages

    /// The pid that wins each dedup key among the members `selection` picks:
    /// the most recently updated profile, then the smallest identity. Sorted.
    func dedupWinners(
        segmentSid sid: Int64, keys: [MemberValue], mandatory: [MemberField], selection: MemberSelection
    ) async throws -> [Int64]

    /// The ids of identity namespace `namespace` that a member holds but
    /// loses to another member holding the same id, when that namespace is the
    /// dedup key: each id is exported once, by the most recently updated
    /// profile, then the one with the smallest identity. Ids are normalized
    /// as the identity graph compares them.
    func identityDedupLosers(
        segmentSid sid: Int64, namespace: String, mandatory: [MemberField], selection: MemberSelection
    ) async throws -> Set<MemberIdentity>

    /// `NAMESPACE:ID` of the profile `pid`, or nil, for naming it in an error.
    func qualifiedIdentity(ofPid pid: Int64) async -> String?

    /// The schema's paths and the JSON types seen at each; the counts may be zero.
    func profilePaths() async throws -> [ProfileField]
}

extension Workspace: ExportRowStore {
    public func exportRows(segmentSid sid: Int64, fields: [MemberField], selection: MemberSelection) async throws
        -> any ExportRowPages
    {
        try await exportRowReader(segmentSid: sid, fields: fields, selection: selection)
    }
}

extension SegmentStore {
    /// Evaluates at the current time.
    public func evaluate(segmentIds: [String]) async throws -> [EvaluationSummary] {
        try await evaluate(segmentIds: segmentIds, now: Date())
    }
}
