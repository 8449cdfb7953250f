import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

/// Event documents stored without the leading members their columns give back
/// (`EventDocumentLead`) read back byte for byte as imported, and the rest are
/// stored whole.
@Suite struct EventDocumentLeadTests {
    /// The instant's text as the store's SQL writes it, from SQLite itself.
    static func sqliteText(_ seconds: [Double]) throws -> [String] {
        let queue = try DatabaseQueue()
        return try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, ets REAL)")
            for value in seconds { try db.execute(sql: "INSERT INTO t (ets) VALUES (?)", arguments: [value]) }
            return try String.fetchAll(db, sql: "SELECT \(PQLEventStore.timestampText("ets")) FROM t ORDER BY n")
        }
    }

    /// A document whose timestamp is `text`, and how many leading bytes are left out.
    static func lead(_ text: String) -> Int {
        let document = #"{"_id":"e","timestamp":"\#(text)","eventType":"t","identityMap":{}}"#
        return EventDocumentLead.length(of: document, id: "e", seconds: PQL.instant(text) ?? -1, eventType: "t")
    }

    @Test func aTimestampIsLeftOutOnlyWhenSQLiteWritesItBack() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var texts = [
            "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.001Z", "2024-02-29T23:59:59.999Z", "9999-12-31T23:59:59Z",
        ]
        for _ in 0..<5_000 {
            let milliseconds = Int64.random(in: 0..<253_402_300_800_000)
            let text = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            // Whole seconds without a fraction, as a writer may leave it out.
            texts.append(milliseconds % 1000 == 0 ? text.replacingOccurrences(of: ".000Z", with: "Z") : text)
        }
        let instants = texts.map { PQL.instant($0)! }
        let written = try Self.sqliteText(instants)
        for (text, back) in zip(texts, written) {
            #expect(Self.lead(text) > 0, "\(text)")
            #expect(back == text)
        }
        for text in [
            "2026-06-01T10:00:00.000Z", "2026-06-01T10:00:00.1Z", "2026-06-01T10:00:00.1234Z", "2026-06-01T10:00Z",
            "2026-06-01T12:00:00+02:00", "2026-06-01T10:00:00z", "2026-06-01 10:00:00Z", "1969-12-31T23:59:59Z",
            "2026-06-01",
        ] {
            #expect(Self.lead(text) == 0, "\(text)")
        }
    }

    static let identity = #""identityMap":{"Email":[{"id":"u1@example.com"}]}"#

    /// Lines and whether the workspace stores them shortened.
    static let lines: [(String, Bool)] = [
        (#"{"_id":"e1","timestamp":"2026-06-01T10:00:00.123Z","eventType":"page",\#(identity)}"#, true),
        (#"{"_id":"e2","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(identity),"web":{"a":1}}"#, true),
        (#"{"_id":"é3","timestamp":"2026-06-01T10:00:00.001Z","eventType":"pagé",\#(identity)}"#, true),
        // Written otherwise than SQLite writes the instant back.
        (#"{"_id":"e4","timestamp":"2026-06-01T10:00:00.000Z","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e5","timestamp":"2026-06-01T10:00:00.1Z","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e6","timestamp":"2026-06-01T12:00:00+02:00","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e7","timestamp":"2026-06-01T10:00:00.123456Z","eventType":"page",\#(identity)}"#, false),
        // Not the leading members in this order and spacing, or escaped.
        (#"{"timestamp":"2026-06-01T10:00:00Z","_id":"e8","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e9","timestamp":"2026-06-01T10:00:00Z",\#(identity),"eventType":"page"}"#, false),
        (#"{"_id": "e10","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(identity)}"#, false),
        (#" {"_id":"e11","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e\"12","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e\u0031\u0033","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(identity)}"#, false),
        (#"{"_id":"e14","timestamp":"2026-06-01T10:00:00Z","eventType":"pa\/ge",\#(identity)}"#, false),
        (#"{"_id":"e15","timestamp":"2026-06-01T10:00:00Z",\#(identity)}"#, false),
    ]

    /// The `_id` of one of `lines`, as the import reads it.
    static func id(_ line: String) -> String {
        guard case .object(let fields) = try? JSONValue.parse(line), case .string(let id)? = fields["_id"] else {
            return ""
        }
        return id
    }

    /// Each stored document, as the segment scan reads it, and whether it was shortened.
    static func stored(_ workspace: Workspace) async throws -> [(String, Bool)] {
        try await workspace.dbPool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(EventSQL.document("event")) AS doc, json_type(edoc, '$._id') IS NULL AS short "
                    + "FROM event ORDER BY id"
            ).map { ($0["doc"], $0["short"]) }
        }
    }

    @Test(arguments: [false, true]) func documentsReadBackAsImported(batchByBatch: Bool) async throws {
        let temporary = try TemporaryWorkspace()
        let workspace = temporary.workspace
        if batchByBatch {
            // Enough events stored first that the import below goes batch by batch.
            let many = (0..<2_000).map {
                #"{"_id":"m\#($0)","timestamp":"2026-06-01T10:00:00Z","eventType":"page",\#(Self.identity)}"#
            }
            _ = try await workspace.importEvents(
                [.file(try temporary.file("many.jsonl", many.joined(separator: "\n")))], maxErrors: 0
            ) { _ in }
        }
        let text = Self.lines.map(\.0).joined(separator: "\n")
        var rejections: [ImportRejection] = []
        let summary = try await workspace.importEvents(
            [.file(try temporary.file("events.jsonl", text))], maxErrors: 0
        ) { rejections.append($0) }
        #expect(rejections.isEmpty, "\(rejections)")
        #expect(summary.inserted == Self.lines.count)
        // In the order of their ids' bytes, as the query reads them.
        let expected = Self.lines.sorted { Array(Self.id($0.0).utf8).lexicographicallyPrecedes(Self.id($1.0).utf8) }
        let stored = try await Self.stored(workspace).filter { !$0.0.contains(#""_id":"m"#) }
        #expect(stored.count == expected.count)
        for ((line, short), (document, wasShort)) in zip(expected, stored) {
            #expect(document == line)
            #expect(wasShort == short, "\(line)")
        }
    }
}
