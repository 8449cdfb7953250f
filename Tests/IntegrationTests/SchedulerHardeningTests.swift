import Foundation
import GRDB
import S3
import Testing

@testable import Workspace

/// What used to hang or freeze the scheduler: many runs at once, a webhook
/// that never answers, a mistyped `--at`, a long evaluation.
@Suite struct SchedulerHardeningTests {
    let env = TestEnvironment.shared

    /// A workspace with segment `kr` (3 profiles) and destination `d`.
    func workspace(_ prefix: String, user: String = "full") async throws -> WorkspaceCLI {
        let cli = WorkspaceCLI(environment: env.awsEnvironment(user: user))
        try await cli.importLines([
            ScheduledRunTests.profile("a", country: "KR"), ScheduledRunTests.profile("b", country: "KR"),
            ScheduledRunTests.profile("c", country: "US"),
        ])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        return cli
    }

    func createDaily(_ cli: WorkspaceCLI, count: Int) async throws {
        for i in 0..<count {
            let created = try await cli([
                "activations", "create", "a\(i)", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z", "--file-name",
                "a\(i)_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmm)%",
            ])
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
    }

    /// Runs `ferry` with a watchdog, so a hang fails the test instead of the suite.
    func runBounded(_ cli: WorkspaceCLI, _ args: [String], seconds: Double) async throws -> (FerryRun, Double) {
        let log = cli.dir + "/bounded-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let started = Date()
        let process = try cli.spawn(
            args, stdout: appendingLog(log), stderr: appendingLog(log))
        _ = await exited(process, within: seconds)
        let elapsed = Date().timeIntervalSince(started)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (FerryRun(exitCode: process.terminationStatus, stdout: output, stderr: output), elapsed)
    }

    @Test func twoHundredFiftySixConcurrentDueRunsFinish() async throws {
        let prefix = TestEnvironment.prefix("many")
        let cli = try await workspace(prefix)
        try await createDaily(cli, count: 256)
        let (result, elapsed) = try await runBounded(
            cli, ["run", "--due", "--at", "2026-11-25T07:00:00Z", "--max-concurrent-runs", "256"], seconds: 300)
        #expect(elapsed < 300, "run --due hung")
        #expect(result.exitCode == 0, "\(result.stdout.suffix(2000))")
        #expect(result.stdout.components(separatedBy: " success: ").count - 1 == 256)
        let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix)
        #expect(keys.count == 256)
    }

    /// 64 runs at once in `serve`, then SIGTERM: it finishes and stops.
    @Test func serveWithManyConcurrentRunsExportsAndStopsOnSIGTERM() async throws {
        let prefix = TestEnvironment.prefix("serve64")
        let cli = try await workspace(prefix)
        try await createDaily(cli, count: 64)
        let log = cli.dir + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let serve = try cli.spawn(
            ["serve", "--max-concurrent-runs", "64", "--poll-seconds", "1"],
            stdout: appendingLog(log), stderr: appendingLog(log))
        var objects = 0
        for _ in 0..<600 where objects < 64 && alive(serve.processIdentifier) {
            try await Task.sleep(for: .milliseconds(200))
            objects = try await env.client().listObjects(bucket: env.bucket, prefix: prefix).count
        }
        #expect(objects == 64)
        #expect(await stop(serve, within: 30), "serve ignored SIGTERM")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("ferry serve stopped"), "\(output.suffix(1000))")
    }

    @Test func aWebhookThatNeverAnswersDoesNotHoldRuns() async throws {
        let sink = try await WebhookSink(hang: true)
        defer { sink.stop() }
        let prefix = TestEnvironment.prefix("hang")
        let cli = try await workspace(prefix)
        try await createDaily(cli, count: 6)
        let (result, elapsed) = try await runBounded(
            cli, ["run", "--due", "--at", "2026-11-25T07:00:00Z", "--alert-webhook", sink.endpoint], seconds: 120)
        #expect(result.exitCode == 0, "\(result.stdout.suffix(2000))")
        #expect(result.stdout.components(separatedBy: " success: ").count - 1 == 6)
        // 12 alerts of at most 8 s each were 100 s and more when runs waited for them.
        #expect(elapsed < 60, "took \(elapsed) s")
        #expect(!sink.posts.isEmpty)
    }

