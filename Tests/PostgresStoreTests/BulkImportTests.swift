import Foundation
import PostgresNIO
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// An import into an empty identity graph goes in one transaction without
/// per-row index upkeep (`importIntoEmptyGraph`): it stores what importing
/// batch by batch stores, and a killed one leaves the workspace as it was.
@Suite struct BulkImportTests {
    /// Records of `TypedColumnsTests.lines`; the later ones also name an earlier
    /// record's email in their identityMap, so they merge into it.
    static func lines(from start: Int, count: Int, linkingBack: Bool = false) -> [String] {
        TypedColumnsTests.lines(from: start, count: count).enumerated().map { offset, line in
            let index = start + offset
            guard linkingBack, index % 3 == 0 else { return line }
            let email = #"{"id":"p\#(index)@x.io","primary":true}]"#
            return line.replacingOccurrences(
                of: email + "}", with: email + #","CRMID":[{"id":"c\#(index / 6)"}]}"#)
        }
    }

    /// Profiles by their key: document, merged flag and identities; typed values checked against the documents.
    static func contents(of workspace: PostgresWorkspace) async throws -> [String: String] {
        let differing = try await typedValuesDifferingFromDocuments(in: workspace)
        #expect(differing.isEmpty, "typed values differing from the documents: \(differing)")
        return try await workspace.withConnection { connection in
            var contents: [String: String] = [:]
            for row in try await connection.query(
                """
                SELECT p.namespace || ':' || p.identity, p.doc::text || ' merged ' || p.merged::text || ' ids '
                    || (SELECT string_agg(i.namespace || ':' || i.id, ',' ORDER BY i.namespace, i.id)
                        FROM identity i WHERE i.pid = p.pid)
                FROM profile p
                """, logger: workspace.logger
            ).collect() {
                let (key, value) = try row.decode((String, String).self)
                contents[key] = value
            }
            return contents
        }
    }

    /// The same lines written batch by batch, as an import into a graph that is not empty is.
    static func importInBatches(_ lines: [String], into subject: StoreUnderTest, batchSize: Int) async throws {
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let url = subject.folder.appendingPathComponent("batches-\(UUID().uuidString).jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: false, encoding: .utf8)
        let options = ImportOptions(batchSize: batchSize)
        _ = try await ProfileInputReader(options: options).run([.file(url.path)], onReject: { _ in }, overlapping: 2) {
            batch, previous in
            try await workspace.writeFragments(
                batch, at: Date(), limit: options.identityLimit, footprint: ImportFootprint(), after: previous)
        }
    }

    /// The OIDs of the identity and profile tables' indexes: new ones once the bulk path built them again.
    static func indexes(of workspace: PostgresWorkspace) async throws -> [String: Int] {
        try await workspace.withConnection { connection in
            var indexes: [String: Int] = [:]
            for row in try await connection.query(
                """
                SELECT indexrelid::regclass::text, indexrelid::oid::bigint::int FROM pg_index
                WHERE indrelid IN ('profile'::regclass, 'identity'::regclass, 'profile_value'::regclass)
                """, logger: workspace.logger
            ).collect() {
                let (name, oid) = try row.decode((String, Int).self)
                indexes[name] = oid
            }
            return indexes
        }
    }

    /// The same lines imported into one empty workspace by the bulk path (40 a
    /// batch) and into another batch by batch, with the first's indexes before
    /// and after.
    struct BothPaths {
        var bulk: StoreUnderTest
        var batches: StoreUnderTest
        var workspace: PostgresWorkspace
        var reference: PostgresWorkspace
        var before: [String: Int]
        var after: [String: Int]
        var summary: ImportSummary
        var rejections: [ImportRejection]

        static func importing(_ lines: [String], batchSize: Int = 40) async throws -> BothPaths {
            let bulk = try await StoreUnderTest.make(.postgresql)
            let batches = try await StoreUnderTest.make(.postgresql)
            do {
                let workspace = try #require(bulk.store as? PostgresWorkspace)
                let reference = try #require(batches.store as? PostgresWorkspace)
                let before = try await BulkImportTests.indexes(of: workspace)
                let (summary, rejections) = try await bulk.importLines(
                    lines, options: ImportOptions(batchSize: batchSize))
                let after = try await BulkImportTests.indexes(of: workspace)
                try await BulkImportTests.importInBatches(lines, into: batches, batchSize: batchSize)
                return BothPaths(
                    bulk: bulk, batches: batches, workspace: workspace, reference: reference, before: before,
                    after: after, summary: summary, rejections: rejections)
            } catch {
                await bulk.cleanUp()
                await batches.cleanUp()
                throw error
            }
        }

        func cleanUp() async {
            await bulk.cleanUp()
            await batches.cleanUp()
        }
    }

    /// Has the server end the connection of the import holding the identity
    /// graph's lock once it runs a statement `LIKE pattern`, as a killed process
    /// or a restart would; false when that did not happen within 120 s. The
    /// tables are locked until the import ends, so only the server's views are read.
    static func endImportConnection(
        of workspace: PostgresWorkspace, whenRunning pattern: String, every interval: Duration = .milliseconds(20)
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            try await Task.sleep(for: interval)
            let killed = try await workspace.withConnection { connection in
                try await connection.query(
                    """
                    SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
                        JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
                    WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
                        AND a.query LIKE \(pattern) AND a.state = 'active'
                    """, logger: workspace.logger
                ).collect().first?.decode(Bool.self) ?? false
            }
            if killed { return true }
        }
        return false
    }

    @Test(arguments: [false, true])
    func aLargeImportIntoAnEmptyWorkspaceStoresWhatBatchesDo(linkingBack: Bool) async throws {
        // 300 new records, then some of them again, changed, in a later batch.
        let lines =
            Self.lines(from: 0, count: 300, linkingBack: linkingBack)
            + Self.lines(from: 100, count: 20).map { $0.replacingOccurrences(of: #""a":"#, with: #""a":9,"b":"#) }
        let both = try await BothPaths.importing(lines)
        defer { Task { await both.cleanUp() } }
        let (workspace, reference, before, after) = (both.workspace, both.reference, both.before, both.after)
        let (summary, rejections) = (both.summary, both.rejections)
        #expect(rejections.isEmpty)
        #expect(summary.inserted + summary.updated + summary.merged > 0)
        #expect(Set(after.keys) == Set(before.keys) && before.count == 5, "\(before) -> \(after)")
        #expect(after.allSatisfy { before[$0.key] != $0.value }, "the indexes were not built again: \(after)")
        let stored = try await Self.contents(of: workspace)
        #expect(stored.count == (linkingBack ? 250 : 300))
        #expect(stored == (try await Self.contents(of: reference)))
        let documents = try await reference.withConnection { connection in
            try await connection.query("SELECT doc::text FROM profile", logger: reference.logger).collect().map {
                try JSONValue.parse(try $0.decode(String.self))
            }
        }
        try await TypedColumnsTests.expectCountsAsEvaluated(
            ["a > 2", "o.p = 3", "a = 9", "b.isNull()", "d occurs before date(1980, 1, 1)"], in: workspace,
            documents: documents)
    }

    @Test func aLargeImportIntoAWorkspaceHoldingProfilesStoresWhatBatchesDo() async throws {
        let first = Self.lines(from: 0, count: 50)
        let lines = Self.lines(from: 30, count: 200, linkingBack: true)
        let subject = try await StoreUnderTest.make(.postgresql)
        let batches = try await StoreUnderTest.make(.postgresql)
        defer {
            Task {
                await subject.cleanUp()
                await batches.cleanUp()
            }
        }
        _ = try await subject.importLines(first, options: ImportOptions(batchSize: 40))
        let (_, rejections) = try await subject.importLines(lines, options: ImportOptions(batchSize: 40))
        #expect(rejections.isEmpty)
        try await Self.importInBatches(first, into: batches, batchSize: 40)
        try await Self.importInBatches(lines, into: batches, batchSize: 40)
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let reference = try #require(batches.store as? PostgresWorkspace)
        let stored = try await Self.contents(of: workspace)
        #expect(stored.count > 150)
        #expect(stored == (try await Self.contents(of: reference)))
    }

    /// The import's connection is ended by the server once every batch is
    /// written, as when its process is killed then: nothing of it is stored, the
    /// indexes are as they were, and the next import stores everything.
    /// The bulk path's typed values, text and numeric forms are what the server
    /// extracts from the documents, as the batch path's are: for text that COPY
    /// escapes, numbers only their text spells, keys read as array indexes,
    /// objects and arrays at a path others hold a scalar at, and paths first met
    /// in every few batches.
    @Test func aBulkImportStoresTypedValuesAsTheServerExtractsThem() async throws {
        let tricky = [
            #""tab\there""#, #""line\nbreak\r""#, #""back\\slash""#, #""quote\"d""#, #""ünï €""#, #""\\N""#,
            "1.50", "1e400", "-0", "1E+2", "-12345678901234567890.25", "0.1", "5e-324", #"{"x":"\t","y":{}}"#,
            #"[1,"a\tb"]"#, "{}", "[]", "null", "true", #""""#,
        ]
        let lines = (0..<240).map { index in
            let value = tricky[index % tricky.count]
            let k =
                switch index % 4 {
                case 0: #"{"0":\#(value),"-1":2}"#
                case 1: "[\(value),3]"
                case 2: value
                default: #"{"1":[\#(value)]}"#
                }
            return
                #"{"identityMap":{"Email":[{"id":"t\#(index)@x.io","primary":true}]},"t":\#(value),"k":\#(k),"m\#(index / 30)":\#(index)}"#
        }
        let both = try await BothPaths.importing(lines)
        defer { Task { await both.cleanUp() } }
        let (workspace, reference, before, after) = (both.workspace, both.reference, both.before, both.after)
        let (summary, rejections) = (both.summary, both.rejections)
        #expect(rejections.isEmpty)
        #expect(summary.inserted == lines.count)
        #expect(after.allSatisfy { before[$0.key] != $0.value }, "the bulk path was not taken: \(after)")
        let typed = try await workspace.typedColumns()
        #expect(typed[["k", "0"]] != nil && typed[["k", "-1"]] != nil && typed[["m7"]] != nil, "\(typed)")
        #expect(try await Self.contents(of: workspace) == (try await Self.contents(of: reference)))
        let documents = try lines.map { try JSONValue.parse($0) }
        try await TypedColumnsTests.expectCountsAsEvaluated(
            ["t > 0.05", "t.isNull()", #"t = "ünï €""#, #"t = "quote\"d""#, "m3 > 100", "k.isNull()"], in: workspace,
            documents: documents)
    }

    @Test func aKilledBulkImportLeavesTheWorkspaceAsItWas() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let before = try await Self.indexes(of: workspace)
        let lines = Self.lines(from: 0, count: 30_000)
        let importing = Task { try await subject.importLines(lines, options: ImportOptions(batchSize: 500)) }
        // The final fill, after every COPY (a COPY has a test of its own below).
        let killed = try await Self.endImportConnection(of: workspace, whenRunning: "INSERT INTO profile_value%")
        #expect(killed, "the import ended before it could be killed")
        await #expect(throws: (any Error).self) { try await importing.value }
        #expect(try await workspace.profileCount() == 0)
        let (identities, values, triggers) = try await workspace.withConnection { connection in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM identity), (SELECT count(*) FROM profile_value),
                       (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'profile'::regclass AND NOT tgisinternal
                            AND tgenabled = 'O')
                """, logger: workspace.logger
            ).collect()[0].decode((Int, Int, Int).self)
        }
        #expect(identities == 0 && values == 0 && triggers == 3)
        #expect(try await Self.indexes(of: workspace) == before)

        let (summary, _) = try await subject.importLines(
            Array(lines.prefix(2_000)), options: ImportOptions(batchSize: 500))
        #expect(summary.inserted == 2_000)
        #expect(try await workspace.profileCount() == 2_000)
    }

    /// The server ends the import's connection while it streams a COPY, as a
    /// restart or `pg_terminate_backend` does: the import still ends, within
    /// `ConnectionWatch`'s grace, with a sentence a user can act on (it once read
    /// as a usage mistake), and nothing of it is stored.
    @Test func anImportWhoseConnectionEndsDuringACopyEndsWithASentence() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let lines = Self.lines(from: 0, count: 60_000)
        let importing = Task { try await subject.importLines(lines, options: ImportOptions(batchSize: 2_000)) }
        let killed = try await Self.endImportConnection(of: workspace, whenRunning: "COPY %", every: .milliseconds(5))
        #expect(killed, "the import ended before a COPY of it could be ended")
        // Bounded, so a regression fails here instead of hanging the suite.
        let outcome = await withTaskGroup(of: (any Error)??.self) { group in
            group.addTask {
                do {
                    _ = try await importing.value
                    return .some(nil)
                } catch { return .some(error) }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let ended = try #require(outcome, "the import did not end within 60 s of its connection's end")
        let error = try #require(ended, "the import succeeded although its connection was ended")
        let described = try #require(PostgresStoreError.from(error), "not a store failure: \(error)")
        #expect(!described.isBadInput)
        #expect(!described.message.isEmpty && !described.message.contains("ConnectionLost"))
        #expect(try await workspace.profileCount() == 0)
    }
}
