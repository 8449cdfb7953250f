import Foundation
import PostgresNIO
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// Object marks: a path that is an object in profiles and has no typed column
/// (`m`, `m.n` below) answers `isNull()`, its type and its scalar values from
/// `profile_value`, selecting what the Swift evaluator selects, whoever wrote the rows.
@Suite struct ObjectMarksTests {
    /// What `m` holds in the profiles the import does not sample for new paths (3 of
    /// every 4 in a batch of 256), so none of it gets a column of its own.
    static let shapes = [
        "{}", "null", #""s""#, "5", "true", "[1,2]", #"{"z":1}"#, #"{"n":{}}"#, #"{"n":null}"#,
        #"{"n":{"q":null}}"#, #"{"k":null}"#, #"{"n":"str"}"#, #"{"n":{"r":1}}"#, #"{"n":[1]}"#, #"{"k":2}"#,
        #"{"n":{"q":"y","r":{}}}"#, #"{"late":7}"#,
    ]

    /// `count` profiles from `start`: every fourth holds `m` fully (the paths that get
    /// columns), the others one of `shapes` or no `m` at all.
    static func lines(from start: Int, count: Int, shift: Int = 0) -> [String] {
        (start..<(start + count)).map { index in
            let m: String?
            if index % 4 == 0 {
                m = #"{"k":\#(index % 3),"n":{"q":"x"}}"#
            } else {
                let choice = (index * 7 + shift) % (shapes.count + 1)
                m = choice == shapes.count ? nil : shapes[choice]
            }
            return #"{"identityMap":{"Email":[{"id":"p\#(index)@x.io","primary":true}]},"a":\#(index)"#
                + (m.map { #","m":\#($0)"# } ?? "") + "}"
        }
    }

    static let conditions = [
        "m.isNull()", "m.isNotNull()", "m.n.isNull()", "m.n.isNotNull()", "not (m.isNull())", #"m = "s""#, "m = 5",
        "m = true", "m > 4", "m.includes(1)", #"m.n = "str""#, #"m.n.startsWith("s")"#, "m.n.includes(1)",
        "m.k = 1 or m.isNull()", "m.n.q.isNull()", "m.n.r.isNull()", "m.isNull() and a > 100",
        #"m.isNull() or not (m.n.q != "x")"#, "m.z.isNull()", "m.late.isNull()", "m.n.isNull() or m.k = 2",
    ]

    /// The typed columns and marks of `workspace` and how each condition compiles.
    static func expectMarks(in workspace: PostgresWorkspace) async throws {
        let layout = try await workspace.withConnection { connection in
            try await PostgresWorkspace.valueLayout(on: connection, logger: workspace.logger)
        }
        #expect(layout.typed[["m"]] == nil && layout.typed[["m", "n"]] == nil, "\(layout.typed)")
        #expect(layout.marks[["m"]] != nil && layout.marks[["m", "n"]] != nil, "\(layout.marks)")
        // Answered without the document, so such segments share the parallel scan.
        for text in ["m.isNull()", "m.n.isNotNull()", #"m.isNull() or not (m.n.q != "x")"#] {
            let fragment = try #require(
                PQL.sqlWhere(
                    try PQL.parse(text), dialect: .postgresql, documentColumn: "doc", typedColumns: layout.typed,
                    now: TypedColumnsTests.now, lazyDocument: PostgresWorkspace.lazyDocument, nativeValues: true,
                    objectColumns: layout.marks))
            #expect(
                !PostgresWorkspace.readsDocument(fragment) && !fragment.sql.lowercased().contains("select"), "\(text)")
        }
    }

    static func documents(of workspace: PostgresWorkspace) async throws -> [JSONValue] {
        try await workspace.withConnection { connection in
            try await connection.query("SELECT doc::text FROM profile", logger: workspace.logger).collect().map {
                try JSONValue.parse(try $0.decode(String.self))
            }
        }
    }

