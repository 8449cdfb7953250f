import Foundation
import GRDB

/// A row of `membership`: one profile's status in one segment.
public struct MembershipRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "membership"

    public enum Status: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case realized
        case exited
    }

    public var sid: Int64
    public var pid: Int64
    public var status: Status
    /// When the profile last entered `realized`; kept while it stays a member.
    public var lastQualificationTime: Date
    /// When `status` last changed; exited rows older than 30 days are purged by it.
    public var statusChangedAt: Date
    /// The evaluation id at which `status` last changed. Evaluation ids grow across
    /// all segments, so "changed since evaluation N" selects an incremental export.
    public var changedInEvaluation: Int64

    public enum Columns {
        public static let sid = Column(CodingKeys.sid)
        public static let pid = Column(CodingKeys.pid)
        public static let status = Column(CodingKeys.status)
        public static let lastQualificationTime = Column(CodingKeys.lastQualificationTime)
        public static let statusChangedAt = Column(CodingKeys.statusChangedAt)
        public static let changedInEvaluation = Column(CodingKeys.changedInEvaluation)
    }
}
