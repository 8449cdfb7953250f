import Foundation
import GRDB
import Segmentation

extension Workspace {
    /// Creates a segment after checking its PQL: a parse error or a type error
    /// against the field kinds seen in stored profiles is thrown as `PQLError`.
    public func createSegment(
        name: String, pql: String, description: String? = nil, id: String? = nil, now: Date = Date()
    ) async throws -> SegmentRecord {
        let trimmedName = try NameRules.checked(name, kind: "segment")
        let segmentId: String
        if let id {
            guard let uuid = UUID(uuidString: id) else {
                throw WorkspaceError(.badSegmentId, "'\(id)' is not a UUID, e.g. 25768be6-ebd5-45cc-8913-12fb3f348615.")
            }
            segmentId = uuid.uuidString.lowercased()
        } else {
            segmentId = UUID().uuidString.lowercased()
        }
        let expression = try PQL.parse(pql)
        return try await dbPool.write { db in
            try PQL.typeCheck(expression, text: pql, fieldKinds: FieldKindSampler.sample(db))
            if try SegmentRecord.filter(SegmentRecord.Columns.name == trimmedName).fetchCount(db) > 0 {
                throw WorkspaceError(.segmentExists, "A segment named '\(trimmedName)' already exists.")
            }
            if try SegmentRecord.filter(SegmentRecord.Columns.id == segmentId).fetchCount(db) > 0 {
                throw WorkspaceError(.segmentExists, "A segment with id \(segmentId) already exists.")
            }
            if !PQL.segmentReferences(expression).isEmpty {
                let others = try SegmentRecord.fetchAll(db).compactMap { other in
                    (try? PQL.parse(other.pql)).map {
                        PQLSegmentDefinition(id: other.id, name: other.name, expression: $0)
                    }
                }
                do {
                    try PQL.checkDependencies(
                        of: PQLSegmentDefinition(id: segmentId, name: trimmedName, expression: expression),
                        among: others)
                } catch {
                    throw WorkspaceError(.segmentDependency, String(describing: error))
                }
            }
            var segment = SegmentRecord(
                id: segmentId, name: trimmedName, pql: pql, description: description, createdAt: now)
            try segment.insert(db)
            return segment
        }
    }

    public func segments() async throws -> [SegmentRecord] {
        try await dbPool.read { db in try SegmentRecord.order(SegmentRecord.Columns.name).fetchAll(db) }
    }

    /// The segment with this id, else with this name.
    public func segment(named nameOrId: String) async throws -> SegmentRecord {
        try await dbPool.read { db in try Self.segment(nameOrId, in: db) }
    }

    static func segment(_ nameOrId: String, in db: Database) throws -> SegmentRecord {
        if let byId = try SegmentRecord.filter(SegmentRecord.Columns.id == nameOrId.lowercased()).fetchOne(db) {
            return byId
        }
        if let byName = try SegmentRecord.filter(SegmentRecord.Columns.name == nameOrId).fetchOne(db) {
            return byName
        }
        throw WorkspaceError(
            .segmentNotFound, "No segment is named or has the id '\(nameOrId)'; `ferry segments list` shows them.")
    }

    /// Deletes a segment with its memberships and evaluations. Refused while an activation
    /// exports it: its runs would fail with no segment to name, and so go unrecorded.
    @discardableResult
    public func deleteSegment(_ nameOrId: String) async throws -> SegmentRecord {
        try await dbPool.write { db in
            let segment = try Self.segment(nameOrId, in: db)
            let users = try ActivationRecord.order(ActivationRecord.Columns.name).fetchAll(db)
                .filter { $0.segmentIds.contains(segment.id) }
            guard users.isEmpty else {
                throw WorkspaceError(
                    .segmentInUse,
                    "Segment '\(segment.name)' is exported by activation(s) \(users.map { "'\($0.name)'" }.joined(separator: ", ")); delete them first."
                )
            }
            // A segment that names this one with inSegment would silently lose its members.
            let dependents = try SegmentRecord.order(SegmentRecord.Columns.name).fetchAll(db).filter { other in
                other.id != segment.id
                    && (try? PQL.parse(other.pql)).map { expression in
                        PQL.segmentReferences(expression).contains {
                            $0.lowercased() == segment.id || $0 == segment.name
                        }
                    } ?? false
            }
            guard dependents.isEmpty else {
                throw WorkspaceError(
                    .segmentInUse,
                    "Segment '\(segment.name)' is named with inSegment by segment(s) \(dependents.map { "'\($0.name)'" }.joined(separator: ", ")); delete or change them first."
                )
            }
            try segment.delete(db)
            return segment
        }
    }