    @Test func marksSelectWhatSwiftDoesOnTheBulkAndTheBatchPathAndAfterLaterWrites() async throws {
        let lines = Self.lines(from: 0, count: 512)
        let both = try await BulkImportTests.BothPaths.importing(lines, batchSize: 256)
        defer { Task { await both.cleanUp() } }
        #expect(both.rejections.isEmpty)
        for workspace in [both.workspace, both.reference] {
            try await Self.expectMarks(in: workspace)
            #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)
            try await TypedColumnsTests.expectCountsAsEvaluated(
                Self.conditions, in: workspace, documents: try await Self.documents(of: workspace))
        }

        // Later writes: re-imports changing `m`'s shape (an object becoming `{}`, a
        // scalar becoming an object), a new typed column below `m` set in profiles
        // whose mark says `{}`, new profiles, and merges that delete profiles.
        let subject = both.batches
        let workspace = both.reference
        _ = try await subject.importLines(
            Self.lines(from: 0, count: 256, shift: 5), options: ImportOptions(batchSize: 256))
        let late = (0..<256).map { index in
            let m = index % 4 == 0 ? #"{"late":\#(index)}"# : Self.shapes[index % Self.shapes.count]
            return #"{"identityMap":{"Email":[{"id":"p\#(index * 3 + 2)@x.io","primary":true}]},"m":\#(m)}"#
        }
        _ = try await subject.importLines(late, options: ImportOptions(batchSize: 256))
        // A small batch is sampled whole: only profiles holding `m` fully.
        _ = try await subject.importLines(
            Self.lines(from: 512, count: 160).enumerated().filter { $0.offset % 4 == 0 }.map(\.element))
        let merging = (0..<10).map { index in
            #"{"identityMap":{"Email":[{"id":"p\#(index)@x.io","primary":true},{"id":"p\#(index + 20)@x.io"}]},"m":{"k":1,"n":{"q":"z"}}}"#
        }
        _ = try await subject.importLines(merging)
        let typed = try await workspace.typedColumns()
        #expect(typed[["m", "late"]] != nil, "\(typed)")
        try await Self.expectMarks(in: workspace)
        #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)
        try await TypedColumnsTests.expectCountsAsEvaluated(
            Self.conditions, in: workspace, documents: try await Self.documents(of: workspace))
    }

    @Test func anOlderWorkspaceGetsItsMarksWhenMigratedWithNothingLost() async throws {
        let database = try await TestDatabase.make()
        let older = try await database.older(before: PostgresWorkspace.objectMarksMigration)
        let before = StoreUnderTest(
            store: older, secretBox: older.secretBox, folder: FileManager.default.temporaryDirectory, cleanUp: {})
        let lines = Self.lines(from: 0, count: 512)
        _ = try await before.importLines(lines, options: ImportOptions(batchSize: 256))
        let workspace = try await database.upgrade(older)
        defer { Task { await database.close(workspace) } }
        #expect(try await workspace.profileCount() == lines.count)
        try await Self.expectMarks(in: workspace)
        #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)
        try await TypedColumnsTests.expectCountsAsEvaluated(
            Self.conditions, in: workspace, documents: try await Self.documents(of: workspace))

        // The writers keep them from then on.
        let subject = StoreUnderTest(
            store: workspace, secretBox: workspace.secretBox, folder: FileManager.default.temporaryDirectory,
            cleanUp: {})
        _ = try await subject.importLines(
            Self.lines(from: 0, count: 256, shift: 3), options: ImportOptions(batchSize: 256))
        #expect(try await typedValuesDifferingFromDocuments(in: workspace).isEmpty)
        try await TypedColumnsTests.expectCountsAsEvaluated(
            Self.conditions, in: workspace, documents: try await Self.documents(of: workspace))
    }

    @Test func anEvaluationCompiledBeforeAColumnBelowWasAddedIsCompiledAgain() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        _ = try await subject.importLines(Self.lines(from: 0, count: 256), options: ImportOptions(batchSize: 256))
        let stale = try await workspace.withConnection { connection in
            try await PostgresWorkspace.valueLayout(on: connection, logger: workspace.logger)
        }
        // Profiles whose `m` holds only a path met since: NULL marks, which SQL
        // compiled without its column would take for a missing `m`.
        let fresh = (300..<310).map {
            #"{"identityMap":{"Email":[{"id":"p\#($0)@x.io","primary":true}]},"m":{"fresh":1}}"#
        }
        _ = try await subject.importLines(fresh)
        await #expect(throws: PostgresWorkspace.ValueLayoutChanged.self) {
            try await workspace.withConnection { connection in
                try await PostgresWorkspace.expectLayout(stale, on: connection, logger: workspace.logger)
            }
        }
        let now = TypedColumnsTests.now
        let segment = try await workspace.createSegment(
            name: "no-m", pql: "m.isNull()", description: nil, id: nil, now: now)
        let summary = try await workspace.evaluateOne(
            segment, now: now, events: try await workspace.eventTable(now: now), layout: stale)
        let expression = try PQL.parse("m.isNull()")
        let expected = try await Self.documents(of: workspace).filter { PQL.evaluate(expression, on: $0, now: now) }
        #expect(summary.failure == nil)
        #expect(summary.realized + summary.existing == expected.count)
    }
}
