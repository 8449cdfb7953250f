import Foundation

/// One member of a segment, joined with its profile's identity.
public struct MemberEntry: Sendable, Hashable {
    public var pid: Int64
    public var namespace: String
    public var identity: String
    public var status: MembershipRecord.Status
    public var lastQualificationTime: Date
    public var changedInEvaluation: Int64

    /// `NAMESPACE:ID`.
    public var qualifiedIdentity: String { "\(namespace):\(identity)" }
}
