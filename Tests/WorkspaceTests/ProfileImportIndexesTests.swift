import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// A large import leaves `identity_by_pid` and `profile_by_version` out while
/// it writes and builds them at its end (ProfileImportIndexes).
@Suite struct ProfileImportIndexesTests {
    static let indexes = ["identity_by_pid", "profile_by_version"]

    static func present(_ workspace: Workspace) async throws -> [String] {
        try await workspace.dbPool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_schema WHERE type = 'index'
                    AND name IN ('identity_by_pid', 'profile_by_version') ORDER BY name
                    """)
        }
    }

    /// What the workspace holds, with the pids left out: documents by their
    /// record's identity, each identity with the record its profile is stored under.
    static func contents(_ workspace: Workspace) async throws -> [String] {
        try await workspace.dbPool.read { db in
            let profiles = try Row.fetchAll(
                db, sql: "SELECT namespace, identity, doc, merged, exact FROM profile ORDER BY namespace, identity"
            ).map {
                "\($0[0] as String)/\($0[1] as String) \(try unordered($0[2])) \($0[3] as Int64) \($0[4] as Int64)"
            }
            let links = try Row.fetchAll(
                db,
                sql: """
                    SELECT i.namespace, i.id, p.namespace, p.identity FROM identity i JOIN profile p USING (pid)
                    ORDER BY i.namespace, i.id
                    """
            ).map { "\($0[0] as String)/\($0[1] as String) -> \($0[2] as String)/\($0[3] as String)" }
            let fragments = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.namespace, p.identity, f.namespace, f.identity, f.doc FROM fragment f
                    JOIN profile p USING (pid) ORDER BY 1, 2, 3, 4
                    """
            ).map { "\($0[0] as String)/\($0[1] as String): \($0[2] as String)/\($0[3] as String) \($0[4] as String)" }
            return profiles + links + fragments
        }
    }

    /// A merged document lists its identities in the order they were linked,
    /// which batches change (a link made in an earlier batch is older); by id here.
    static func unordered(_ text: String) throws -> String {
        guard case .object(var document) = try JSONValue.parse(text),
            case .object(var map) = document["identityMap"]
        else { return text }
        for (namespace, ids) in map {
            guard case .array(let entries) = ids else { continue }
            map[namespace] = .array(entries.sorted { $0.serialized() < $1.serialized() })
        }
        document["identityMap"] = .object(map)
        return JSONValue.object(document).serialized()
    }

    /// Forty records, some sharing an identity with an earlier one (so they
    /// merge), some updating an earlier record, some past the identities limit.
    static let records: [String] = (0..<40).map { i in
        var map = #""Email":[{"id":"u\#(i)@example.com","primary":true}]"#
        if i % 7 == 3 { map += #","CRMID":[{"id":"C-\#(i - 3)"}]"# } else { map += #","CRMID":[{"id":"C-\#(i)"}]"# }
        if i % 11 == 5 { map += #","Phone":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"}]"# }
        let email = i % 9 == 8 ? #"{"id":"u\#(i - 4)@example.com","primary":true}"# : nil
        if let email { map = #""Email":[\#(email)],"CRMID":[{"id":"C-\#(i)"}]"# }
        return #"{"identityMap":{\#(map)},"n":\#(i),"person":{"birthYear":\#(1950 + i)}}"#
    }

    @Test func aLargeImportEndsWithTheIndexesAndTheSameProfilesAsOneBatch() async throws {
        // Without the identities limit: which links it drops depends on when
        // each was made, so on the batches.
        let text = Self.records.joined(separator: "\n") + "\n"
        let inBatches = try TemporaryWorkspace()
        let (summary, _) = try await inBatches.importText("p.jsonl", text, options: ImportOptions(batchSize: 4))
        #expect(summary.merged > 0)
        #expect(try await Self.present(inBatches.workspace) == Self.indexes)

        let inOne = try TemporaryWorkspace()
        let (oneSummary, _) = try await inOne.importText("p.jsonl", text, options: ImportOptions(batchSize: 1000))
        #expect(oneSummary == summary)
        #expect(try await Self.contents(inBatches.workspace) == Self.contents(inOne.workspace))
        let integrity = try await inBatches.workspace.dbPool.read { db in
            try String.fetchOne(db, sql: "PRAGMA integrity_check")
        }
        #expect(integrity == "ok")
    }

    @Test func theIdentitiesLimitHoldsWhileTheIndexesAreOut() async throws {
        let temp = try TemporaryWorkspace()
        let text = Self.records.joined(separator: "\n") + "\n"
        let (summary, _) = try await temp.importText(
            "p.jsonl", text, options: ImportOptions(batchSize: 4, identityLimit: 4))
        #expect(summary.identitiesDropped > 0)
        let most = try await temp.workspace.dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT max(n) FROM (SELECT count(*) AS n FROM identity GROUP BY pid)")
        }
        #expect(most == 4)
        #expect(try await Self.present(temp.workspace) == Self.indexes)
    }

    @Test func theWriterLeavesThemOutOnlyWhenTheImportIsLargeAndNew() async throws {
        let temp = try TemporaryWorkspace()
        let text = Self.records.prefix(8).joined(separator: "\n") + "\n"
        var parser = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        let batch = text.split(separator: "\n").compactMap { line -> ParsedProfile? in
            let parsed = Array(line.utf8).withUnsafeBytes { parser.parse($0) }
            if case .profile(let profile) = parsed { return profile }
            return nil
        }
        #expect(batch.count == 8)
        let size = text.utf8.count
        func leavesOut(batchSize: Int, bytes: Int?) async throws -> Bool {
            try await temp.workspace.dbPool.write { db in
                let left = try ProfileImportIndexes.leaveOut(
                    first: batch, batchSize: batchSize, inputBytes: bytes, in: db)
                try ProfileImportIndexes.build(db)
                return left
            }
        }
        // Empty workspace: a first batch that is not full is the whole import.
        #expect(try await leavesOut(batchSize: 8, bytes: nil))
        #expect(try await !leavesOut(batchSize: 9, bytes: size))
        // Twenty profiles stored, none of the batch's.
        _ = try await temp.importText("other.jsonl", Self.records.suffix(20).joined(separator: "\n") + "\n")
        #expect(try await !leavesOut(batchSize: 8, bytes: size))
        #expect(try await !leavesOut(batchSize: 8, bytes: nil))
        #expect(try await leavesOut(batchSize: 8, bytes: size * 3))
        // The same records again: updates.
        _ = try await temp.importText("again.jsonl", text)
        #expect(try await !leavesOut(batchSize: 8, bytes: size * 100))
    }

    /// An import killed while the indexes were out leaves them out; the next
    /// import, large or small, builds them.
    @Test func theNextImportBuildsIndexesAKilledImportLeftOut() async throws {
        for batchSize in [4, 1000] {
            let temp = try TemporaryWorkspace()
            _ = try await temp.importText("a.jsonl", Self.records.prefix(10).joined(separator: "\n") + "\n")
            try await temp.workspace.dbPool.write { db in
                for name in Self.indexes { try db.execute(sql: "DROP INDEX \(name)") }
            }
            #expect(try await Self.present(temp.workspace).isEmpty)
            // Readers still find what they look for, by scanning.
            #expect(try await temp.workspace.profile(namespace: "CRMID", identity: "C-1") != nil)
            let (summary, _) = try await temp.importText(
                "b.jsonl", Self.records.suffix(30).joined(separator: "\n") + "\n",
                options: ImportOptions(batchSize: batchSize))
            #expect(summary.inserted + summary.updated == 30)
            #expect(try await Self.present(temp.workspace) == Self.indexes, "batch size \(batchSize)")
        }
    }
}
