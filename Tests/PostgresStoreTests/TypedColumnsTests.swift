import Foundation
import PostgresNIO
import Segmentation
import Testing

@testable import PostgresStore
@testable import Workspace

/// PostgreSQL's typed columns: paths met at import get a `vN` column, segment
/// SQL reads it with its derived type `tN`, and what it selects is what the
/// Swift evaluator selects over the same documents.
@Suite struct TypedColumnsTests {
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    /// Each PQL text selects in `workspace` as many profiles as the Swift evaluator does over `documents`.
    static func expectCountsAsEvaluated(_ texts: [String], in workspace: PostgresWorkspace, documents: [JSONValue])
        async throws
    {
        for text in texts {
            let expression = try PQL.parse(text)
            let expected = documents.filter { PQL.evaluate(expression, on: $0, now: now) }.count
            #expect(try await workspace.countMembers(pql: text, now: now) == expected, "\(text)")
        }
    }

    /// Values of every JSON kind at the same paths, so a column holds several types; a prime
    /// number of them, so each path below meets every one.
    static let values = [
        "1", "2.5", "3", "-4", "1e2", "12345678901234567890", "1.0", #""3""#, #""Kim""#, #""Kirby""#, "true",
        "false", "null", #"["red",2]"#, "[]", "{}", #"{"x":1}"#, #""1985-06-01""#, #""1979-12-31T23:00:00Z""#,
        // For jsonb containment: a nested array, a bare string and an object holding the string.
        #"[["red"],"x"]"#, #""red""#, #"{"red":"red"}"#, #"["x","red","x"]"#,
        // Dates whose UTC day is not the day they spell, at the bounds of the periods below.
        #""1979-12-31T23:30:00-05:00""#, #""1990-01-02T01:00:00+05:00""#, #""1980-01-01T01:00:00+02:00""#,
        #""1989-12-31""#, #""1990-01-01""#, #""1990-01-02""#, #""1979-12-31""#, #""1980-01-01""#,
    ]

    static func lines(from start: Int, count: Int, extra: String = "") -> [String] {
        (start..<(start + count)).map { index in
            let a = values[index % values.count]
            let p = values[(index * 7 + 3) % values.count]
            let d = values[(index * 5 + 1) % values.count]
            return
                #"{"identityMap":{"Email":[{"id":"p\#(index)@x.io","primary":true}]},"a":\#(a),"o":{"p":\#(p)},"d":\#(d)\#(extra)}"#
        }
    }

    static let conditions = [
        "a > 2", #"a = "3""#, "a = 3", "a.isNull()", "not (a > 2)", "o.p = 3", "o.p < 2.5", "o.p = true",
        "o.p = false", #"a.includes("red")"#, "a.includes(2)", #"o.p.startsWith("Ki")"#, #"a like "%ir%""#,
        "d occurs between date(1980, 1, 1) and date(1990, 1, 1)", "d occurs before date(1980, 1, 1)",
        "d < date(1980, 1, 1)", "d >= date(1990, 1, 1)", "d = date(1990, 1, 1)", "d > date(1989, 12, 31)",
        "d <= date(1979, 12, 31)", "d != date(1990, 1, 1)", "a occurs between date(1980, 1, 1) and date(1990, 1, 1)",
        "late.x = 1", "late.x.isNull()", "a > 2 or o.p = 3", "a >= 1234567890123456789", "a = 1", "o.p = 100",
        #"a in ["Kim", "Kirby"]"#, "a.x = 1", "o.isNull()", #"o.p.includes("red")"#, #"a.intersects(["red", "x"])"#,
        #"a.supersetOf(["x", "red"])"#, #"o.p.supersetOf(["red", 2])"#, #"missing.includes("red")"#,
    ]

