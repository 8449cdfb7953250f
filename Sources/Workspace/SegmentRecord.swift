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

    public enum Columns {
        public static let sid = Column(CodingKeys.sid)
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let pql = Column(CodingKeys.pql)
        public static let description = Column(CodingKeys.description)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public init(sid: Int64? = nil, id: String, name: String, pql: String, description: String?, createdAt: Date) {
        self.sid = sid
        self.id = id
        self.name = name
        self.pql = pql
        self.description = description
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        sid = inserted.rowID
    }
}
