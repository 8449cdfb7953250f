import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// SplitMix64: a tiny seeded generator, so a failing case replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random profiles and random PQL texts over a few fields whose values vary in
/// kind, presence and case, so the SQL translation meets every awkward mix.
struct RandomPQL {
    var rng: SeededGenerator

    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &rng)! }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    static let strings = ["", "a", "ab", "Ab", "abc", "xyz", "a%b", "a_b", "x\"y", "é", "1"]
    static let dates = ["2020-01-15", "2021-06-30", "2021-06-30T10:00:00Z", "not a date"]

    mutating func scalar() -> String {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: "\(Int.random(in: -3...3, using: &rng))"
        case 1: pick(["1.5", "-0.5", "2.0", "1e2"])
        case 2, 3: jsonString(pick(Self.strings))
        case 4: pick(["true", "false"])
        case 5: "null"
        default: jsonString(pick(Self.dates))
        }
    }

    func jsonString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    mutating func profile(_ index: Int) -> String {
        var fields = [#""identityMap":{"Email":[{"id":"p\#(index)"}]}"#]
        if chance(0.85) { fields.append("\"a\":\(scalar())") }
        if chance(0.85) { fields.append("\"b\":\(chance(0.8) ? jsonString(pick(Self.strings)) : scalar())") }
        if chance(0.8) {
            let items = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                pick(["\"x\"", "\"y\"", "\"z\"", "1", "2", "null", "\"X\""])
            }
            fields.append("\"arr\":" + (chance(0.9) ? "[\(items.joined(separator: ","))]" : scalar()))
        }
        if chance(0.8) {
            fields.append("\"o\":" + (chance(0.8) ? (chance(0.8) ? "{\"p\":\(scalar())}" : "{}") : scalar()))
        }
        if chance(0.7) { fields.append("\"d\":\(chance(0.8) ? jsonString(pick(Self.dates)) : scalar())") }
        // Awkward keys: unicode, a quote and a dot inside a key, a key that is
        // a path of another profile's object.
        if chance(0.6) { fields.append("\"ünï\":\(scalar())") }
        if chance(0.3) { fields.append("\"we\\\"ird\":\(scalar())") }
        if chance(0.3) { fields.append("\"o.p\":\(scalar())") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    mutating func literal() -> String {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: "\(Int.random(in: -3...3, using: &rng))"
        case 1: pick(["1.5", "-0.5", "2.0"])
        case 2, 3: jsonString(pick(Self.strings))
        default: pick(["true", "false"])
        }
    }

    mutating func list() -> String {
        "[" + (0..<Int.random(in: 1...3, using: &rng)).map { _ in literal() }.joined(separator: ", ") + "]"
    }

    mutating func field() -> String { pick(["a", "b", "o.p", "arr", "d", "o", "missing.x"]) }

    mutating func atom() -> String {
        let f = field()
        switch Int.random(in: 0..<11, using: &rng) {
        case 0, 1: return "\(f) \(pick(["=", "!=", "<", "<=", ">", ">="])) \(literal())"
        case 2: return "\(f) \(pick(["in", "notIn"])) \(list())"
        case 3:
            return
                "\(f).\(pick(["startsWith", "endsWith", "contains"]))(\(jsonString(pick(["a", "A", "b", "%", "_", ""]))))"
        case 4:
            return
                "\(f).\(pick(["startsWith", "endsWith", "contains"]))(\(jsonString(pick(["a", "A", "B"]))), \(pick(["true", "false"])))"
        case 5: return "\(f) like \(jsonString(pick(["a%", "%b%", "_b", "A%", "%", "a\\%b", "__"])))"
        case 6: return "\(f).\(pick(["isNull", "isNotNull"]))()"
        case 7: return "\(f).includes(\(literal()))"
        case 8: return "\(f).\(pick(["intersects", "supersetOf"]))(\(list()))"
        case 9: return "if(\(atom()), \(literal()), \(literal())) = \(literal())"
        default: return "\(f) \(pick(["=", "!=", "<", ">"])) \(field())"
        }
    }

    mutating func expression(depth: Int = 0) -> String {
        if depth >= 3 || chance(0.4) { return atom() }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return "(\(expression(depth: depth + 1)) and \(expression(depth: depth + 1)))"
        case 1: return "(\(expression(depth: depth + 1)) or \(expression(depth: depth + 1)))"
        case 2: return "not (\(expression(depth: depth + 1)))"
        default: return "!(\(expression(depth: depth + 1)))"
        }
    }
}

