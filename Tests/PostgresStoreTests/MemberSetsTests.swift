import Foundation
import Logging
import PostgresNIO
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// PostgreSQL memberships as member sets: a workspace that held a row per
/// member keeps, once migrated, what member lists and exports read of them.
@Suite struct MemberSetsTests {
    @Test func membershipRowsOfAnOlderWorkspaceBecomeMemberSets() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.memberSetsMigration)
        let (first, second) = (1_790_000_000.0, 1_790_086_400.0)
        do {
            // Rows as the previous release wrote them: p1 entered in the first
            // evaluation, p2 in the second, p3 entered in the first and exited in the second.
            try await older.withConnection { connection in
                for index in 1...4 {
                    try await connection.query(
                        """
                        INSERT INTO profile (pid, namespace, identity, doc, updated_at)
                        VALUES (\(Int64(index)), 'Email', \("p\(index)@x.io"), '{"a":1}'::jsonb, 0)
                        """, logger: older.logger
                    ).collect()
                }
                try await connection.query(
                    """
                    INSERT INTO segment (sid, id, name, pql, created_at)
                    VALUES (1, '25768be6-ebd5-45cc-8913-12fb3f348615', 'old', 'a = 1', 0)
                    """, logger: older.logger
                ).collect()
                try await connection.query(
                    """
                    INSERT INTO evaluation (id, sid, started_at, finished_at, realized, existing, exited, used_sql)
                    VALUES (1, 1, \(first), \(first), 2, 0, 0, TRUE), (2, 1, \(second), \(second), 1, 1, 1, TRUE)
                    """, logger: older.logger
                ).collect()
                try await connection.query(
                    """
                    INSERT INTO membership (sid, pid, status, last_qualification_time, status_changed_at, changed_in_evaluation)
                    VALUES (1, 1, 'realized', \(first), \(first), 1), (1, 2, 'realized', \(second), \(second), 2),
                           (1, 3, 'exited', \(first), \(second), 2)
                    """, logger: older.logger
                ).collect()
                try await connection.query(
                    """
                    SELECT setval('profile_pid_seq', 4), setval('segment_sid_seq', 1), setval('evaluation_id_seq', 2)
                    """, logger: older.logger
                ).collect()
            }
        }
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        let segment = try await workspace.segment(named: "old")
        let members = try await workspace.memberPage(of: segment, status: nil, afterPid: 0, limit: 10)
        #expect(members.map(\.pid) == [1, 2, 3])
        #expect(members.map(\.status) == [.realized, .realized, .exited])
        #expect(members.map(\.changedInEvaluation) == [1, 2, 2])
        #expect(members.map(\.lastQualificationTime.timeIntervalSince1970) == [first, second, first])
        let realized = try await workspace.memberPage(of: segment, status: .realized, afterPid: 1, limit: 10)
        #expect(realized.map(\.pid) == [2])

        let changed = try await workspace.exportRows(
            segmentSid: 1, fields: [.attribute(["a"])], selection: .changedSince(evaluationId: 1, includingExited: true)
        )
        let rows = try await changed.page(afterPid: 0, limit: 10)
        #expect(rows.pids == [2, 3])
        #expect(rows.statuses == ["realized", "exited"])
        #expect(rows.values == [.json(.int(1)), .json(.int(1))])

        // The next evaluation starts from the converted set: p3 comes back, p4 enters.
        let summary = try #require(
            try await workspace.evaluate(segmentIds: ["old"], now: Date(timeIntervalSince1970: second + 86_400)).first)
        #expect(summary.realized == 2 && summary.existing == 2 && summary.exited == 0)
        let gone = try await workspace.withConnection { connection in
            try await connection.query("SELECT to_regclass('membership') IS NULL", logger: workspace.logger)
                .collect()[0].decode(Bool.self)
        }
        #expect(gone)
    }

    /// A segment PostgreSQL fails at run time fails alone, and keeps its set.
    @Test func aSegmentFailingAtRunTimeFailsAlone() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let lines = (0..<20).map { index in
            #"{"identityMap":{"Email":[{"id":"p\#(index)@x.io","primary":true}]},"a":\#(index % 5),"d":"19\#(60 + index)-03-01"}"#
        }
        _ = try await subject.importLines(lines)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let conditions = ["low": "a < 2", "four": "a = 4", "old": "d occurs before date(1970, 1, 1)"]
        for (name, pql) in conditions {
            _ = try await workspace.createSegment(name: name, pql: pql, description: nil, id: nil, now: now)
        }
        let documents = try lines.map { try JSONValue.parse($0) }
        func expected(_ name: String) throws -> Int {
            let expression = try PQL.parse(conditions[name]!)
            return documents.filter { PQL.evaluate(expression, on: $0, now: now) }.count
        }
        let first = Dictionary(
            uniqueKeysWithValues: try await workspace.evaluate(segmentIds: [], now: now).map { ($0.segmentName, $0) })
        for name in conditions.keys {
            let count = try expected(name)
            #expect(first[name]?.failure == nil && first[name]?.realized == count, "\(name)")
        }
        try await workspace.withConnection { connection in
            try await connection.query(
                """
                CREATE OR REPLACE FUNCTION ferry_pql_time(value text, part integer) RETURNS double precision
                LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RAISE EXCEPTION 'no times today'; END $$
                """, logger: workspace.logger
            ).collect()
        }
        let second = Dictionary(
            uniqueKeysWithValues: try await workspace.evaluate(segmentIds: [], now: now).map { ($0.segmentName, $0) })
        #expect(second["old"]?.failure?.contains("no times today") == true)
        for name in ["low", "four"] {
            let count = try expected(name)
            #expect(second[name]?.failure == nil && second[name]?.existing == count, "\(name)")
        }
    }
}
