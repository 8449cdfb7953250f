import Foundation
import GRDB
import TestSupport
import Testing

@testable import Workspace

/// The events import on the SQLite workspace: a large import rebuilds the
/// indexes in one transaction, a small one goes batch by batch, and either way
/// an `_id` goes in once, the first one read.
@Suite struct EventImportTests {
    static func line(_ id: String, _ person: Int, type: String = "page") -> String {
        #"{"_id":"\#(id)","timestamp":"2026-06-01T00:00:0\#(person % 10)Z","eventType":"\#(type)","identityMap":{"Email":[{"id":"u\#(person)@example.com"}]}}"#
    }

    static func lines(_ ids: Range<Int>) -> [String] { ids.map { line("e\($0)", $0 % 10) } }

    static func indexes(_ workspace: Workspace) async throws -> [String] {
        try await workspace.dbPool.read { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event' ORDER BY name")
        }
    }

    static func integrity(_ workspace: Workspace) async throws -> String? {
        try await workspace.dbPool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
    }

    static func rebuilds(_ workspace: Workspace, _ text: String, file: TemporaryWorkspace) async throws -> Bool {
        let path = try file.file("probe.jsonl", text)
        let batch = text.split(separator: "\n").map { line in
            guard case .event(let event) = Array(line.utf8).withUnsafeBytes({ EventLineParser.parse($0) }) else {
                fatalError("\(line)")
            }
            return event
        }
        return try await workspace.dbPool.read { db in
            let stored = try Int.fetchOne(db, sql: "SELECT max(eid) FROM event") ?? 0
            return try EventBulkImport.rebuilds(
                batch, estimatedEvents: EventBulkImport.estimatedEvents([.file(path)]), stored: stored, db)
        }
    }

    @Test func anIdGoesInOnceOnEitherPathAndTheFirstReadWins() async throws {
        let temporary = try TemporaryWorkspace()
        let workspace = temporary.workspace
        func load(_ name: String, _ lines: [String]) async throws -> EventImportSummary {
            let path = try temporary.file(name, lines.joined(separator: "\n"))
            return try await workspace.importEvents([.file(path)], maxErrors: 0) { Issue.record("\($0)") }
        }
        // An empty store: the indexes are rebuilt; e5 comes twice and keeps its first row.
        let first = Self.lines(0..<100) + [Self.line("e5", 7, type: "second")]
        #expect(try await Self.rebuilds(workspace, first.joined(separator: "\n"), file: temporary))
        let summary = try await load("first.jsonl", first)
        #expect(summary.inserted == 100 && summary.duplicates == 1 && summary.profilesCreated == 10)
        let kept = try await workspace.dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT etype, epid FROM event WHERE id = 'e5'")
        }
        #expect(kept?["etype"] == "page")
        #expect(try await Self.indexes(workspace) == ["event_by_profile", "event_id"])

        // Half new, as large as what is stored: rebuilt, the stored half found at the end.
        let second = Self.lines(50..<200)
        #expect(try await Self.rebuilds(workspace, second.joined(separator: "\n"), file: temporary))
        let more = try await load("second.jsonl", second)
        #expect(more.inserted == 100 && more.duplicates == 50 && more.profilesCreated == 0)

        // The same file again: its first batch is stored, so the kept indexes skip it.
        #expect(try await !Self.rebuilds(workspace, first.joined(separator: "\n"), file: temporary))
        let again = try await load("first.jsonl", first)
        #expect(again.inserted == 0 && again.duplicates == 101)

        // A few events into many: batch by batch.
        let few = [Self.line("n1", 1), Self.line("n2", 11), Self.line("e3", 3), Self.line("n3", 1)]
        #expect(try await !Self.rebuilds(workspace, few.joined(separator: "\n"), file: temporary))
        let small = try await load("few.jsonl", few)
        #expect(small.inserted == 3 && small.duplicates == 1 && small.profilesCreated == 1)