@Suite struct SQLPathPropertyTests {
    /// For a few hundred random expressions over random profiles, the SQL that
    /// `PQL.sqliteWhere` produces selects exactly the profiles `PQL.evaluate` accepts.
    @Test(arguments: [UInt64(1), 2, 3])
    func sqlTranslationAgreesWithTheReferenceEvaluator(seed: UInt64) async throws {
        var random = RandomPQL(rng: SeededGenerator(state: seed))
        let temp = try TemporaryWorkspace()
        let lines = (0..<80).map { random.profile($0) }
        let (summary, rejections) = try await temp.importText("r.jsonl", lines.joined(separator: "\n"))
        #expect(rejections.isEmpty, "\(rejections)")
        #expect(summary.inserted == lines.count)
        let documents = try await temp.workspace.dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT pid, doc FROM profile").map { row -> (Int64, JSONValue) in
                (row[0], try JSONValue.parse(row[1] as String))
            }
        }
        let now = SegmentFixtures.now
        let typed = try await temp.workspace.dbPool.read { db in try ProfileColumns.load(db) }.numbers
        #expect(typed[["a"]] != nil && typed[["o", "p"]] != nil && typed[["ünï"]] != nil, "\(typed)")
        var translated = 0
        for _ in 0..<120 {
            let text = random.expression()
            let expression: PQLExpression
            do {
                expression = try PQL.parse(text)
            } catch {
                Issue.record("generated PQL does not parse: \(text)\n\(error)")
                continue
            }
            guard let fragment = PQL.sqliteWhere(expression, jsonColumn: "doc", now: now) else { continue }
            translated += 1
            let expected = Set(documents.filter { PQL.evaluate(expression, on: $0.1, now: now) }.map(\.0))
            // The same expression over the typed columns must select the same profiles.
            if let typedFragment = PQL.sqliteWhere(expression, jsonColumn: "doc", typedColumns: typed, now: now) {
                let viaColumns = try await temp.workspace.dbPool.read { db in
                    Set(
                        try Int64.fetchAll(
                            db, sql: "SELECT pid FROM profile WHERE \(typedFragment.sql)",
                            arguments: SegmentEvaluator.statementArguments(typedFragment.arguments)))
                }
                #expect(viaColumns == expected, "typed columns disagree for: \(text)\nSQL: \(typedFragment.sql)")
            } else {
                Issue.record("translates over the document but not over the typed columns: \(text)")
            }
            let actual: Set<Int64>
            do {
                actual = try await temp.workspace.dbPool.read { db in
                    Set(
                        try Int64.fetchAll(
                            db, sql: "SELECT pid FROM profile WHERE \(fragment.sql)",
                            arguments: SegmentEvaluator.statementArguments(fragment.arguments)))
                }
            } catch {
                Issue.record("SQL failed for \(text): \(fragment.sql)\n\(error)")
                continue
            }
            if actual != expected {
                let diff = actual.symmetricDifference(expected).sorted().prefix(3).map { pid in
                    documents.first { $0.0 == pid }.map {
                        "\($0.1.serialized()) sql=\(actual.contains(pid)) ref=\(expected.contains(pid))"
                    } ?? ""
                }
                Issue.record(
                    "SQL and reference disagree for: \(text)\nSQL: \(fragment.sql) \(fragment.arguments)\n\(diff.joined(separator: "\n"))"
                )
            }
        }
        // Most generated expressions must translate, or the property says little.
        #expect(translated >= 60)
    }
}
