import Foundation
import GRDB

/// A row of `segment`: a named PQL definition.
public struct SegmentRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "segment"

    /// Compact integer key used by `membership` and `evaluation` rows.
    public var sid: Int64?
    /// The public id, a lowercase UUID.
    public var id: String
    public var name: String
    public var pql: String
    public var description: String?
    public var createdAt: Date
    /// Why the latest evaluation of this segment failed, in one sentence without SQL;
    /// nil until one fails, and again once one succeeds.
    public var lastFailure: String?
    public var lastFailedAt: Date?

    public enum Columns {
        public static let sid = Column(CodingKeys.sid)
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let pql = Column(CodingKeys.pql)
        public static let description = Column(CodingKeys.description)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public init(
        sid: Int64? = nil, id: String, name: String, pql: String, description: String?, createdAt: Date,
        lastFailure: String? = nil, lastFailedAt: Date? = nil
    ) {
        self.sid = sid
        self.id = id
        self.name = name
        self.pql = pql
        self.description = description
        self.createdAt = createdAt
        self.lastFailure = lastFailure
        self.lastFailedAt = lastFailedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        sid = inserted.rowID
    }
}
