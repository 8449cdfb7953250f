import Foundation
import GRDB
import Segmentation
import TestSupport
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

    static let strings = ["", "a", "ab", "Ab", "abc", "xyz", "a%b", "a_b", "x\"y", "é", "1", "a'b", "a\\b"]
    static let dates = [
        "2020-01-15", "2021-06-30", "2021-06-30T10:00:00Z", "not a date", "2026-11-25", "2026-11-24T23:59:59.5Z",
        "2026-11-25T01:30:00+02:00", "2026-11-24t22:00:00-0300", "2026-11-25 00:00", "2026-11-18", "2026-10-31",
        "2024-02-29T12:00:00.125z", "2026-02-30", "2026-11-25T24:00:00Z", "2026-11-25T10:00:60Z", "2026-11-25T10:00:",
        "2026-11-25T10:00+05", "2026-11-26", "2026-12-01T00:00:00Z", "1969-12-31T23:59:59Z", "2026-11-22T12:00:00Z",
    ]

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
        if chance(0.9) { fields.append("\"d\":\(chance(0.9) ? jsonString(pick(Self.dates)) : scalar())") }
        // Awkward keys: unicode, a quote and a dot inside a key, a key that is
        // a path of another profile's object.
        if chance(0.6) { fields.append("\"ünï\":\(scalar())") }
        if chance(0.3) { fields.append("\"we\\\"ird\":\(scalar())") }
        if chance(0.3) { fields.append("\"o.p\":\(scalar())") }
        // Nested objects: an object, `{}`, null or a scalar at each level, and keys
        // no other profile has.
        if chance(0.85) {
            let inner = chance(0.7) ? "{\"k\":\(scalar())}" : pick(["{}", "null", "{\"z\":1}", scalar()])
            fields.append("\"n\":" + (chance(0.8) ? "{\"m\":\(inner)}" : pick(["{}", "null", "{\"y\":2}", scalar()])))
        }
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

    mutating func field() -> String { pick(["a", "b", "o.p", "arr", "d", "o", "missing.x", "n", "n.m", "n.m.k"]) }

    mutating func atom() -> String {
        let f = field()
        switch Int.random(in: 0..<18, using: &rng) {
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
        case 10: return "\(f) \(pick(["=", "!=", "<", ">"])) \(field())"
        case 11:
            return
                "\(arithmetic()) \(pick(["=", "!=", "<", "<=", ">", ">="])) \(pick(["0", "1", "-1", "2.5", "0.5", "3"]))"
        case 12:
            // Chains of equalities with one field compile to IN lists.
            let values = (0..<Int.random(in: 2...6, using: &rng)).map { _ in literal() }
            return "(" + values.map { "\(f) = \($0)" }.joined(separator: " or ") + " or \(atom()))"
        case 13:
            return
                "\(f) \(pick(["in", "notIn"])) [\((0..<Int.random(in: 4...9, using: &rng)).map { _ in literal() }.joined(separator: ", "))]"
        case 14:
            return "\(pick(["currentMonth()", "currentYear()", "currentDayOfMonth()"])) \(pick(["=", "<", ">="])) \(f)"
        case 15:
            // Plain-text patterns compile to startsWith/contains in both dialects.
            return "\(f).matches(\(jsonString(pick(["^a", "a", "^ab", "b", "^a\\%", "^x\\\"", "^1", "^A"]))))"
        default:
            return dateAtom(pick(["d", "d", "d", f]))
        }
    }

    /// Times: comparisons with dates, now and today, occurs against fixed periods, date parts.
    mutating func dateAtom(_ f: String) -> String {
        let constant = pick(["now", "today", "date(2026, 11, 25)", "date(2020, 1, 15)", "date(2026, 11, 24)"])
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return "\(f) \(pick(["=", "!=", "<", "<=", ">", ">="])) \(constant)"
        case 1: return "\(constant) \(pick(["=", "!=", "<", ">="])) \(f)"
        case 2:
            return
                "\(f) occurs \(pick(["", "on ", "before ", "after "]))\(pick(["now", "today", "yesterday", "tomorrow", "date(2021, 6, 30)", "this month", "last week", "next year", "this hour", "last decade"]))"
        case 3:
            return
                "\(f) occurs \(pick(["=", "!=", "<", "<=", ">", ">="])) \(Int.random(in: 0...3, using: &rng)) \(pick(["days", "hours", "weeks", "months", "years", "minute"])) \(pick(["before", "after", "from"])) \(pick(["now", "today", "yesterday", "this month"]))"
        case 4: return "\(f) occurs between \(constant) and \(pick(["now", "today", "date(2027, 1, 1)"]))"
        default:
            return
                "\(f).\(pick(["getMonth()", "getYear()", "getDayOfMonth()"])) \(pick(["=", "<", ">"])) \(pick(["1", "11", "2026", "25", "30"]))"
        }
    }

    /// Arithmetic over fields and literals, including division and remainder by zero.
    mutating func arithmetic(depth: Int = 0) -> String {
        let leaf = { (random: inout RandomPQL) -> String in
            random.chance(0.5)
                ? random.pick(["a", "b", "o.p", "d"]) : random.pick(["0", "1", "2", "-3", "1.5", "-0.5", "2.0"])
        }
        if depth >= 2 || chance(0.4) { return leaf(&self) }
        return "(\(arithmetic(depth: depth + 1)) \(pick(["+", "-", "*", "/", "%"])) \(arithmetic(depth: depth + 1)))"
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

extension Workspace {
    /// The profiles a compiled condition selects.
    func pids(where condition: SQLFragment) async throws -> Set<Int64> {
        try await dbPool.read { db in
            Set(
                try Int64.fetchAll(
                    db, sql: "SELECT pid FROM profile WHERE \(condition.sql)",
                    arguments: SegmentEvaluator.statementArguments(condition.arguments)))
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

@Suite struct SQLPathPropertyTests {
    /// For a few hundred random expressions over random profiles, the SQL that
    /// `PQL.sqliteWhere` produces selects exactly the profiles `PQL.evaluate` accepts.
    @Test(arguments: Array(UInt64(1)...UInt64(8)))
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
        // The PostgreSQL workspace's layout when the objects (`o`, `n`, `n.m`) have no
        // typed columns of their own, as when the import's sample met only objects
        // there: object marks stand in for them (`PQL.markValue`).
        let leafTyped = typed.filter { entry in
            !typed.keys.contains { $0.count > entry.key.count && $0.starts(with: entry.key) }
        }
        let marks = Dictionary(
            uniqueKeysWithValues: PQL.objectMarkPaths(for: leafTyped, marked: []).enumerated().map { ($1, $0 + 1) })
        #expect(marks[["o"]] != nil && marks[["n", "m"]] != nil, "\(marks)")
        let postgres = try await PostgresMirror.url.asyncMap {
            try await PostgresMirror(
                url: $0, workspace: temp.workspace, typed: typed, marks: marks, markedTyped: leafTyped)
        }
        defer { postgres?.drop() }
        /// PostgreSQL conditions (over the document, then over the typed columns) with what they must select.
        var postgresChecks: [(text: String, condition: SQLFragment, expected: Set<Int64>)] = []
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
            for (columns, native, objects) in [
                ([:], false, [:]), (typed, false, [:]), (typed, true, [:]), (leafTyped, true, marks),
            ] {
                if let condition = PQL.sqlWhere(
                    expression, dialect: .postgresql, documentColumn: "doc", typedColumns: columns, now: now,
                    nativeValues: native, objectColumns: objects)
                {
                    postgresChecks.append((text, condition, expected))
                } else {
                    Issue.record("translates for SQLite but not for PostgreSQL: \(text)")
                }
            }
            // The same expression over the typed columns must select the same profiles.
            if let typedFragment = PQL.sqliteWhere(expression, jsonColumn: "doc", typedColumns: typed, now: now) {
                let viaColumns = try await temp.workspace.pids(where: typedFragment)
                #expect(viaColumns == expected, "typed columns disagree for: \(text)\nSQL: \(typedFragment.sql)")
            } else {
                Issue.record("translates over the document but not over the typed columns: \(text)")
            }
            let actual: Set<Int64>
            do {
                actual = try await temp.workspace.pids(where: fragment)
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
        if let postgres {
            #expect(postgresChecks.count >= 4 * 60)
            let answers = try await postgres.select(postgresChecks.map(\.condition))
            for (check, answer) in zip(postgresChecks, answers) {
                switch answer {
                case .success(let actual):
                    #expect(
                        actual == check.expected,
                        "PostgreSQL and reference disagree for: \(check.text)\nSQL: \(PostgresMirror.inlined(check.condition))"
                    )
                case .failure(let error):
                    Issue.record(
                        "PostgreSQL refused \(check.text): \(PostgresMirror.inlined(check.condition))\n\(error.message.prefix(2000))"
                    )
                }
            }
        }
    }
}

/// The property test's profiles copied into a throwaway PostgreSQL table with
/// the PostgreSQL typed-column layout (`doc jsonb`, `tN text`, `vN jsonb`), and
/// queries run there through `psql`, so the PostgreSQL dialect meets the same
/// expressions as SQLite. Runs when `scripts/test` hands in FERRY_TEST_POSTGRES_URL.
struct PostgresMirror {
    let url: String
    let table: String

    static var url: String? {
        ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Copies `profile` (pid, doc and the typed columns) from the workspace, with an
    /// object mark `oN` per path of `marks` as a workspace whose typed columns are
    /// `markedTyped` keeps it.
    init(
        url: String, workspace: Workspace, typed: [[String]: Int], marks: [[String]: Int], markedTyped: [[String]: Int]
    )
        async throws
    {
        self.url = url
        table = "pql_property_\(UInt32.random(in: 0...UInt32.max))"
        let numbers = typed.values.sorted()
        let rows = try await workspace.dbPool.read { db in
            let paths = numbers.map { number in
                (number, ProfileColumns.jsonPath(typed.first { $0.value == number }!.key)!)
            }
            let select = paths.map { "t\($0.0), doc -> \($0.1)" }
            return try Row.fetchAll(
                db, sql: "SELECT pid, doc\(select.isEmpty ? "" : ", " + select.joined(separator: ", ")) FROM profile"
            ).map { row -> String in
                var cells = ["\(row[0] as Int64)", Self.literal(row[1] as String) + "::jsonb"]
                for index in numbers.indices {
                    let type: String? = row[2 + 2 * index]
                    let value: String? = row[3 + 2 * index]
                    cells.append(type.map(Self.literal) ?? "NULL")
                    cells.append(value.map { Self.literal($0) + "::jsonb" } ?? "NULL")
                }
                return "(" + cells.joined(separator: ", ") + ")"
            }
        }
        // After them, the text and numeric values the PostgreSQL workspace generates (`nativeValues`).
        let columns =
            numbers.map { "t\($0) text, v\($0) jsonb" }
            + numbers.flatMap { number in
                [
                    "s\(number) text GENERATED ALWAYS AS "
                        + "(CASE WHEN jsonb_typeof(v\(number)) = 'string' THEN v\(number) #>> '{}' END) STORED",
                    "n\(number) numeric GENERATED ALWAYS AS "
                        + "(CASE WHEN jsonb_typeof(v\(number)) = 'number' THEN (v\(number))::numeric END) STORED",
                ]
            }
        let markColumns = marks.sorted { $0.value < $1.value }.map { path, number in
            let value = "jsonb_extract_path(doc, " + path.map(Self.literal).joined(separator: ", ") + ")"
            let below = PQL.objectMarkColumns(below: path, in: markedTyped).map { "v\($0)" }
            return "o\(number) jsonb GENERATED ALWAYS AS (\(PQL.markValue(value, below: below))) STORED"
        }
        // A schema of its own holds the table and the time function its migrations would
        // create, so parallel seeds never replace one function at the same time.
        var script = "CREATE SCHEMA \(table);\nSET search_path TO \(table);\n" + PQL.postgresTimeFunction + ";\n"
        script += "CREATE TABLE \(table) (pid bigint, doc jsonb"
        script += columns.isEmpty ? ");\n" : ", " + (columns + markColumns).joined(separator: ", ") + ");\n"
        script += "INSERT INTO \(table) VALUES " + rows.joined(separator: ",\n") + ";\n"
        _ = try await run(script)
    }

    /// Drops the schema on a thread of its own: called from `defer`, which cannot await.
    func drop() {
        let script = "DROP SCHEMA IF EXISTS \(table) CASCADE;"
        Thread.detachNewThread { [self] in _ = try? runBlocking(script) }
    }

    /// The pids each condition selects, or the error text when PostgreSQL refused it.
    func select(_ conditions: [SQLFragment]) async throws -> [Result<Set<Int64>, QueryError>] {
        var script = "SET search_path TO \(table);\n"
        for (index, condition) in conditions.enumerated() {
            script +=
                "SELECT 'Q\(index):' || coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM \(table) WHERE "
                + Self.inlined(condition) + ";\n"
        }
        let (output, errors) = try await run(script)
        var answers: [Int: Set<Int64>] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("Q") {
            let parts = line.dropFirst().split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let index = Int(parts[0]) else { continue }
            answers[index] = Set(parts.count > 1 ? parts[1].split(separator: ",").compactMap { Int64($0) } : [])
        }
        return conditions.indices.map { index in
            answers[index].map { .success($0) } ?? .failure(QueryError(message: errors))
        }
    }

    struct QueryError: Error { var message: String }

    /// The fragment with each `?` replaced by its argument as an SQL literal; the
    /// PostgreSQL dialect writes `?` for nothing but placeholders.
    static func inlined(_ fragment: SQLFragment) -> String {
        var arguments = fragment.arguments[...]
        var sql = ""
        for character in fragment.sql {
            guard character == "?", let argument = arguments.popFirst() else {
                sql.append(character)
                continue
            }
            switch argument {
            case .null: sql += "NULL"
            case .int(let value): sql += "\(value)"
            case .double(let value): sql += "\(value)::float8"
            case .string(let value): sql += literal(value)
            }
        }
        return sql
    }

    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    private func run(_ script: String) async throws -> (String, String) {
        try await offPool { [self] in try runBlocking(script) }
    }

    private func runBlocking(_ script: String) throws -> (String, String) {
        // The script goes through a file, so psql failing early can't leave a writer blocked.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pql-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scriptFile = folder.appendingPathComponent("script.sql")
        let outFile = folder.appendingPathComponent("out.txt")
        let errFile = folder.appendingPathComponent("err.txt")
        try Data(script.utf8).write(to: scriptFile)
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "psql", url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=0", "-w", "-f", scriptFile.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        process.waitUntilExit()
        return (
            String(decoding: try Data(contentsOf: outFile), as: UTF8.self),
            String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
        )
    }
}
