import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// The SQLite shortcuts that trust the schema catalog (a path of one class needs no
/// type test), held against the reference evaluator on paths of one kind each, and on
/// a path whose type changes between profiles from one import to the next.
@Suite struct SQLCatalogPropertyTests {
    /// One profile: `n` numbers, `s` strings, `t` booleans, `tags` arrays, `o.p` numbers
    /// (each sometimes null or missing), and `m` numbers in the first import, then
    /// strings, booleans, arrays and objects in the second.
    static func profile(_ index: Int, second: Bool, _ random: inout RandomPQL) -> String {
        var fields = [#""identityMap":{"Email":[{"id":"c\#(index)"}]}"#]
        func maybe(_ key: String, _ value: String) {
            if random.chance(0.1) { return }
            fields.append("\"\(key)\":" + (random.chance(0.1) ? "null" : value))
        }
        maybe("n", random.pick(["-3", "0", "1", "2", "1.5", "-0.5", "2.0", "1e2", "3"]))
        maybe("s", random.jsonString(random.pick(RandomPQL.strings + ["[x", "{a", "[]", "2026-11-25", "1"])))
        maybe("t", random.pick(["true", "false"]))
        let items = (0..<Int.random(in: 0...3, using: &random.rng)).map { _ in
            random.pick(["\"x\"", "\"y\"", "\"a\\\"b\"", "\"X\"", "1", "[\"x\"]", "{\"x\":1}"])
        }
        maybe("tags", "[" + items.joined(separator: ",") + "]")
        maybe("o", "{\"p\":\(random.pick(["0", "1", "2.5", "-1"]))}")
        let mixed =
            second
            ? random.pick([
                "\"1\"", "\"a\"", "\"ab\"", "true", "false", "[1]", "{\"x\":1}", "\"2026-11-25\"", "\"[1]\"",
            ]) : random.pick(["0", "1", "2", "-1", "2.5", "20261125"])
        maybe("m", mixed)
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A random expression over the property test's fields, renamed to this test's:
    /// only names outside string literals change.
    static func expression(_ random: inout RandomPQL) -> String {
        let renames = ["a": "n", "b": "s", "arr": "tags", "d": "m", "o": "o", "missing": "t"]
        let text = random.expression()
        var result = ""
        var word = ""
        var inString = false
        var escaped = false
        func flush() {
            result += renames[word] ?? word
            word = ""
        }
        for character in text {
            if inString {
                result.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
            } else if character.isLetter || character.isNumber || character == "_" {
                word.append(character)
            } else {
                flush()
                if character == "\"" { inString = true }
                result.append(character)
            }
        }
        flush()
        return result
    }

    @Test(arguments: Array(UInt64(1)...UInt64(4)))
    func catalogShortcutsAgreeWithTheReferenceEvaluator(seed: UInt64) async throws {
        var random = RandomPQL(rng: SeededGenerator(state: seed &* 7919))
        let temp = try TemporaryWorkspace()
        let now = SegmentFixtures.now
        let expressions = (0..<100).map { _ in Self.expression(&random) }
        for phase in 0..<2 {
            let lines = (0..<60).map { Self.profile(phase * 60 + $0, second: phase == 1, &random) }
            let (summary, rejections) = try await temp.importText("\(phase).jsonl", lines.joined(separator: "\n"))
            #expect(rejections.isEmpty && summary.inserted == lines.count, "\(rejections)")
            let (columns, documents) = try await temp.workspace.dbPool.read { db in
                (
                    try ProfileColumns.load(db),
                    try Row.fetchAll(db, sql: "SELECT pid, doc FROM profile").map { row -> (Int64, JSONValue) in
                        (row[0], try JSONValue.parse(row[1] as String))
                    }
                )
            }
            let kinds = SegmentEvaluator.kinds(of: columns)
            // The catalog says what the shortcuts need: one class at n, several at m after the second import.
            #expect(kinds[["n"]]?.subtracting(["null"]).isSubset(of: ["integer", "real"]) == true, "\(kinds)")
            #expect(kinds[["m"]]?.contains("text") == (phase == 1), "\(kinds)")
            var translated = 0
            for text in expressions {
                let expression = try PQL.parse(text)
                guard
                    let fragment = PQL.sqlWhere(
                        expression, dialect: .sqlite, documentColumn: "doc", typedColumns: columns.numbers,
                        typedKinds: kinds, now: now)
                else { continue }
                translated += 1
                let expected = Set(documents.filter { PQL.evaluate(expression, on: $0.1, now: now) }.map(\.0))
                let actual = try await temp.workspace.pids(where: fragment)
                #expect(actual == expected, "phase \(phase): \(text)\nSQL: \(fragment.sql) \(fragment.arguments)")
            }
            #expect(translated >= 50)
        }
    }

    /// The shortcuts in the SQL themselves: no type test on a path of one class, and
    /// one again once the path holds another type.
    @Test func aPathOfOneClassIsComparedWithoutATypeTestUntilItsTypeChanges() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText(
            "1.jsonl",
            (0..<4).map { #"{"identityMap":{"Email":[{"id":"k\#($0)"}]},"k":\#($0)}"# }.joined(separator: "\n"))
        _ = try await temp.workspace.createSegment(name: "big", pql: "k >= 2")
        func sql() async throws -> String {
            let columns = try await temp.workspace.dbPool.read { try ProfileColumns.load($0) }
            let number = try #require(columns.numbers[["k"]])
            let fragment = try #require(
                PQL.sqlWhere(
                    try PQL.parse("k >= 2"), dialect: .sqlite, documentColumn: "doc", typedColumns: columns.numbers,
                    typedKinds: SegmentEvaluator.kinds(of: columns), now: SegmentFixtures.now))
            // Whether the SQL tests the path's type column.
            return fragment.sql.contains("t\(number) ") ? "typed test" : fragment.sql
        }
        #expect(try await sql() != "typed test")
        #expect(try await temp.workspace.evaluate(now: SegmentFixtures.now).first?.realized == 2)
        // A string sorts above every number in SQLite: without the type test it would qualify.
        _ = try await temp.importText("2.jsonl", #"{"identityMap":{"Email":[{"id":"k9"}]},"k":"zzz"}"#)
        #expect(try await sql() == "typed test")
        let second = try #require(try await temp.workspace.evaluate(now: SegmentFixtures.now + 60).first)
        #expect(second.realized == 0 && second.existing == 2)
    }
}