    /// The most recent finished evaluation of a segment, given its `id` (UUID).
    public func latestEvaluation(segmentId: String) async throws -> EvaluationRecord? {
        try await dbPool.read { db in
            let segment = try Self.segment(segmentId, in: db)
            return
                try EvaluationRecord
                .filter(EvaluationRecord.Columns.sid == segment.sid && EvaluationRecord.Columns.finishedAt != nil)
                .order(EvaluationRecord.Columns.id.desc)
                .fetchOne(db)
        }
    }

    /// Up to `limit` members of `segment` with a pid above `afterPid`, in pid
    /// order. Keyset pages keep no read transaction open between them, so a
    /// caller writing a million members out holds one page at a time.
    public func memberPage(
        of segment: SegmentRecord, status: MembershipRecord.Status? = nil, afterPid: Int64, limit: Int
    ) async throws -> [MemberEntry] {
        guard let sid = segment.sid else { return [] }
        return try await dbPool.read { db in
            let snapshot = try MembershipSnapshot.load(sid: sid, in: db)
            let exited = snapshot.exited
            let listed = Self.listed(snapshot, exited: exited, status: status)
            return try Self.memberEntries(listed.members(after: afterPid, limit: limit), snapshot, exited, in: db)
        }
    }

    private static func listed(_ snapshot: MembershipSnapshot, exited: MemberBitmap, status: MembershipRecord.Status?)
        -> MemberBitmap
    {
        switch status {
        case .realized: snapshot.current
        case .exited: exited
        case nil: snapshot.current.union(exited)
        }
    }

    private static func memberEntries(
        _ pids: [Int64], _ snapshot: MembershipSnapshot, _ exited: MemberBitmap, in db: Database
    ) throws -> [MemberEntry] {
        guard !pids.isEmpty else { return [] }
        let identities = try Row.fetchAll(
            db, sql: "SELECT pid, namespace, identity FROM profile WHERE pid IN (SELECT value FROM json_each(?))",
            arguments: [pidList(pids)])
        var byPid: [Int64: (String, String)] = [:]
        for row in identities { byPid[row[0]] = (row[1], row[2]) }
        return pids.compactMap { pid in
            guard let (namespace, identity) = byPid[pid], let facts = snapshot.describe(pid, exited: exited) else {
                return nil
            }
            return MemberEntry(
                pid: pid, namespace: namespace, identity: identity, status: facts.status,
                lastQualificationTime: Date(timeIntervalSince1970: facts.lastQualificationTime),
                changedInEvaluation: facts.changedInEvaluation)
        }
    }

    /// Pids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one
    /// statement for any page size, within SQLite's limit on parameters.
    static func pidList(_ pids: [Int64]) -> String {
        "[" + pids.map(String.init).joined(separator: ",") + "]"
    }

    /// Calls `body` for each member, in pid order, a page at a time within one
    /// read, so a million members never sit in memory at once. It blocks its
    /// thread, so async code pages with `memberPage(of:status:afterPid:limit:)` instead.
    public func forEachMember(
        ofSegment nameOrId: String, status: MembershipRecord.Status? = nil, _ body: (MemberEntry) throws -> Void
    ) throws {
        try dbPool.read { db in
            let segment = try Self.segment(nameOrId, in: db)
            guard let sid = segment.sid else { return }
            let snapshot = try MembershipSnapshot.load(sid: sid, in: db)
            let exited = snapshot.exited
            let listed = Self.listed(snapshot, exited: exited, status: status)
            var after: Int64 = 0
            while true {
                let pids = listed.members(after: after, limit: 1000)
                guard let last = pids.last else { break }
                for entry in try Self.memberEntries(pids, snapshot, exited, in: db) { try body(entry) }
                after = last
            }
        }
    }
}
