import Foundation
import GRDB
import Testing

/// A large events import holds the SQLite workspace's write lock until it
/// commits. Another writer meanwhile waits its FERRY_BUSY_TIMEOUT_SECONDS and
/// then fails in one sentence, changing nothing; the import is unharmed, and
/// the same write succeeds once the import is done.
///
/// The import reads standard input from a pipe the test holds open, so it is
/// mid-transaction for as long as the test needs, however fast it imports: a
/// file of events once ended before the test saw the lock held (CI under load).
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

    static func events(_ range: Range<Int>, at time: String) -> Data {
        var lines = ""
        lines.reserveCapacity(range.count * 160)
        for i in range { lines += EventExportTests.purchase("e\(i)", "u\(i % 1000)", time) + "\n" }
        return Data(lines.utf8)
    }

    @Test func aWriterDuringALargeEventsImportGetsTheBusyErrorAndTheImportCompletes() async throws {
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: .sqlite)
        try await cli.importLines((0..<1000).map { EventExportTests.profile("u\($0)") })
        let time = ISO8601DateFormatter().string(from: Date() - 86_400)
        // More than two batches of 50,000, so at least one is written in the
        // import's transaction before it waits for the rest.
        let first = 120_000
        let count = 150_000
        let log = cli.dir + "/import.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let input = Pipe()
        let importer = try cli.spawn(
            ["events", "import", "-"], stdin: input, stdout: appendingLog(log), stderr: appendingLog(log))
        defer { if alive(importer.processIdentifier) { kill(importer.processIdentifier, SIGKILL) } }
        let writer = input.fileHandleForWriting
        let head = Self.events(0..<first, at: time)
        try await offPool { try writer.write(contentsOf: head) }
        let database = cli.dir + "/ferry.sqlite"
        let started = Date()
        while !(try Self.writeLockIsHeld(database)), alive(importer.processIdentifier),
            Date().timeIntervalSince(started) < 120
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        try #require(try Self.writeLockIsHeld(database), "the import never held the lock: \(output())")

        var busy = cli.environment
        busy["FERRY_BUSY_TIMEOUT_SECONDS"] = "1"
        let pql = #"xEvent[eventType = "commerce.purchases"]"#
        let blocked = try await FerryRun.run(
            ["segments", "create", "buyers", "--pql", pql, "--workspace", cli.dir], environment: busy)
        #expect(try Self.writeLockIsHeld(database), "the import's transaction is one")
        #expect(blocked.exitCode == 1, "\(blocked.stdout) \(blocked.stderr)")
        #expect(blocked.stderr.contains("the workspace is busy"), "\(blocked.stderr)")
        #expect(blocked.stderr.split(separator: "\n").count == 1, "\(blocked.stderr)")

        let tail = Self.events(first..<count, at: time)
        try await offPool {
            try writer.write(contentsOf: tail)
            try writer.close()
        }
        let ended = await exited(importer, within: 300)
        #expect(ended, "\(output())")
        #expect(importer.terminationStatus == 0, "\(output())")
        #expect(output().contains("inserted \(count),"), "\(output())")
        #expect(try await !cli(["segments", "list"]).stdout.contains("buyers"))
        let created = try await cli(["segments", "create", "buyers", "--pql", pql])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try await cli(["segments", "evaluate"]).exitCode == 0)
        let members = try await cli(["segments", "members", "buyers"])
        #expect(members.exitCode == 0, "\(members.stderr)")
        #expect(members.stdout.split(separator: "\n").count >= 1000, "\(members.stdout.prefix(500))")
    }
}
