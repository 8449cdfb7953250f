import Foundation
import GRDB

/// One segment's memberships as evaluations left them: the current members,
/// and per evaluation who entered and who exited.
///
/// Every fact the old per-member rows held follows from these: a member's
/// status, the evaluation and time its status last changed, when it last
/// entered (its `lastQualificationTime`), and which exits are still within
/// the 30 days an exited member is kept. Deltas are as small as the changes,
/// so daily evaluations of a stable segment add little.
public struct MembershipSnapshot: Sendable {
    public struct Delta: Sendable {
        public var evaluationId: Int64
        public var time: Double
        public var entered: MemberBitmap
        public var exited: MemberBitmap

        public init(evaluationId: Int64, time: Double, entered: MemberBitmap, exited: MemberBitmap) {
            self.evaluationId = evaluationId
            self.time = time
            self.entered = entered
            self.exited = exited
        }
    }

    /// Exited members are forgotten after this long, as in the reference product.
    public static let exitedRetention: TimeInterval = 30 * 24 * 3600

    public var current: MemberBitmap
    /// The profiles' version `current` reflects; nil when unknown.
    public var profileVersion: Int64?
    /// Oldest first; the last is the latest evaluation.
    public var deltas: [Delta]

    public init(current: MemberBitmap, profileVersion: Int64?, deltas: [Delta]) {
        self.current = current
        self.profileVersion = profileVersion
        self.deltas = deltas
    }

    /// Members that exited within the retention before the latest evaluation
    /// and have not come back.
    public var exited: MemberBitmap { Self.visibleExits(deltas, current: current) }

    public static func visibleExits(_ deltas: [Delta], current: MemberBitmap) -> MemberBitmap {
        guard let latest = deltas.last?.time else { return MemberBitmap() }
        var union = MemberBitmap()
        for delta in deltas.reversed() {
            guard delta.time >= latest - exitedRetention else { break }
            union = union.union(delta.exited)
        }
        return union.subtracting(current)
    }

    static func load(sid: Int64, in db: Database) throws -> MembershipSnapshot {
        let row = try Row.fetchOne(
            db, sql: "SELECT members, profileVersion FROM segmentMembers WHERE sid = ?", arguments: [sid])
        let current = try row.map { try MemberBitmap(data: $0[0]) } ?? MemberBitmap()
        var deltas: [Delta] = []
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT e.id, e.startedAt, d.entered, d.exited FROM evaluation e
                JOIN memberDelta d ON d.evaluationId = e.id WHERE e.sid = ? ORDER BY e.id
                """, arguments: [sid])
        while let row = try rows.next() {
            deltas.append(
                Delta(
                    evaluationId: row[0], time: row[1], entered: try MemberBitmap(data: row[2]),
                    exited: try MemberBitmap(data: row[3])))
        }
        return MembershipSnapshot(current: current, profileVersion: row?[1], deltas: deltas)
    }

    /// What a member list shows for `pid`, or nil when it is neither a member
    /// nor a recently exited one.
    public func describe(_ pid: Int64, exited: MemberBitmap) -> (
        status: MembershipRecord.Status, lastQualificationTime: Double, changedInEvaluation: Int64
    )? {
        if current.contains(pid) {
            guard let entry = deltas.last(where: { $0.entered.contains(pid) }) else { return nil }
            return (.realized, entry.time, entry.evaluationId)
        }
        guard exited.contains(pid), let exit = deltas.lastIndex(where: { $0.exited.contains(pid) }) else { return nil }
        let entered = deltas[..<exit].last(where: { $0.entered.contains(pid) })
        return (.exited, entered?.time ?? deltas[exit].time, deltas[exit].evaluationId)
    }

    /// The members an export with `selection` sends.
    public func selected(_ selection: MemberSelection, exited: MemberBitmap) -> MemberBitmap {
        switch selection {
        case .realized:
            return current
        case .changedSince(let evaluationId, let includingExited):
            var changed = MemberBitmap()
            for delta in deltas where delta.evaluationId > evaluationId {
                changed = changed.union(delta.entered).union(delta.exited)
            }
            return changed.intersection(includingExited ? current.union(exited) : current)
        }
    }
}
