import Foundation
import GRDB
import Testing

/// A large events import holds the SQLite workspace's write lock until it
/// commits. Another writer meanwhile waits its FERRY_BUSY_TIMEOUT_SECONDS and
/// then fails in one sentence, changing nothing; the import is unharmed, and
/// the same write succeeds once the import is done.
@Suite struct EventImportRaceTests {
    let env = TestEnvironment.shared

    /// Whether another connection holds the write lock now.
    static func writeLockIsHeld(_ path: String) throws -> Bool {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let probe = try DatabaseQueue(path: path, configuration: configuration)
        do {
            try probe.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
            return false
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return true
        }
    }

    @Test func aWriterDuringALargeEventsImportGetsTheBusyErrorAndTheImportCompletes() async throws {
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: .sqlite)
        try await cli.importLines((0..<1000).map { EventExportTests.profile("u\($0)") })
        let count = 400_000
        let time = ISO8601DateFormatter().string(from: Date() - 86_400)
        var lines = ""
        lines.reserveCapacity(count * 160)
        for i in 0..<count {
            lines += EventExportTests.purchase("e\(i)", "u\(i % 1000)", time) + "\n"
        }
        let file = cli.dir + "/events.jsonl"
        try lines.write(toFile: file, atomically: true, encoding: .utf8)
        let log = cli.dir + "/import.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let importer = try cli.spawn(
            ["events", "import", file], stdout: appendingLog(log),
            stderr: appendingLog(log))
        defer { if alive(importer.processIdentifier) { kill(importer.processIdentifier, SIGKILL) } }
        let database = cli.dir + "/ferry.sqlite"
        // Held for a whole second: the import's one long transaction is under
        // way, not a short write before it.
        let started = Date()
        var heldSince: Date?
        while alive(importer.processIdentifier), Date().timeIntervalSince(started) < 120 {
            if try Self.writeLockIsHeld(database) {
                if Date().timeIntervalSince(heldSince ?? Date()) >= 1 { break }
                heldSince = heldSince ?? Date()
            } else {
                heldSince = nil
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(alive(importer.processIdentifier), "the import ended before it held the lock")

        var busy = cli.environment
        busy["FERRY_BUSY_TIMEOUT_SECONDS"] = "1"
        let pql = #"xEvent[eventType = "commerce.purchases"]"#
        let blocked = try await FerryRun.run(
            ["segments", "create", "buyers", "--pql", pql, "--workspace", cli.dir], environment: busy)
        // Still held now, so held all along: the transaction is one.
        let heldNow = try Self.writeLockIsHeld(database)
        let heldThroughout = alive(importer.processIdentifier) && heldNow
        let ended = await exited(importer, within: 300)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(ended, "\(output)")
        #expect(importer.terminationStatus == 0, "\(output)")
        // The import may have committed in the second the writer waited; only a
        // writer that met the lock for all of it must have failed.
        if heldThroughout {
            #expect(blocked.exitCode == 1, "\(blocked.stdout) \(blocked.stderr)")
            #expect(blocked.stderr.contains("the workspace is busy"), "\(blocked.stderr)")
            #expect(blocked.stderr.split(separator: "\n").count == 1, "\(blocked.stderr)")
            #expect(try await !cli(["segments", "list"]).stdout.contains("buyers"))
            let created = try await cli(["segments", "create", "buyers", "--pql", pql])
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
        #expect(output.contains("inserted \(count),"), "\(output)")
        #expect(try await cli(["segments", "evaluate"]).exitCode == 0)
        let members = try await cli(["segments", "members", "buyers"])
        #expect(members.exitCode == 0, "\(members.stderr)")
        #expect(members.stdout.split(separator: "\n").count >= 1000, "\(members.stdout.prefix(500))")
    }
}
