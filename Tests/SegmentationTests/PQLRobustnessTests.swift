import Foundation
import Testing

@testable import Segmentation

@Suite("PQL: bad and hostile input")
struct PQLRobustnessTests {
    @Test(arguments: [
        (String(repeating: "(", count: 10_000) + "a = 1" + String(repeating: ")", count: 10_000), 201),
        (String(repeating: "(", count: 3_000) + "a = 1" + String(repeating: ")", count: 3_000), 201),
        ("a in " + String(repeating: "[", count: 10_000), 206),
        (String(repeating: "!", count: 10_000) + "a", 201),
        (String(repeating: "not ", count: 10_000) + "a", 801),
        (String(repeating: "if(", count: 10_000) + "a", 601),
        ("a = " + String(repeating: "-", count: 10_000) + "1", 205),
    ])
    func deepNestingIsALineAndColumnNotACrash(text: String, column: Int) {
        let error = #expect(throws: PQLError.self) { try PQL.parse(text) }
        #expect(error?.message == "the expression nests deeper than 200 levels")
        #expect(
            error?.line == 1 && error?.column == column,
            "\(String(describing: error?.line)):\(String(describing: error?.column))")
        // The description quotes a short excerpt, not 10,000 characters.
        #expect((error?.description.count ?? 0) < 400)
    }

    @Test func nestingJustUnderTheLimitParses() throws {
        let text = String(repeating: "(", count: 199) + "a = 1" + String(repeating: ")", count: 199)
        #expect(
            try PQL.parse(text)
                == .comparison(
                    .field(["a"], at: .init(line: 1, column: 200)), .equal,
                    .literal(.int(1), at: .init(line: 1, column: 204))))
    }

    /// Long `or` chains become balanced trees: 5,000 terms are 13 levels deep.
    @Test func longChainsStayShallow() throws {
        let text = (0..<5_000).map { "a = \($0)" }.joined(separator: " or ")
        let expression = try PQL.parse(text)
        func depth(_ e: PQLExpression) -> Int {
            switch e {
            case .or(let a, let b), .and(let a, let b): 1 + max(depth(a), depth(b))
            default: 1
            }
        }
        #expect(depth(expression) <= 14)
        let profile = try JSONValue.parse(#"{"a":4999}"#)
        #expect(PQL.evaluate(expression, on: profile, now: PQLFixtures.now))
        let sql = try #require(PQL.sqliteWhere(expression, jsonColumn: "doc", now: PQLFixtures.now))
        var deepest = 0
        var open = 0
        for character in sql.sql {
            if character == "(" { open += 1 }
            if character == ")" { open -= 1 }
            deepest = max(deepest, open)
        }
        #expect(deepest < 60)
    }

    /// `%` copies its operands into SQL; nested, past the length limit, the segment goes to Swift.
    @Test func sqlThatWouldExplodeFallsBackToSwift() throws {
        let text = "a" + String(repeating: " % 7", count: 20) + " = 1"
        let expression = try PQL.parse(text)
        #expect(PQL.sqliteWhere(expression, jsonColumn: "doc", now: PQLFixtures.now) == nil)
        #expect(PQL.evaluate(expression, on: try JSONValue.parse(#"{"a":8.5}"#), now: PQLFixtures.now) == false)
        #expect(PQL.evaluate(expression, on: try JSONValue.parse(#"{"a":8}"#), now: PQLFixtures.now))
        // Nested `if`s keep one copy per branch but nest CASEs; deeper than SQLite's parser takes, they go to Swift.
        var nested = "a"
        for _ in 0..<20 { nested = "if(b = 1, \(nested), c)" }
        #expect(PQL.sqliteWhere(try PQL.parse(nested + " = 1"), jsonColumn: "doc", now: PQLFixtures.now) == nil)
    }

    @Test(arguments: [
        ("42", 1, 1, "a number"),
        (#""hello""#, 1, 1, "a string"),
        ("if(a, 1, 2)", 1, 4, "a number"),
        ("\n  a + 1", 2, 3, "a number"),
        ("today", 1, 1, "a date"),
        ("[true]", 1, 2, "a list"),
    ])
    func nonBooleanDefinitionsAreRefusedWithTheirType(text: String, line: Int, column: Int, type: String) throws {
        let expression = try PQL.parse(text)
        let error = try #require(throws: PQLError.self) { try PQL.typeCheck(expression, text: text, fieldKinds: [:]) }
        #expect(error.message == "a segment definition must be true or false for each profile, but this is \(type)")
        #expect(error.line == line && error.column == column)
    }

    @Test(arguments: ["a", "a.b", "if(a, b, c)", "a = 1", "orders.head()", "let x = 1 in x = 1"])
    func possiblyBooleanDefinitionsAreAccepted(text: String) throws {
        try PQL.typeCheck(try PQL.parse(text), text: text, fieldKinds: [:])
    }

    @Test(arguments: [
        ("a = 'x'", #"a = "x""#),
        (#"a = 'it\'s'"#, #"a = "it's""#),
        (#"a = 'say "hi"'"#, #"a = "say \"hi\"""#),
        ("$1.person.name = 'x'", #"person.name = "x""#),
        ("(p) => p.person.name = 'x'", #"person.name = "x""#),
        ("a - 1 = b", "a-1 = b"),
    ])
    func equivalentSpellings(_ text: String, _ same: String) throws {
        func stripped(_ e: PQLExpression) -> String {
            // Positions differ between spellings; compare the trees without them.
            "\(e)".replacingOccurrences(of: #"at: \d+:\d+"#, with: "", options: .regularExpression)
        }
        #expect(stripped(try PQL.parse(text)) == stripped(try PQL.parse(same)))
    }

    @Test func dollarOneIsTheProfile() throws {
        let profile = try JSONValue.parse(
            #"{"person":{"name":{"firstName":"Ann"}},"$1":{"person":{"name":{"firstName":"x"}}}}"#)
        #expect(PQL.evaluate(try PQL.parse(#"$1.person.name.firstName = "Ann""#), on: profile, now: PQLFixtures.now))
        #expect(PQL.evaluate(try PQL.parse("$1.person.isNotNull()"), on: profile, now: PQLFixtures.now))
        let fragment = try #require(
            PQL.sqliteWhere(
                try PQL.parse(#"$1.person.name.firstName = "Ann""#), jsonColumn: "doc", now: PQLFixtures.now))
        #expect(fragment.sql.contains(#"'$."person"."name"."firstName"'"#))
    }

    /// Generated and mutated texts: the parser never crashes, and each input takes
    /// bounded time; whatever parses also type checks, evaluates and compiles.
    @Test func fuzzedInputsNeverCrash() async throws {
        var random = SplitMix(state: 0x5EED)
        let seeds =
            DocumentedForms.conditions.map(\.pql) + PQLFixtures.cases.map(\.pql) + DocumentedForms.values.map(\.0)
            + DocumentedForms.events.map(\.0)
        let pieces = [
            "(", ")", "[", "]", "!", "not ", " and ", " or ", "=", "!=", "<", ">=", ".", ",", "\"", "'", "\\", "$1",
            "if(", "date(2020,2,30)", " occurs ", " between ", "last ", "month", " before ", "now", "today", "9e9",
            "-", "+", "*", "/", "%", "99999999999999999999", "é", "\u{0}", "\n", "xEvent", "exists X from ", " where ",
            "let ", " in ", "inSegment(", ".count()", ".sum(", ".topN(a,", "=>", ":", "select ", "0.5", "a.b.c",
        ]
        let profile = DocumentedForms.profiles[0].document
        var parsed = 0
        var slowest = 0.0
        for index in 0..<100_000 {
            // The suites share a thread per core; half a minute of fuzzing must
            // let the servers other tests start answer their requests.
            if index % 500 == 0 { await Task.yield() }
            var text: [Character]
            if index % 4 == 0 {
                text = Array(
                    (0..<Int.random(in: 1...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                        .joined())
            } else {
                text = Array(seeds.randomElement(using: &random)!)
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let position = Int.random(in: 0...text.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: text.insert(contentsOf: pieces.randomElement(using: &random)!, at: position)
                    case 1: if position < text.count { text.remove(at: position) }
                    default:
                        text = Array(text[..<position]) + Array(text[position...].shuffled(using: &random).prefix(3))
                    }
                }
            }
            let source = String(text)
            let start = threadCPUSeconds()
            if let expression = try? PQL.parse(source) {
                parsed += 1
                _ = try? PQL.typeCheck(expression, text: source, fieldKinds: [:])
                _ = PQL.evaluate(expression, on: profile, now: PQLFixtures.now)
                _ = PQL.sqliteWhere(expression, jsonColumn: "doc", now: PQLFixtures.now)
                _ = PQL.sqlWhere(expression, dialect: .postgresql, documentColumn: "doc", now: PQLFixtures.now)
            }
            slowest = max(slowest, threadCPUSeconds() - start)
        }
        #expect(parsed > 10_000, "the mutations should leave many texts valid")
        #expect(slowest < 0.5, "slowest input took \(slowest) s")
    }
}

/// The CPU time this thread has used. A bound on one input's work: wall time
/// also counts the time the thread waited for a core, and on a loaded 2-core
/// CI machine (load 24) one harmless input took 0.62 s of wall time.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// SplitMix64, seeded so a failing fuzz case replays.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("PQL: field paths of the new forms")
struct PQLFieldPathTests {
    @Test(arguments: [
        ("exists O from orders where O.price > 20 and x = 1", ["orders", "x"]),
        ("let S = orders.sum(price) in S > a.b", ["orders", "price", "a.b"]),
        ("person.orders.storeId.distinct().count() > 1", ["person", "person.orders.storeId"]),
        ("(select X from a.b where X.c = 1).count() = 1", ["a", "a.b"]),
        ("$1.a.b = 1 and inSegment('s')", ["a.b"]),
    ])
    func boundNamesAreNotFields(pql: String, expected: [String]) throws {
        #expect(PQL.fieldPaths(try PQL.parse(pql)) == Set(expected))
    }

    /// The Swift fallback may see only the extracted paths; it must still agree with the whole document.
    @Test(arguments: DocumentedForms.conditions)
    func extractedPathsAreEnough(_ example: DocumentedForms.Example) throws {
        let expression = try PQL.parse(example.pql)
        let paths = PQL.fieldPaths(expression).sorted().map { $0.split(separator: ".").map(String.init) }
        for (_, document) in DocumentedForms.profiles {
            var members: [String: JSONValue] = [:]
            for keys in paths {
                if let value = document[path: keys] { Self.insert(value, at: keys[...], into: &members) }
            }
            #expect(
                PQL.evaluate(expression, on: .object(members), now: PQLFixtures.now)
                    == PQL.evaluate(expression, on: document, now: PQLFixtures.now))
        }
    }

    /// As the workspace's Swift fallback rebuilds a document from extracted paths.
    static func insert(_ value: JSONValue, at path: ArraySlice<String>, into object: inout [String: JSONValue]) {
        guard let head = path.first else { return }
        if path.count == 1 {
            object[head] = value
            return
        }
        var child: [String: JSONValue] = [:]
        if case .object(let existing)? = object[head] { child = existing }
        insert(value, at: path.dropFirst(), into: &child)
        object[head] = .object(child)
    }
}

@Suite("PQL: SQL that SQLite's parser accepts")
struct PQLParserDepthTests {
    @Test func depthEstimateCountsCallsAndCases() {
        #expect(PQL.parserDepth("((1))") == 2)
        #expect(PQL.parserDepth("COALESCE((1), 0)") == 4)
        #expect(PQL.parserDepth("CASE WHEN (a) THEN 'x(((' END") == 7)
        #expect(PQL.parserDepth("a IN (1, 2) AND (b)") == 1)
    }

    /// Nested ifs need nested CASEs; past what SQLite's parser takes, the segment goes to Swift.
    @Test func deeplyNestedConditionsFallBackToSwift() throws {
        var text = "a"
        for _ in 0..<12 { text = "if(b = 1, \(text), c)" }
        let expression = try PQL.parse(text + " = 1")
        #expect(PQL.sqliteWhere(expression, jsonColumn: "doc", now: PQLFixtures.now) == nil)
        var shallow = "a"
        for _ in 0..<3 { shallow = "if(b = 1, \(shallow), c)" }
        #expect(PQL.sqliteWhere(try PQL.parse(shallow + " = 1"), jsonColumn: "doc", now: PQLFixtures.now) != nil)
    }
}
