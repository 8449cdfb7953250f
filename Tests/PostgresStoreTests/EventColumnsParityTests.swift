import Foundation
import PostgresNIO
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// Typed event columns on both backends: a path holding a number in one event,
/// text, a boolean, null, an array or an object in others, and keys with dots,
/// quotes and non-ASCII letters; event segments over them select on each store
/// what the reference evaluator selects on the same documents.
@Suite struct EventColumnsParityTests {
    static let now = Date(timeIntervalSince1970: 1_781_524_800)

    static let values = [
        "1", "2", "-3", "2.5", "1.50", "0", "12345678901234567890", "1e2", #""1""#, #""abc""#, #""""#, #""Zoë""#,
        #""a\nb""#, "true", "false", "null", #"[1,"x"]"#, #"{"k":1}"#, "[]", "{}",
    ]

    static func data() -> (profiles: [String], events: [(owner: String, seconds: Double, line: String)]) {
        var profiles: [String] = []
        var events: [(String, Double, String)] = []
        var counter = 0
        for index in 0..<24 {
            let id = "p\(index)"
            profiles.append(#"{"identityMap":{"email":[{"id":"\#(id)","primary":true}]},"tier":\#(index % 3)}"#)
            for number in 0..<(index % 4 + 1) {
                counter += 1
                let value = values[(index * 7 + number * 3) % values.count]
                let other = values[(index * 5 + number) % values.count]
                let seconds = now.timeIntervalSince1970 - Double((index * 13 + number) % 20) * 86_400 - 60
                let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
                events.append(
                    (
                        id, seconds,
                        #"{"_id":"\#(id)-\#(number)","timestamp":"\#(time)","eventType":"t\#(counter % 2)","identityMap":{"email":[{"id":"\#(id)"}]},"v":\#(value),"o":{"p":\#(other)},"o.p":\#(value),"ünï":\#(other),"we\"ird":1,"it's":2}"#
                    ))
            }
        }
        return (profiles, events)
    }

    static let definitions = [
        "xEvent[v > 1]", "xEvent[v = 1]", #"xEvent[v = "1"]"#, "xEvent[v.isNull()]", "xEvent[v.isNotNull()]",
        #"xEvent[v.startsWith("a")]"#, "xEvent[v]", "xEvent[v.includes(1)]", "xEvent[v in [1, 2, \"abc\"]]",
        "xEvent[o.p >= 2]", #"xEvent[o.p != "abc"]"#, "xEvent[o.p = ^.tier]", "xEvent.sum(v) > 3",
        "xEvent[eventType = \"t1\"].average(o.p) >= 1", "xEvent.max(v) > 100", "xEvent[v + 1 > 2]",
        "exists E from xEvent where E.v < 2 and E.o.p > 0", "forall E from xEvent where E.v.isNotNull()",
        "xEvent[o.k = 1]", "xEvent[o = 1]", "not xEvent[v = false]",
    ]

    static func expected(
        _ pql: String, _ data: (profiles: [String], events: [(owner: String, seconds: Double, line: String)])
    )
        throws -> Set<String>
    {
        let expression = try PQL.parse(pql)
        var members: Set<String> = []
        for (index, profile) in data.profiles.enumerated() {
            let id = "p\(index)"
            let events = try data.events.filter { $0.owner == id }.sorted { $0.seconds < $1.seconds }
                .map { try JSONValue.parse($0.line) }
            if PQL.evaluate(expression, on: try JSONValue.parse(profile), events: events, now: now) {
                members.insert(id)
            }
        }
        return members
    }

    static func evaluate(
        _ store: any FerryStore, _ data: (profiles: [String], events: [(owner: String, seconds: Double, line: String)]),
        label: String
    ) async throws {
        for (index, pql) in definitions.enumerated() {
            _ = try await store.createSegment(name: "c\(index)", pql: pql, description: nil, id: nil, now: now)
        }
        let summaries = try await store.evaluate(segmentIds: [], now: now)
        #expect(summaries.allSatisfy { $0.failure == nil && $0.usedSQL }, "\(label)")
        for (index, pql) in definitions.enumerated() {
            let segment = try await store.segment(named: "c\(index)")
            let page = try await store.memberPage(of: segment, status: .realized, afterPid: 0, limit: 1000)
            #expect(Set(page.map(\.identity)) == (try expected(pql, data)), "\(label): \(pql)")
        }
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func eventSegmentsOverMixedTypesAgreeWithTheReferenceEvaluator(backend: StoreUnderTest.Backend) async throws {
        let underTest = try await StoreUnderTest.make(backend)
        defer { Task { await underTest.cleanUp() } }
        let data = Self.data()
        _ = try await underTest.importLines(data.profiles)
        let file = underTest.folder.appendingPathComponent("events.jsonl")
        try data.events.map(\.line).joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
        let events = try #require(underTest.store as? any EventStore)
        let summary = try await events.importEvents([.file(file.path)], maxErrors: 0) { _ in }
        #expect(summary.inserted == data.events.count && summary.rejected == 0)
        if let postgres = underTest.store as? PostgresWorkspace {
            let columns = try await postgres.withConnection { connection in
                try await PostgresWorkspace.eventColumns(on: connection, logger: postgres.logger)
            }
            #expect(
                Set(columns.keys).isSuperset(of: [["v"], ["o", "p"], ["o.p"], ["ünï"], ["we\"ird"], ["it's"]]),
                "\(columns)")
        }
        try await Self.evaluate(underTest.store, data, label: "\(backend)")
    }

    @Test func anOlderPostgresWorkspaceGetsItsEventColumnsWhenMigrated() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.eventColumnsMigration)
        let data = Self.data()
        let before = StoreUnderTest(
            store: older, secretBox: older.secretBox, folder: FileManager.default.temporaryDirectory, cleanUp: {})
        _ = try await before.importLines(data.profiles)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try data.events.map(\.line).joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
        _ = try await older.importEvents([.file(file.path)], maxErrors: 0) { _ in }
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        let (columns, mismatched) = try await workspace.withConnection { connection in
            let columns = try await PostgresWorkspace.eventColumns(on: connection, logger: workspace.logger)
            let v = try #require(columns[["v"]])
            let row = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FILTER (WHERE xv\(v) IS DISTINCT FROM edoc -> 'v'
                            OR xs\(v) IS DISTINCT FROM (CASE WHEN jsonb_typeof(edoc -> 'v') = 'string' THEN edoc ->> 'v' END)
                            OR xn\(v) IS DISTINCT FROM (CASE WHEN jsonb_typeof(edoc -> 'v') = 'number' THEN (edoc -> 'v')::numeric END))
                        FROM event
                        """), logger: workspace.logger
            ).collect()[0]
            return (columns, try row.decode(Int.self))
        }
        #expect(Set(columns.keys).isSuperset(of: [["v"], ["o", "p"], ["o.p"]]), "\(columns)")
        #expect(mismatched == 0)
        try await Self.evaluate(workspace, data, label: "upgraded")
    }
}
