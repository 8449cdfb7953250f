import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// Typed event columns on SQLite: each column holds what `json_extract` and
/// `json_type` give for its path, whatever type each event has there, and event
/// segments read through the columns select what they select read from the
/// documents and what the Swift evaluator selects.
@Suite struct EventColumnsTests {
    static let now = Date(timeIntervalSince1970: 1_781_524_800)
    static let types = ["addToCart", "commerce.purchases", "homePageView"]

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func pick(_ items: [String]) -> String { items[next(items.count)] }

        /// A value of any JSON type: the same path is a number in one event and text in another.
        mutating func scalar() -> String {
            pick([
                "1", "2", "-3", "2.5", "1.50", "0", "12345678901234567890", "1e2", #""1""#, #""abc""#, #""""#,
                #""Zoë""#, #""a\nb""#, "true", "false", "null", #"[1,"x"]"#, #"{"k":1}"#, "[]", "{}",
            ])
        }
    }

    struct Data {
        var profiles: [String] = []
        var events: [(owner: String, seconds: Double, type: String, line: String)] = []
    }

    static func data(seed: UInt64) -> Data {
        var random = Generator(state: seed)
        var data = Data()
        for index in 0..<50 {
            let id = "p\(index)"
            data.profiles.append(#"{"identityMap":{"email":[{"id":"\#(id)","primary":true}]},"tier":\#(index % 3)}"#)
            for number in 0..<random.next(6) {
                let seconds = now.timeIntervalSince1970 - Double(random.next(86_400 * 20))
                let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
                let type = random.pick(types)
                var fields: [String] = []
                if random.next(5) > 0 { fields.append(#""v":\#(random.scalar())"#) }
                if random.next(4) > 0 {
                    fields.append(#""o":\#(random.next(4) > 0 ? #"{"p":\#(random.scalar())}"# : random.scalar())"#)
                }
                // A key with a dot in it is not the path o.p.
                if random.next(3) == 0 { fields.append(#""o.p":\#(random.scalar())"#) }
                if random.next(3) == 0 { fields.append(#""ünï":\#(random.scalar())"#) }
                if random.next(3) == 0 { fields.append(#""we\"ird":\#(random.scalar())"#) }
                if random.next(3) == 0 { fields.append(#""it's":\#(random.scalar())"#) }
                if random.next(2) == 0 { fields.append(#""items":[{"SKU":"\#(random.pick(["A", "B"]))"}]"#) }
                let extra = fields.isEmpty ? "" : "," + fields.joined(separator: ",")
                data.events.append(
                    (
                        id, seconds, type,
                        #"{"_id":"\#(id)-\#(number)","timestamp":"\#(time)","eventType":"\#(type)","identityMap":{"email":[{"id":"\#(id)"}]}\#(extra)}"#
                    ))
            }
        }
        return data
    }

    static func definitions(seed: UInt64) -> [String] {
        var r = Generator(state: seed &+ 7)
        var result: [String] = []
        let fields = ["v", "o.p", "o"]
        let literals = ["1", "2", "2.5", "1.5", "0", #""1""#, #""abc""#, #""""#, "true", "false", "100"]
        for _ in 0..<25 {
            let f = r.pick(fields)
            let literal = r.pick(literals)
            let atom: String
            switch r.next(10) {
            case 0: atom = "\(f) \(r.pick(["=", "!=", "<", "<=", ">", ">="])) \(literal)"
            case 1: atom = "\(f) in [\(literal), \(r.pick(literals))]"
            case 2: atom = "\(f).\(r.pick(["isNull", "isNotNull"]))()"
            case 3:
                atom = "\(f).\(r.pick(["startsWith", "contains", "endsWith"]))(\(r.pick([#""a""#, #""1""#, #""Z""#])))"
            case 4: atom = "\(f).includes(\(r.pick(["1", #""x""#])))"
            case 5: atom = "\(f)"
            case 6: atom = "\(f) + 1 > \(r.pick(["1", "2", "3.5"]))"
            default: atom = #"eventType = "\#(r.pick(types))" and \#(f) \#(r.pick(["=", ">", "<"])) \#(literal)"#
            }
            switch r.next(5) {
            case 0: result.append("xEvent[\(atom)].count() >= \(1 + r.next(2))")
            case 1: result.append("not xEvent[\(atom)]")
            case 2: result.append("xEvent[\(atom)].sum(\(f)) > \(r.next(3))")
            case 3:
                result.append(
                    "exists E from xEvent where E.\(atom.replacingOccurrences(of: "eventType", with: "E.eventType"))")
            default: result.append("xEvent[\(atom)]")
            }
        }
        result += [
            "xEvent.max(v) > 1", "xEvent.min(o.p) < 2", "xEvent.average(v) >= 1", "xEvent[o.p = ^.tier]",
            #"xEvent[items[SKU = "A"]]"#, "forall E from xEvent where E.v = 1",
        ]
        return result
    }

    static func workspace(_ data: Data) async throws -> TemporaryWorkspace {
        let temporary = try TemporaryWorkspace()
        _ = try await temporary.importText("profiles.jsonl", data.profiles.joined(separator: "\n"))
        let path = try temporary.file("events.jsonl", data.events.map(\.line).joined(separator: "\n"))
        let summary = try await temporary.workspace.importEvents([.file(path)], maxErrors: 0) { _ in }
        #expect(summary.inserted == data.events.count && summary.rejected == 0)
        return temporary
    }

    /// Every column equals what SQLite reads from the document, row by row.
    static func expectColumnsMatchDocuments(_ pool: DatabasePool) async throws {
        try await pool.read { db in
            let columns = try EventColumns.load(db)
            for (number, keys) in columns.paths {
                let path = try #require(ProfileColumns.jsonPath(keys))
                let wrong = try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM event WHERE xt\(number) IS NOT json_type(edoc, \(path))
                            OR (xt\(number) NOT IN ('array', 'object') AND xv\(number) IS NOT json_extract(edoc, \(path)))
                        """)
                #expect(wrong == 0, "\(keys)")
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT xv\(number), json_extract(edoc, \(path)) FROM event "
                        + "WHERE xt\(number) IN ('array', 'object')")
                {
                    #expect(try JSONValue.parse(row[0] as String) == (try JSONValue.parse(row[1] as String)), "\(keys)")
                }
                let kinds = try Set(
                    String.fetchAll(db, sql: "SELECT DISTINCT xt\(number) FROM event WHERE xt\(number) IS NOT NULL"))
                #expect(kinds.isSubset(of: columns.kinds[columns.paths.firstIndex { $0.number == number }!]), "\(keys)")
            }
        }
    }

    /// The identities `pql` selects: through the event columns, from the documents
    /// alone, and by the Swift evaluator.
    static func members(_ pql: String, _ pool: DatabasePool, _ data: Data) async throws -> (
        typed: Set<String>?, document: Set<String>?, swift: Set<String>, readsColumns: Bool
    ) {
        let expression = try PQL.parse(pql)
        let (columns, profileColumns) = try await pool.read { db in
            (try EventColumns.load(db), try ProfileColumns.load(db))
        }
        func run(_ events: PQLEventStore) async throws -> (Set<String>?, Bool) {
            guard
                let fragment = PQL.sqlWhere(
                    expression, dialect: .sqlite, documentColumn: "doc", typedColumns: profileColumns.numbers,
                    now: now, events: events)
            else { return (nil, false) }
            let found = try await pool.read { db in
                try String.fetchAll(
                    db, sql: "SELECT identity FROM profile WHERE \(fragment.sql)",
                    arguments: SegmentEvaluator.statementArguments(fragment.arguments))
            }
            return (Set(found), fragment.sql.contains(".xv"))
        }
        let kinds = SegmentEvaluator.kinds(of: columns)
        let (typed, reads) = try await run(
            PQLEventStore(profileKey: "profile.pid", retainedSince: 0, columns: columns.numbers, kinds: kinds))
        let (document, _) = try await run(PQLEventStore(profileKey: "profile.pid", retainedSince: 0))
        var swift: Set<String> = []
        for (index, profile) in data.profiles.enumerated() {
            let id = "p\(index)"
            let events = try data.events.filter { $0.owner == id }.sorted { $0.seconds < $1.seconds }
                .map { try JSONValue.parse($0.line) }
            if PQL.evaluate(expression, on: try JSONValue.parse(profile), events: events, now: now) { swift.insert(id) }
        }
        return (typed, document, swift, reads)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func eventSegmentsOverTypedColumnsSelectWhatTheDocumentsAndSwiftSelect(seed: UInt64) async throws {
        let data = Self.data(seed: seed)
        let temporary = try await Self.workspace(data)
        let pool = temporary.workspace.dbPool
        let paths = try await pool.read { db in Set(try EventColumns.load(db).paths.map(\.keys)) }
        // Scalar paths have columns, the dotted key apart from the path; keys
        // SQLite paths cannot quote, arrays and the event's own members have none.
        #expect(paths.isSuperset(of: [["v"], ["o", "p"], ["o.p"], ["o"], ["ünï"]]), "\(paths)")
        #expect(paths.isDisjoint(with: [["we\"ird"], ["it's"], ["items"], ["_id"], ["eventType"], ["timestamp"]]))
        try await Self.expectColumnsMatchDocuments(pool)
        var readColumns = 0
        for pql in Self.definitions(seed: seed) {
            let found = try await Self.members(pql, pool, data)
            #expect(found.typed == found.document, "\(pql)")
            if let typed = found.typed { #expect(typed == found.swift, "\(pql)") }
            if found.readsColumns { readColumns += 1 }
        }
        #expect(readColumns > 20)
    }

    @Test func aPathFirstSeenAsAnArrayGetsItsEarlierRowsWhenAScalarGivesItAColumn() async throws {
        let temporary = try TemporaryWorkspace()
        let line = { (id: String, value: String) in
            #"{"_id":"\#(id)","timestamp":"2026-06-10T00:00:00Z","eventType":"t","identityMap":{"email":[{"id":"a"}]},"w":\#(value)}"#
        }
        // A bulk import of two batches: the array arrives in the first, the number in the second.
        let first = (0..<30_000).map { line("e\($0)", #"[1,"x"]"#) }
        let path = try temporary.file("events.jsonl", (first + [line("n", "7")]).joined(separator: "\n"))
        _ = try await temporary.workspace.importEvents([.file(path)], maxErrors: 0) { _ in }
        let pool = temporary.workspace.dbPool
        try await Self.expectColumnsMatchDocuments(pool)
        let kinds = try await pool.read { db in try EventColumns.load(db).kinds }
        #expect(kinds == [["array", "integer"]])
    }

    @Test func anOlderWorkspaceGetsItsEventColumnsFilledAndSelectsTheSameMembers() async throws {
        let data = Self.data(seed: 5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-event-upgrade-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(Workspace.databaseFileName).path
        let profiles = directory.appendingPathComponent("profiles.jsonl")
        try data.profiles.joined(separator: "\n").write(to: profiles, atomically: false, encoding: .utf8)
        do {
            // The schema as the previous release left it, with its events.
            let old = try DatabasePool(path: path)
            try WorkspaceSchema.migrator.migrate(old, upTo: "2026-12-02 events by profile only")
            _ = try await ProfileImporter(dbPool: old, options: ImportOptions()).run([.file(profiles.path)]) { _ in }
            try await old.write { db in
                for (index, event) in data.events.enumerated() {
                    let pid = try Int64.fetchOne(
                        db, sql: "SELECT pid FROM profile WHERE identity = ?", arguments: [event.owner])
                    try db.execute(
                        sql: "INSERT INTO event (id, epid, ets, etype, edoc) VALUES (?, ?, ?, ?, ?)",
                        arguments: ["x\(index)", pid, event.seconds, event.type, event.line])
                }
            }
            #expect(try await old.read { db in try db.tableExists("eventField") } == false)
            try old.close()
        }
        let workspace = try Workspace(directory: directory, environment: [:])
        let pool = workspace.dbPool
        let paths = try await pool.read { db in Set(try EventColumns.load(db).paths.map(\.keys)) }
        #expect(paths.isSuperset(of: [["v"], ["o", "p"], ["o.p"], ["o"]]), "\(paths)")
        try await Self.expectColumnsMatchDocuments(pool)
        for pql in Self.definitions(seed: 5) {
            let found = try await Self.members(pql, pool, data)
            #expect(found.typed == found.document, "\(pql)")
            if let typed = found.typed { #expect(typed == found.swift, "\(pql)") }
        }
        // The workspace's own evaluation reads the columns too.
        _ = try await workspace.createSegment(name: "big", pql: "xEvent[v > 1]")
        let summaries = try await workspace.evaluate(now: Self.now)
        let allSQL = summaries.allSatisfy { $0.usedSQL }
        #expect(allSQL)
        let expected = try await Self.members("xEvent[v > 1]", pool, data).swift
        var found: Set<String> = []
        try workspace.forEachMember(ofSegment: "big", status: .realized) { found.insert($0.identity) }
        #expect(found == expected)
    }
}