    @Test func aMistypedFutureAtIsRefusedAndCannotFreezeTheSchedule() async throws {
        let prefix = TestEnvironment.prefix("future")
        let cli = try await workspace(prefix)
        try await createDaily(cli, count: 1)
        let refused = try await cli(["run", "--due", "--at", "2062-11-30T00:00:00Z"])
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("--allow-future"), "\(refused.stderr)")
        let future = try await cli(["run", "--due", "--at", "2062-11-30T00:00:00Z", "--allow-future"])
        #expect(future.exitCode == 0, "\(future.stderr)")
        // The run in 2062 does not stand for today's.
        let today = try await cli(["run", "--due"])
        #expect(today.exitCode == 0, "\(today.stderr)")
        #expect(today.stdout.contains(" success: "), "\(today.stdout)")
        let status = try await cli(["status", "--check"])
        #expect(status.exitCode == 4)
        #expect(status.stdout.contains("FUTURE RUN"), "\(status.stdout)")
        let listed = try await cli(["runs", "list", "--json"])
        let runs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as! [[String: Any]]
        let bogus = try #require(runs.first { ($0["scheduledTime"] as? String ?? "").hasPrefix("2062") })
        let deleted = try await cli(["runs", "delete", bogus["id"] as! String])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        #expect(try await cli(["status", "--check"]).exitCode == 0)
        #expect(try await cli(["runs", "delete", "no-such-run"]).exitCode == 2)
    }

    @Test func aLongEvaluationDoesNotLockOtherWriters() async throws {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        var lines = ""
        for i in 0..<150_000 {
            lines += #"{"identityMap":{"Email":[{"id":"u\#(i)@x.io","primary":true}]},"name":"n\#(i % 1000)"}"# + "\n"
        }
        try FileManager.default.createDirectory(atPath: cli.dir, withIntermediateDirectories: true)
        try lines.write(toFile: cli.dir + "/p.jsonl", atomically: true, encoding: .utf8)
        #expect(try await cli(["profiles", "import", cli.dir + "/p.jsonl"]).exitCode == 0)
        // Regular expressions call back into Swift for every row, which makes the scan slow;
        // 32 of them, since with 16 the writer's own start once took longer than the rest of the scan in CI.
        for i in 0..<32 {
            #expect(
                try await cli(["segments", "create", "s\(i)", "--pql", #"name.matches("n\#(i)[0-9]*9$")"#]).exitCode
                    == 0)
        }
        let evaluation = try cli.spawn(["segments", "evaluate"])
        // The scan is a read of a snapshot; give it time to start.
        try await Task.sleep(for: .milliseconds(300))
        #expect(alive(evaluation.processIdentifier), "the evaluation ended before the test could write during it")
        // Writes from another process go through while the scan runs.
        let created = try await cli(["segments", "create", "during", "--pql", #"name = "n1""#])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let stillScanning = alive(evaluation.processIdentifier)
        #expect(await exited(evaluation, within: 600), "the evaluation did not end")
        #expect(evaluation.terminationStatus == 0)
        #expect(stillScanning, "the write finished only after the evaluation")
        let names = try FileManager.default.contentsOfDirectory(atPath: cli.dir)
        #expect(!names.contains { $0.hasPrefix(".evaluation-") })
    }

    /// A destination saved by an older release with an endpoint that cannot
    /// work fails its own runs, in one sentence, and the others go on.
    @Test(arguments: ["http://127.0.0.1:99999", "http://127.0.0.1:1", "ftp://127.0.0.1:9000", "http://:80"])
    func aBrokenDestinationFailsOnlyItsOwnRuns(endpoint: String) async throws {
        let prefix = TestEnvironment.prefix("broken")
        let cli = try await workspace(prefix)
        #expect(
            try await cli(["destinations", "create", "broken", "--bucket", env.bucket, "--folder-path", prefix + "b"])
                .exitCode == 0)
        let workspace = try Workspace(directory: URL(fileURLWithPath: cli.dir), environment: [:])
        try await workspace.dbPool.write { db in
            try db.execute(sql: "UPDATE destination SET endpoint = ? WHERE name = 'broken'", arguments: [endpoint])
        }
        for (name, destination) in [("good", "d"), ("bad", "broken")] {
            #expect(
                try await cli([
                    "activations", "create", name, "--destination", destination, "--segment", "kr", "--map",
                    "identityMap.Email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
                ]).exitCode == 0)
        }
        let (result, elapsed) = try await runBounded(
            cli, ["run", "--due", "--at", "2026-11-25T07:00:00Z"], seconds: 120)
        #expect(elapsed < 60)
        #expect(result.exitCode == 1, "\(result.stdout)")
        #expect(result.stdout.contains(" success: kr"), "\(result.stdout)")
        let failure = result.stdout.split(separator: "\n").first { $0.hasPrefix("run of bad/") } ?? ""
        #expect(failure.contains("failed"), "\(result.stdout)")
        #expect(!failure.contains("Error("), "\(failure)")
        #expect(!failure.contains("HTTPClientError"), "\(failure)")
        #expect(!failure.contains("NIOConnectionError"), "\(failure)")
    }

    /// A writer that waited its fill says the workspace is busy and exits 1;
    /// `run --due` does not mistake that for a run held by another process.
    @Test func aLockedWorkspaceIsReportedAsBusy() async throws {
        let prefix = TestEnvironment.prefix("busy")
        let cli = try await workspace(prefix)
        try await createDaily(cli, count: 1)
        var configuration = Configuration()
        // The lock is held across two database accesses on purpose.
        configuration.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: cli.dir + "/ferry.sqlite", configuration: configuration)
        try holder.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        var environment = env.awsEnvironment()
        environment["FERRY_BUSY_TIMEOUT_SECONDS"] = "1"
        let create = try await cli(
            ["segments", "create", "other", "--pql", #"homeAddress.countryCode = "US""#], user: environment)
        #expect(create.exitCode == 1)
        #expect(create.stderr.contains("the workspace is busy"), "\(create.stderr)")
        #expect(create.stderr.split(separator: "\n").count == 1, "\(create.stderr)")
        let due = try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"], user: environment)
        #expect(due.exitCode != 0, "\(due.stdout)")
        #expect(!due.stdout.contains("held by another process"), "\(due.stdout)")
        #expect((due.stdout + due.stderr).contains("busy"), "\(due.stdout) \(due.stderr)")
        try holder.inDatabase { db in try db.execute(sql: "COMMIT") }
        let after = try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"])
        #expect(after.exitCode == 0, "\(after.stdout)")
    }

    /// A worker whose graceful stop cannot finish (here its scheduler waits in
    /// SQLite's busy handler, which nothing interrupts) still exits at its
    /// `--stop-timeout`, saying so in one line, instead of holding its runs.
    @Test func aServeThatCannotStopGracefullyExitsAtItsStopTimeout() async throws {
        let prefix = TestEnvironment.prefix("stop-timeout")
        let cli = try await workspace(prefix)
        var environment = env.awsEnvironment()
        environment["FERRY_BUSY_TIMEOUT_SECONDS"] = "300"
        let log = cli.dir + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let worker = try FerryRun.spawn(
            ["serve", "--poll-seconds", "1", "--stop-timeout", "2", "--workspace", cli.dir], environment: environment,
            stdout: appendingLog(log), stderr: appendingLog(log))
        defer { if alive(worker.processIdentifier) { kill(worker.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        let starting = Date()
        while !output().contains("ferry serve worker"), alive(worker.processIdentifier),
            Date().timeIntervalSince(starting) < 120
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(output().contains("ferry serve worker"), "\(output())")
        // Made once the worker runs, however long it took to start under load, and
        // due well after (making it took over 8 s in the parallel CI run), so the
        // lock is taken before the run falls due.
        let due = Date().addingTimeInterval(45)
        let created = try await cli([
            "activations", "create", "soon", "--destination", "d", "--segment", "kr", "--map",
            "identityMap.Email=email", "--frequency", "daily", "--start", ISO8601DateFormatter().string(from: due),
        ])
        try #require(created.exitCode == 0, "\(created.stderr)")
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: cli.dir + "/ferry.sqlite", configuration: configuration)
        try holder.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        defer { try? holder.inDatabase { db in try db.execute(sql: "ROLLBACK") } }
        try #require(Date() < due, "the activation was made too late to test the lock: \(output())")
        // The run falls due and its first write waits for the lock.
        try await Task.sleep(for: .seconds(max(0, due.timeIntervalSinceNow) + 3))
        let signalled = Date()
        let ended = await stop(worker, within: 60)
        #expect(ended, "\(output())")
        #expect(Date().timeIntervalSince(signalled) < 45)
        #expect(worker.terminationStatus == 1, "\(output())")
        #expect(output().contains("did not stop within 2 s"), "\(output())")
    }

    /// Two activations that would write the same keys (made before such
    /// pairs were refused) both fail at run time, naming each other, and
    /// write nothing.
    @Test func activationsThatWouldOverwriteEachOtherDoNotRun() async throws {
        let prefix = TestEnvironment.prefix("clash")
        let cli = try await workspace(prefix)
        for (name, file) in [
            ("daily", "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME%"),
            ("ads", "ads_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME%"),
        ] {
            let created = try await cli([
                "activations", "create", name, "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z", "--file-name",
                file,
            ])
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
        let workspace = try Workspace(directory: URL(fileURLWithPath: cli.dir), environment: [:])
        try await workspace.dbPool.write { db in
            try db.execute(
                sql:
                    "UPDATE activation SET fileNameTemplate = '%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME%' WHERE name = 'ads'"
            )
        }
        let due = try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"])
        #expect(due.exitCode == 1, "\(due.stdout)")
        #expect(!due.stdout.contains(" success: "), "\(due.stdout)")
        #expect(due.stdout.contains("ads") && due.stdout.contains("daily"), "\(due.stdout)")
        #expect(try await env.client().listObjects(bucket: env.bucket, prefix: prefix).isEmpty)
    }

    @Test func exitCodesFollowTheReadme() async throws {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        let version = try await cli(["--version"])
        #expect(version.exitCode == 0)
        #expect(!version.stdout.isEmpty)
        #expect(try await FerryRun.run(["--help"], environment: [:]).exitCode == 0)
        #expect(try await FerryRun.run(["activations", "create", "--help"], environment: [:]).exitCode == 0)
        let usage = try await cli(["activations", "create", "x"])
        #expect(usage.exitCode == 2, "\(usage.stderr)")
        #expect(usage.stderr.split(separator: "\n").count == 1, "\(usage.stderr)")
        #expect(try await cli(["run"]).exitCode == 2)
        #expect(try await cli(["no-such-command"]).exitCode == 2)
    }

    @Test func helpShowsRequiredOptionsMacrosAndModes() async throws {
        let create = try await FerryRun.run(["activations", "create", "--help"], environment: [:])
        #expect(create.exitCode == 0)
        let usage = create.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
        #expect(usage.contains(" --segment <segment> ...") && !usage.contains("[--segment"), "\(usage)")
        #expect(usage.contains(" --map <source[=column]> ...") && !usage.contains("[--map"), "\(usage)")
        for text in ["identityMap.Email=email", "%SEGMENT_NAME%", "%DATETIME(", "incremental", "Example:"] {
            #expect(create.stdout.contains(text), "\(text)")
        }
        let run = try await FerryRun.run(["run", "--help"], environment: [:])
        let runUsage = run.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
        #expect(runUsage.contains(" --due") && !runUsage.contains("[--due]"), "\(runUsage)")
        let destination = try await FerryRun.run(["destinations", "create", "--help"], environment: [:])
        #expect(destination.stdout.contains("%SEGMENT_NAME%"))
    }

    @Test func aRunWithoutPutObjectExitsThree() async throws {
        let cli = try await ScheduledRunTests().setUpGoodAndBad(TestEnvironment.prefix("perm"))
        let export = try await cli(["export", "bad"])
        #expect(export.exitCode == 3, "\(export.stderr)")
        let due = try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"])
        #expect(due.exitCode == 3, "\(due.stdout)")
    }
}