    /// New columns are numbered in path order, not in the order of a Swift
    /// dictionary (which differs between processes), so the same input gives
    /// the same numbers in every import.
    @Test func newPathsOfABatchComeInPathOrder() {
        let keys = (0..<40).map { "k\($0)" }.shuffled()
        let document = "{" + keys.map { #""\#($0)":{"b":1,"a":"x"}"# }.joined(separator: ",") + "}"
        let batch = [ImportedProfile(namespace: "email", identity: "a@x.io", document: document)]
        let paths = PostgresWorkspace.leafPaths(ofSampleOf: batch, known: [["k3", "a"]])
        #expect(paths.count == 79)
        #expect(paths == paths.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(!paths.contains(["k3", "a"]))
    }

    @Test func segmentSQLReadsTypedColumnsAndSelectsWhatSwiftDoes() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        // The second import brings a path the table lacks while it holds rows.
        let first = Self.lines(from: 0, count: 60)
        let second = Self.lines(from: 60, count: 40, extra: #","late":{"x":1}"#)
        for lines in [first, second] {
            let (summary, rejections) = try await subject.importLines(lines)
            #expect(summary.inserted == lines.count && rejections.isEmpty)
        }
        let typed = try await workspace.typedColumns()
        for path in [["a"], ["o", "p"], ["d"], ["late", "x"], ["identityMap", "Email"]] {
            #expect(typed[path] != nil, "no typed column for \(path): \(typed)")
        }
        let late = try #require(typed[["late", "x"]])
        let filled = try await workspace.withConnection { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(v\(late)) FROM profile_value"), logger: workspace.logger
            ).collect()[0].decode(Int.self)
        }
        #expect(filled == second.count)

        let documents = try (first + second).map { try JSONValue.parse($0) }
        var checked = 0
        for text in Self.conditions {
            let expression = try PQL.parse(text)
            let expected = documents.filter { PQL.evaluate(expression, on: $0, now: Self.now) }.count
            guard let count = try await workspace.countMembers(pql: text, now: Self.now) else { continue }
            #expect(count == expected, "\(text): SQL selects \(count), Swift \(expected)")
            checked += 1
        }
        #expect(checked >= Self.conditions.count - 2)

        // A whole evaluation (memberships written) agrees too.
        let segment = try await workspace.createSegment(
            name: "mixed", pql: "a > 2 or o.p = 3", description: nil, id: nil, now: Self.now)
        let summary = try #require(try await workspace.evaluate(segmentIds: [segment.id], now: Self.now).first)
        #expect(summary.usedSQL)
        let expression = try PQL.parse(segment.pql)
        #expect(summary.realized == documents.filter { PQL.evaluate(expression, on: $0, now: Self.now) }.count)
    }

