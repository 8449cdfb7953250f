import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// A workspace whose `profile` still has UNIQUE (namespace, identity) opens
/// without it, every row kept, and its next import still tells known profiles
/// from new ones through the identity graph.
@Suite struct ProfileIdentityUpgradeTests {
    static let ann =
        #"{"identityMap":{"Email":[{"id":"Ann@Example.com","primary":true}],"CRMID":[{"id":"C-1"}]},"a":1,"o":{"p":"x"}}"#
    static let bob = #"{"identityMap":{"Email":[{"id":"bob@example.com","primary":true}]},"a":"two","arr":[1,2]}"#
    /// Shares C-1 with Ann: merged into her profile.
    static let annAgain = #"{"identityMap":{"CRMID":[{"id":"C-1","primary":true}]},"b":true}"#

    @Test func theUniqueIndexGoesEveryRowStaysAndImportsStillMerge() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-upgrade-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(Workspace.databaseFileName).path
        let input = directory.appendingPathComponent("first.jsonl")
        try [Self.ann, Self.bob, Self.annAgain].joined(separator: "\n").write(
            to: input, atomically: false, encoding: .utf8)
        let before: [[DatabaseValue]]
        do {
            // The schema as the previous release left it, filled by an import.
            let old = try DatabasePool(path: path)
            try WorkspaceSchema.migrator.migrate(old, upTo: "2026-12-02 event indexes")
            let summary = try await ProfileImporter(dbPool: old, options: ImportOptions()).run([.file(input.path)]) {
                _ in
            }
            #expect(summary.inserted == 2 && summary.updated == 1)
            #expect(try await Self.uniqueIndexes(old) == 1)
            before = try await Self.rows(old)
            try old.close()
        }
        let workspace = try Workspace(directory: directory, environment: [:])
        #expect(try await Self.uniqueIndexes(workspace.dbPool) == 0)
        #expect(try await Self.rows(workspace.dbPool) == before)
        let index = try await workspace.dbPool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('profile')")
        }
        #expect(index == ["profile_by_version"])

        // The same record again updates its profile; a record reaching Ann by a
        // case-folded email merges into hers; a new person gets a row.
        let temp = directory.appendingPathComponent("second.jsonl")
        let annFolded = #"{"identityMap":{"Email":[{"id":"ann@example.com","primary":true}]},"c":3}"#
        let carol = #"{"identityMap":{"Email":[{"id":"carol@example.com","primary":true}]},"a":3}"#
        try [Self.bob, annFolded, carol].joined(separator: "\n").write(to: temp, atomically: false, encoding: .utf8)
        let summary = try await workspace.importProfiles([.file(temp.path)], options: ImportOptions()) { _ in }
        #expect(summary.inserted == 1 && summary.updated == 2)
        #expect(try await workspace.profileCount() == 3)
        let ann = try #require(try await workspace.profile(namespace: "Email", identity: "Ann@Example.com"))
        let doc = try JSONValue.parse(ann.doc)
        #expect(doc.value(atDottedPath: "b") == .bool(true))
        #expect(doc.value(atDottedPath: "c") == .int(3))
        #expect(doc.value(atDottedPath: "a") == .int(1))
    }

    static func uniqueIndexes(_ pool: DatabasePool) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM pragma_index_list('profile') WHERE \"unique\" = 1") ?? 0
        }
    }

    static func rows(_ pool: DatabasePool) async throws -> [[DatabaseValue]] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM profile ORDER BY pid").map { Array($0.databaseValues) }
        }
    }
}
