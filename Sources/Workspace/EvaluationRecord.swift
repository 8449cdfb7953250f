import Foundation
import GRDB

/// A row of `evaluation`: one run of one segment over all profiles.
public struct EvaluationRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns
{
    public static let databaseTableName = "evaluation"

    public var id: Int64?
    public var sid: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    /// Newly qualified (including re-qualified after an exit).
    public var realized: Int
    /// Qualified now and already realized before.
    public var existing: Int
    /// Realized before, no longer qualified.
    public var exited: Int
    /// Whether the predicate ran as SQL inside SQLite rather than in Swift.
    public var usedSQL: Bool

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let sid = Column(CodingKeys.sid)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let finishedAt = Column(CodingKeys.finishedAt)
        public static let realized = Column(CodingKeys.realized)
        public static let existing = Column(CodingKeys.existing)
        public static let exited = Column(CodingKeys.exited)
        public static let usedSQL = Column(CodingKeys.usedSQL)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