        #expect(try await workspace.eventCount() == 203)
        #expect(try await Self.indexes(workspace) == ["event_by_profile", "event_id"])
        #expect(try await Self.integrity(workspace) == "ok")
        let perProfile = try await workspace.dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT epid) FROM event")
        }
        #expect(perProfile == 11)
    }

    /// An import with more events than profiles reads every identity once
    /// before its first batch (`EventProfileResolver.preload`): events still
    /// find their profiles through any identity, emails compared normalized,
    /// and a profile made for an unknown identity in one batch is found by
    /// that identity's events in later batches instead of being made again.
    @Test func aPreloadedImportFindsProfilesByAnyIdentityAcrossBatches() async throws {
        let temporary = try TemporaryWorkspace()
        let workspace = temporary.workspace
        let profiles = try temporary.file(
            "profiles.jsonl",
            [
                #"{"identityMap":{"ECID":[{"id":"device"}],"Email":[{"id":"keep@x.io","primary":true}]},"tier":"gold"}"#,
                #"{"identityMap":{"Email":[{"id":"other@x.io"}]}}"#,
            ].joined(separator: "\n"))
        _ = try await workspace.importProfiles([.file(profiles)], options: ImportOptions()) { Issue.record("\($0)") }
        func event(_ id: String, _ map: String) -> String {
            #"{"_id":"\#(id)","timestamp":"2026-06-01T00:00:00Z","eventType":"page","identityMap":{\#(map)}}"#
        }
        // The reader hands the writer batches of 25,000: the later events come in later batches.
        let filler = (0..<30_000).map { event("f\($0)", #""Email":[{"id":"other@x.io"}]"#) }
        let lines =
            [
                event("upper", #""Email":[{"id":"  KEEP@X.io "}]"#),
                event("device", #""ECID":[{"id":"device"}]"#),
                event("new1", #""Email":[{"id":"new@x.io"}]"#),
            ] + filler
            + [
                event("new2", #""Email":[{"id":"new@x.io"}]"#),
                event("linked", #""ECID":[{"id":"device"}],"Email":[{"id":"unknown@x.io","primary":true}]"#),
            ]
        let path = try temporary.file("events.jsonl", lines.joined(separator: "\n"))
        let summary = try await workspace.importEvents([.file(path)], maxErrors: 0) { Issue.record("\($0)") }
        #expect(summary.inserted == 30_005 && summary.profilesCreated == 1)
        let owners = try await workspace.dbPool.read { db in
            try [String: Int64](
                uniqueKeysWithValues: Row.fetchAll(
                    db, sql: "SELECT id, epid FROM event WHERE id IN ('upper', 'device', 'new1', 'new2', 'linked')"
                ).map { ($0["id"], $0["epid"]) })
        }
        let keep = try await workspace.dbPool.read { db in
            try Int64.fetchOne(db, sql: "SELECT pid FROM identity WHERE namespace = 'Email' AND id = 'keep@x.io'")
        }
        #expect(owners["upper"] == keep && owners["device"] == keep && owners["linked"] == keep)
        #expect(owners["new1"] != nil && owners["new2"] == owners["new1"] && owners["new1"] != keep)
    }

    @Test func aRebuildingImportStoppedByBadLinesKeepsTheEventsBefore() async throws {
        let temporary = try TemporaryWorkspace()
        let workspace = temporary.workspace
        let text = (Self.lines(0..<3) + ["x", "y", "z", "w"] + Self.lines(3..<6)).joined(separator: "\n")
        let path = try temporary.file("bad.jsonl", text)
        var lines: [Int] = []
        let summary = try await workspace.importEvents([.file(path)], maxErrors: 2) { lines.append($0.line) }
        #expect(summary.stoppedEarly && summary.rejected == 3 && lines == [4, 5, 6])
        #expect(summary.inserted == 3)
        #expect(try await workspace.eventCount() == 3)
        #expect(try await Self.indexes(workspace) == ["event_by_profile", "event_id"])
    }

    /// `ferry events import` killed at moments spread over its run: the
    /// workspace opens each time, whole, with its events all there or none.
    @Test(.enabled(if: FerryBinary.url != nil)) func aKilledImportLeavesTheWorkspaceWhole() async throws {
        let temporary = try TemporaryWorkspace()
        let total = 40_000
        let path = temporary.directory.appendingPathComponent("events.jsonl").path
        try (Self.lines(0..<total).joined(separator: "\n") + "\n").write(
            toFile: path, atomically: false, encoding: .utf8)
        let arguments = ["events", "import", path, "--workspace", temporary.directory.path]
        var outcomes: Set<Int> = []
        for delay in [0, 30, 100, 250, 600, 1500] {
            let process = Process()
            process.executableURL = FerryBinary.url
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(delay))
            await stop(process, signal: SIGKILL)

            let reopened = try Workspace(directory: temporary.directory, environment: [:])
            let count = try await reopened.eventCount()
            #expect(count == 0 || count == total, "after \(delay) ms: \(count) events")
            outcomes.insert(count)
            #expect(try await Self.integrity(reopened) == "ok")
            #expect(try await Self.indexes(reopened) == ["event_by_profile", "event_id"])
            if count == total { break }
        }
        let again = try await FerryBinary.run(arguments)
        let stored = outcomes.contains(total) ? total : 0
        #expect(again.stdout.hasPrefix("inserted \(total - stored), already present \(stored),"), "\(again)")
        let reopened = try Workspace(directory: temporary.directory, environment: [:])
        #expect(try await reopened.eventCount() == total)
        #expect(try await Self.integrity(reopened) == "ok")
    }
}
