import Foundation
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// The rows an export reads are the same on both backends, whichever way
/// PostgreSQL reads a field (typed column as a string or as JSON text, the
/// document for a path without one, such as an object) and its pids (a scan of their range
/// when dense, a probe per pid when sparse), and across pages read ahead.
@Suite struct ExportRowParityTests {
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    /// Every JSON type at `name`, strings that need escaping, numbers kept as written.
    static let names = [
        #""Ann""#, #""Zoë \"q\" \\ \/ \u00e9 \ud83d\ude00 \t""#, "42", "-7", "1.50", "12345678901234567890", "0.1",
        "true", "false", "null", #"{"a":1,"b":[true,null]}"#, #"[1,"x",{"y":2}]"#, #""""#,
    ]

    static func lines() -> [String] {
        (0..<240).map { i in
            var fields = [#""n":\#(i)"#, #""k":"\#(i % 25 == 3 ? "s" : "d")""#]
            if i % 14 != 5 { fields.append(#""name":\#(names[i % names.count])"#) }
            if i % 3 == 0 { fields.append(#""deep":{"x":\#(names[(i / 3) % names.count])}"#) }
            let email = i % 11 == 4 ? "" : #""Email":[{"id":"p\#(i)@x.io","primary":true},{"id":"q\#(i)@x.io"}],"#
            return #"{"identityMap":{\#(email)"CRMID":[{"id":"C-\#(i)"}]},\#(fields.joined(separator: ","))}"#
        }
    }

    static let fields: [MemberField] = [
        .attribute(["name"]), .attribute(["deep", "x"]), .identity(namespace: "Email"),
        .identityList(namespace: "Email"), .identityList(namespace: "CRMID"),
        .attribute(["deep"]), .attribute(["nowhere"]), .attribute(["n"]),
    ]

    /// Each segment's rows, read `limit` at a time, with the pid left out (each backend numbers its own).
    static func rows(_ backend: StoreUnderTest.Backend, fields: [MemberField], limit: Int) async throws
        -> [String: [[JSONValue]]]
    {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        _ = try await subject.importLines(lines())
        let all = try await store.createSegment(name: "all", pql: "n >= 0", description: nil, id: nil, now: now)
        let few = try await store.createSegment(name: "few", pql: #"k = "s""#, description: nil, id: nil, now: now)
        // Dense, with gaps a scan of the pid range must skip.
        let most = try await store.createSegment(name: "most", pql: #"k = "d""#, description: nil, id: nil, now: now)
        _ = try await store.evaluate(segmentIds: [], now: now)
        var result: [String: [[JSONValue]]] = [:]
        for segment in [all, few, most] {
            let reader = try await store.exportRows(
                segmentSid: try #require(segment.sid), fields: fields, selection: .realized)
            var after: Int64 = 0
            var rows: [[JSONValue]] = []
            while true {
                let page = try await reader.page(afterPid: after, limit: limit)
                #expect(page.statuses.allSatisfy { $0 == "realized" })
                rows += (0..<page.count).map { row in
                    (0..<page.fieldCount).map { page.json(row: row, field: $0) }
                }
                guard page.count == limit, let last = page.pids.last else { break }
                after = last
            }
            result[segment.name] = rows
        }
        return result
    }

    @Test(arguments: [7, 2000])
    func rowsAreTheSameOnBothBackends(limit: Int) async throws {
        let sqlite = try await Self.rows(.sqlite, fields: Self.fields, limit: limit)
        let postgres = try await Self.rows(.postgresql, fields: Self.fields, limit: limit)
        #expect(sqlite["all"]?.count == 240)
        #expect(sqlite["few"]?.count == 10)
        #expect(sqlite["most"]?.count == 230)
        #expect(postgres["all"] == sqlite["all"])
        #expect(postgres["few"] == sqlite["few"])
        #expect(postgres["most"] == sqlite["most"])
        // The exotic values came through as themselves.
        let names = try #require(postgres["all"]).map { $0[0] }
        #expect(names.contains(.string(#"Zoë "q" \ / é 😀 "# + "\t")))
        #expect(names.contains(.number("1.50")) && names.contains(.number("12345678901234567890")))
        #expect(names.contains(.string("")) && names.contains(.null) && names.contains(.bool(false)))
    }

    /// Only typed columns (`profile_value` alone), only the document (`profile` alone), and none at all.
    @Test(arguments: [
        [MemberField.attribute(["name"]), .identity(namespace: "Email"), .attribute(["n"])],
        [.attribute(["deep"]), .attribute(["nowhere"])],
        [],
    ])
    func eachTableAloneReadsTheSameRows(fields: [MemberField]) async throws {
        let postgres = try await Self.rows(.postgresql, fields: fields, limit: 50)
        let sqlite = try await Self.rows(.sqlite, fields: fields, limit: 50)
        #expect(postgres == sqlite)
        #expect(postgres["all"]?.count == 240)
        #expect(postgres["most"]?.count == 230)
    }
}
