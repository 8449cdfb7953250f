import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace: SegmentStore {
    /// Exited members are forgotten after this long, as on SQLite.
    static let exitedRetention: TimeInterval = 30 * 24 * 3600

    public func createSegment(name: String, pql: String, description: String?, id: String?, now: Date) async throws
        -> SegmentRecord
    {
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
        try PQL.typeCheck(expression, text: pql, fieldKinds: try await sampledFieldKinds())
        return try await transaction { connection in
            let clash = try await connection.query(
                "SELECT id = \(segmentId) FROM segment WHERE name = \(trimmedName) OR id = \(segmentId) LIMIT 1",
                logger: self.logger
            ).collect().first?.decode(Bool.self)
            if let sameId = clash {
                throw sameId
                    ? WorkspaceError(.segmentExists, "A segment with id \(segmentId) already exists.")
                    : WorkspaceError(.segmentExists, "A segment named '\(trimmedName)' already exists.")
            }
            let row = try await connection.query(
                """
                INSERT INTO segment (id, name, pql, description, created_at)
                VALUES (\(segmentId), \(trimmedName), \(pql), \(description), \(now.timeIntervalSince1970))
                RETURNING \(unescaped: PostgresRows.segmentColumns)
                """, logger: self.logger
            ).collect()
            return try PostgresRows.segment(row[0])
        }
    }

    public func segments() async throws -> [SegmentRecord] {
        try await withConnection { connection in
            try await connection.query(
                "SELECT \(unescaped: PostgresRows.segmentColumns) FROM segment ORDER BY name", logger: self.logger
            ).collect().map(PostgresRows.segment)
        }
    }

    public func segment(named nameOrId: String) async throws -> SegmentRecord {
        try await withConnection { connection in try await self.segment(nameOrId, on: connection) }
    }

    func segment(_ nameOrId: String, on connection: PostgresConnection) async throws -> SegmentRecord {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresRows.segmentColumns) FROM segment
            WHERE id = \(nameOrId.lowercased()) OR name = \(nameOrId)
            ORDER BY (id = \(nameOrId.lowercased())) DESC LIMIT 1
            """, logger: logger
        ).collect()
        guard let row = rows.first else {
            throw WorkspaceError(
                .segmentNotFound, "No segment is named or has the id '\(nameOrId)'; `ferry segments list` shows them.")
        }
        return try PostgresRows.segment(row)
    }

    @discardableResult
    public func deleteSegment(_ nameOrId: String) async throws -> SegmentRecord {
        try await transaction { connection in
            let segment = try await self.segment(nameOrId, on: connection)
            let users = try await connection.query(
                "SELECT \(unescaped: PostgresRows.activationColumns) FROM activation ORDER BY name",
                logger: self.logger
            ).collect().map(PostgresRows.activation).filter { $0.segmentIds.contains(segment.id) }
            guard users.isEmpty else {
                throw WorkspaceError(
                    .segmentInUse,
                    "Segment '\(segment.name)' is exported by activation(s) \(users.map { "'\($0.name)'" }.joined(separator: ", ")); delete them first."
                )
            }
            _ = try await connection.query("DELETE FROM segment WHERE sid = \(segment.sid)", logger: self.logger)
                .collect()
            return segment
        }
    }

    public func latestEvaluation(segmentId: String) async throws -> EvaluationRecord? {
        try await withConnection { connection in
            let segment = try await self.segment(segmentId, on: connection)
            return try await connection.query(
                """
                SELECT \(unescaped: PostgresRows.evaluationColumns) FROM evaluation
                WHERE sid = \(segment.sid) AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1
                """, logger: self.logger
            ).collect().first.map(PostgresRows.evaluation)
        }
    }

    public func memberPage(of segment: SegmentRecord, status: MembershipRecord.Status?, afterPid: Int64, limit: Int)
        async throws -> [MemberEntry]
    {
        guard let sid = segment.sid else { return [] }
        return try await withConnection { connection in
            let snapshot = try await Self.membershipSnapshot(sid: sid, on: connection, logger: self.logger)
            let exited = snapshot.exited
            let listed: MemberBitmap =
                switch status {
                case .realized: snapshot.current
                case .exited: exited
                case nil: snapshot.current.union(exited)
                }
            let pids = listed.members(after: afterPid, limit: limit)
            guard !pids.isEmpty else { return [] }
            return try await connection.query(
                "SELECT pid, namespace, identity FROM profile WHERE pid = ANY(\(pids)) ORDER BY pid",
                logger: self.logger
            ).collect().compactMap { row in
                let (pid, namespace, identity) = try row.decode((Int64, String, String).self)
                guard let facts = snapshot.describe(pid, exited: exited) else { return nil }
                return MemberEntry.make(
                    pid: pid, namespace: namespace, identity: identity, status: facts.status,
                    lastQualificationTime: Date(timeIntervalSince1970: facts.lastQualificationTime),
                    changedInEvaluation: facts.changedInEvaluation)
            }
        }
    }
}