    /// An import writes the typed values of the profiles it makes itself, from values extracted
    /// before it takes the identity graph's lock, with two batches in flight: what it stores is
    /// what the documents hold, and a record imported twice ends as the later one.
    @Test func batchesWrittenTwoAtATimeStoreTheValuesTheDocumentsHold() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        _ = try await subject.importLines(Self.lines(from: 0, count: 40))
        // Known records changed, new ones, and one of the new ones again in a later batch.
        let changed = Self.lines(from: 0, count: 20).map { $0.replacingOccurrences(of: #""a":"#, with: #""a":7,"b":"#) }
        let again = Self.lines(from: 50, count: 1).map { $0.replacingOccurrences(of: #""a":"#, with: #""a":8,"b":"#) }
        let lines = changed + Self.lines(from: 40, count: 60) + again
        let (summary, rejections) = try await subject.importLines(lines, options: ImportOptions(batchSize: 7))
        #expect(rejections.isEmpty)
        #expect(summary.inserted == 60 && summary.updated == 21, "\(summary)")
        #expect(try await workspace.profileCount() == 100)

        let differing = try await typedValuesDifferingFromDocuments(in: workspace)
        #expect(differing.isEmpty, "typed values differing from the documents: \(differing)")
        for (index, line) in [(3, changed[3]), (45, Self.lines(from: 45, count: 1)[0]), (50, again[0])] {
            let stored = try await workspace.profile(namespace: "Email", identity: "p\(index)@x.io")
            #expect(try stored.map { try JSONValue.parse($0.doc) } == (try JSONValue.parse(line)), "p\(index)")
        }
        let documents = try (changed + Self.lines(from: 20, count: 80)).enumerated().map { index, line in
            try JSONValue.parse(index == 50 ? again[0] : line)
        }
        try await Self.expectCountsAsEvaluated(
            ["a > 2", "o.p = 3", "a = 7", "a = 8", "b.isNull()"], in: workspace, documents: documents)
    }

    @Test func anOlderWorkspaceIsTypedWhenMigratedWithNothingLost() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresSchema.typedColumnsMigration)
        let lines = Self.lines(from: 0, count: 30)
        // Profiles as the previous release stored them.
        try await Self.storeAsBefore(lines, in: older)
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        #expect(try await workspace.profileCount() == lines.count)
        let typed = try await workspace.typedColumns()
        #expect(typed[["a"]] != nil && typed[["o", "p"]] != nil, "\(typed)")
        let stored = try await workspace.profile(namespace: "Email", identity: "p3@x.io")
        #expect(try stored.map { try JSONValue.parse($0.doc) } == (try JSONValue.parse(lines[3])))
        let documents = try lines.map { try JSONValue.parse($0) }
        try await Self.expectCountsAsEvaluated(
            ["a > 2", "o.p = 3", #"a = "Kim""#], in: workspace, documents: documents)
    }

    @Test func typedValuesOfAnOlderWorkspaceGainTheirTextAndNumericWhenMigrated() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.nativeValuesMigration)
        let lines = Self.lines(from: 0, count: 40)
        let before = StoreUnderTest(
            store: older, secretBox: older.secretBox, folder: FileManager.default.temporaryDirectory, cleanUp: {})
        _ = try await before.importLines(lines)
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        let a = try #require(try await workspace.typedColumns()[["a"]])
        let (texts, numbers, mismatched) = try await workspace.withConnection { connection in
            let row = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(s\(a)), count(n\(a)), count(*) FILTER (WHERE
                            s\(a) IS DISTINCT FROM (CASE WHEN jsonb_typeof(v\(a)) = 'string' THEN v\(a) #>> '{}' END)
                            OR n\(a) IS DISTINCT FROM (CASE WHEN jsonb_typeof(v\(a)) = 'number' THEN (v\(a))::numeric END))
                        FROM profile_value
                        """), logger: workspace.logger
            ).collect()[0]
            return try row.decode((Int, Int, Int).self)
        }
        let values = try lines.map { try JSONValue.parse($0) }.map { document -> JSONValue? in
            guard case .object(let fields) = document else { return nil }
            return fields["a"]
        }
        #expect(texts == values.filter { if case .string = $0 { true } else { false } }.count)
        #expect(
            numbers
                == values.filter {
                    switch $0 {
                    case .int, .double, .number: true
                    default: false
                    }
                }.count)
        #expect(mismatched == 0)

        // A path met after the migration gets its text and numeric too.
        let subject = StoreUnderTest(
            store: workspace, secretBox: workspace.secretBox, folder: FileManager.default.temporaryDirectory,
            cleanUp: {})
        let second = Self.lines(from: 40, count: 10, extra: #","late":{"x":1}"#)
        _ = try await subject.importLines(second)
        let documents = try (lines + second).map { try JSONValue.parse($0) }
        try await Self.expectCountsAsEvaluated(Self.conditions, in: workspace, documents: documents)
    }

    @Test func textAndNumericOfAnOlderWorkspaceStayWhenTheWritersKeepThem() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.plainNativeValuesMigration)
        let before = StoreUnderTest(
            store: older, secretBox: older.secretBox, folder: FileManager.default.temporaryDirectory, cleanUp: {})
        _ = try await before.importLines(Self.lines(from: 0, count: 40), options: ImportOptions(batchSize: 10))
        #expect(try await Self.generatedColumns(of: older) > 0)
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        #expect(try await Self.generatedColumns(of: workspace) == 0)
        #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)

        // Every later write keeps them: new profiles with a new path, changed ones, merged ones.
        let subject = StoreUnderTest(
            store: workspace, secretBox: workspace.secretBox, folder: FileManager.default.temporaryDirectory,
            cleanUp: {})
        _ = try await subject.importLines(Self.lines(from: 40, count: 10, extra: #","late":{"x":"y"}"#))
        _ = try await subject.importLines(Self.lines(from: 3, count: 10, extra: #","late":{"x":2}"#))
        let merging = Self.lines(from: 20, count: 5).enumerated().map { offset, line in
            line.replacingOccurrences(
                of: #""primary":true}]"#, with: #""primary":true},{"id":"p\#(30 + offset)@x.io"}]"#)
        }
        _ = try await subject.importLines(merging)
        #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)
        let documents = try await workspace.withConnection { connection in
            try await connection.query("SELECT doc::text FROM profile", logger: workspace.logger).collect().map {
                try JSONValue.parse(try $0.decode(String.self))
            }
        }
        try await Self.expectCountsAsEvaluated(Self.conditions, in: workspace, documents: documents)
    }

    /// How many columns of `profile_value` the server generates.
    static func generatedColumns(of workspace: PostgresWorkspace) async throws -> Int {
        try await workspace.withConnection { connection in
            try await connection.query(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'profile_value'::regclass AND attgenerated <> ''",
                logger: workspace.logger
            ).collect()[0].decode(Int.self)
        }
    }

    @Test func typedValuesOfAnOlderWorkspaceMoveToTheirOwnTableWithNothingLost() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.typedValuesMigration)
        let lines = Self.lines(from: 0, count: 30)
        do {
            // The previous release's layout: typed values as generated columns of `profile`.
            try await older.withConnection { connection in
                for (number, path) in [(1, ["a"]), (2, ["o", "p"])] {
                    let value = PostgresWorkspace.extraction(of: path, from: "doc")
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL:
                                "ALTER TABLE profile ADD COLUMN v\(number) JSONB GENERATED ALWAYS AS (\(value)) STORED"
                        ), logger: older.logger
                    ).collect()
                    try await connection.query(
                        "INSERT INTO profile_field (col, path) VALUES (\(number), \(path))", logger: older.logger
                    ).collect()
                }
            }
        }
        try await Self.storeAsBefore(lines, in: older)
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        #expect(try await workspace.profileCount() == lines.count)
        #expect(try await workspace.typedColumns() == [["a"]: 1, ["o", "p"]: 2])
        let (left, stored) = try await workspace.withConnection { connection in
            let left = try await connection.query(
                """
                SELECT count(*) FROM information_schema.columns
                WHERE table_name = 'profile' AND column_name ~ '^v[0-9]+$'
                """, logger: workspace.logger
            ).collect()[0].decode(Int.self)
            let stored = try await connection.query(
                "SELECT count(*) FROM profile_value WHERE v2 IS NOT NULL", logger: workspace.logger
            ).collect()[0].decode(Int.self)
            return (left, stored)
        }
        #expect(left == 0)
        #expect(stored == lines.filter { $0.contains(#""o":{"p":"#) }.count)

        // Later writes keep the values right: new profiles with a new path, and a re-import.
        let subject = StoreUnderTest(
            store: workspace, secretBox: workspace.secretBox, folder: FileManager.default.temporaryDirectory,
            cleanUp: {})
        let second = Self.lines(from: 30, count: 10, extra: #","late":{"x":1}"#)
        let changed = Self.lines(from: 1, count: 5).map { $0.replacingOccurrences(of: #""a":"#, with: #""a":7,"b":"#) }
        for batch in [second, changed] { _ = try await subject.importLines(batch) }
        var documents = try (lines + second).map { try JSONValue.parse($0) }
        for (offset, line) in changed.enumerated() { documents[1 + offset] = try JSONValue.parse(line) }
        try await Self.expectCountsAsEvaluated(
            ["a > 2", "o.p = 3", #"a = "Kim""#, "late.x = 1", "a = 7"], in: workspace, documents: documents)
    }

    /// Profiles and their identities written as an older release wrote them, one
    /// `Email` identity each (`p<index>@x.io`).
    static func storeAsBefore(_ lines: [String], in older: PostgresWorkspace) async throws {
        try await older.withConnection { connection in
            for (index, line) in lines.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO profile (namespace, identity, doc, updated_at)
                    VALUES ('Email', \("p\(index)@x.io"), \(line)::jsonb, 0)
                    """, logger: older.logger
                ).collect()
            }
            try await connection.query(
                "INSERT INTO identity (namespace, id, pid, linked_at) SELECT namespace, identity, pid, 0 FROM profile",
                logger: older.logger
            ).collect()
        }
    }
}
