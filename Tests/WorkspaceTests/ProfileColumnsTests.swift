import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// The typed columns always say what the document says: for every path with
/// a column and every profile, `tN` is `json_type(doc, path)` and `vN` is
/// `json_extract(doc, path)`, whatever order paths and types arrive in.
@Suite struct ProfileColumnsTests {
    static func mismatches(_ workspace: Workspace) async throws -> [String] {
        try await workspace.dbPool.read { db in
            let columns = try ProfileColumns.load(db)
            var found: [String] = []
            for (number, keys) in columns.paths {
                let path = ProfileColumns.jsonPath(keys)!
                let bad =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM profile
                            WHERE t\(number) IS NOT json_type(doc, \(path)) OR v\(number) IS NOT json_extract(doc, \(path))
                            """) ?? 0
                if bad > 0 { found.append("\(keys): \(bad) rows") }
            }
            return found
        }
    }

    static func line(_ id: String, _ body: String) -> String {
        #"{"identityMap":{"Email":[{"id":"\#(id)","primary":true}]}\#(body.isEmpty ? "" : ",")\#(body)}"#
    }

    @Test func columnsFollowTheDocumentsAcrossTypeChangesNewPathsAndMerges() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText(
            "1.jsonl",
            [
                Self.line("a", #""n":1,"o":{"p":1},"tags":["x"],"flag":true"#),
                Self.line("b", #""n":2.5,"s":"text""#),
                // A key with NUL must not land in the column of a.b.
                Self.line("e", #""a\u0000b":"nul","a":{"b":"real"}"#),
            ].joined(separator: "\n"))
        // A path changes type, an object path becomes a leaf elsewhere, a new path appears.
        _ = try await temp.importText(
            "2.jsonl",
            [
                Self.line("c", #""n":"seven","o":5,"new":{"deep":{"er":null}}"#),
                Self.line("d", #""n":12345678901234567890,"big":1e400,"o":{}"#),
            ].joined(separator: "\n"))
        // Merges into stored profiles: in SQL (no nulls) and in Swift (a null removes nothing here).
        _ = try await temp.importText(
            "3.jsonl",
            [Self.line("a", #""n":"changed","o":{"q":2}"#), Self.line("b", #""s":null,"n":false"#)].joined(
                separator: "\n"))
        #expect(try await Self.mismatches(temp.workspace) == [])
        let schema = try await temp.workspace.profileSchema()
        let n = try #require(schema.first { $0.path == "n" })
        #expect(n.profiles == 4)
        #expect(schema.first { $0.path == "a.b" }?.profiles == 1)
        #expect(n.kind == "mixed")
        #expect(schema.contains { $0.path == "new.deep.er" })
        #expect(schema.first { $0.path == "flag" }?.kind == "boolean")
        // The catalog's types, kept by the import, cover what the profiles hold now.
        let paths = try await temp.workspace.profilePaths()
        #expect(paths.map(\.keys) == schema.map(\.keys))
        for (listed, counted) in zip(paths, schema) {
            #expect(Set(counted.types.map(\.type)).isSubset(of: Set(listed.types.map(\.type))), "\(listed.path)")
        }
        #expect(Set(paths.first { $0.path == "o" }?.types.map(\.type) ?? []) == ["object", "integer"])
        // The exact numbers stay in the document; the row is marked for export.
        let exact = try await temp.workspace.dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM profile WHERE exact = 1") ?? 0
        }
        #expect(exact == 1)
    }

    @Test func aWorkspaceFromBeforeTypedColumnsGetsThemOnOpen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-upgrade-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The schema as the previous release left it, with profiles written its way.
        let path = directory.appendingPathComponent(Workspace.databaseFileName).path
        do {
            let old = try DatabaseQueue(path: path)
            try WorkspaceSchema.migrator.migrate(old, upTo: "2026-12-01 fencing tokens and run files")
            try await old.write { db in
                for (index, body) in [#""a":1,"o":{"p":"x"}"#, #""a":"one","o":3"#, #""a":1.50,"arr":[1,2]"#]
                    .enumerated()
                {
                    let doc = Self.line("p\(index)", body)
                    try db.execute(
                        sql:
                            "INSERT INTO profile (namespace, identity, doc, updatedAt) VALUES ('Email', ?, json(?), 0)",
                        arguments: ["p\(index)", doc])
                }
            }
            try old.close()
        }
        let workspace = try Workspace(directory: directory, environment: [:])
        #expect(try await Self.mismatches(workspace) == [])
        let paths = Set(try await workspace.profileSchema().map(\.path))
        #expect(paths.isSuperset(of: ["a", "o", "o.p", "arr", "identityMap.Email"]), "\(paths)")
        let a = try await workspace.profilePaths().first { $0.path == "a" }
        #expect(Set(a?.types.map(\.type) ?? []) == ["integer", "text", "real"])
        let exact = try await workspace.dbPool.read { db in
            try String.fetchAll(db, sql: "SELECT identity FROM profile WHERE exact = 1")
        }
        #expect(exact == ["p2"])
        // Segments over the upgraded store agree with the reference evaluator.
        _ = try await workspace.createSegment(name: "ones", pql: "a = 1")
        let summaries = try await workspace.evaluate()
        #expect(summaries.first?.realized == 1)
    }
}
