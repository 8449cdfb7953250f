import Foundation
import GRDB

/// A row of `profile`: one customer keyed by its primary identity.
public struct ProfileRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "profile"

    /// The integer key memberships refer to.
    public var pid: Int64?
    public var namespace: String
    public var identity: String
    /// The merged document as compact JSON text.
    public var doc: String
    public var updatedAt: Date

    public enum Columns {
        public static let pid = Column(CodingKeys.pid)
        public static let namespace = Column(CodingKeys.namespace)
        public static let identity = Column(CodingKeys.identity)
        public static let doc = Column(CodingKeys.doc)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }

    public init(pid: Int64? = nil, namespace: String, identity: String, doc: String, updatedAt: Date) {
        self.pid = pid
        self.namespace = namespace
        self.identity = identity
        self.doc = doc
        self.updatedAt = updatedAt
    }

    /// `NAMESPACE:ID`, the way the CLI names a profile.
    public var qualifiedIdentity: String { "\(namespace):\(identity)" }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        pid = inserted.rowID
    }
}
