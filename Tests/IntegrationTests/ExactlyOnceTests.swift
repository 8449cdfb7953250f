import Foundation
import GRDB
import S3
import Testing

@testable import Workspace

/// A file is delivered once, whatever happens to the processes delivering it:
/// a holder frozen past its lease, a worker killed between completing an
/// upload and recording it, workers killed at random. Each test exports into a
/// versioned bucket of its own, where a second write of a key is a second
/// version that a plain listing would hide.
@Suite struct ExactlyOnceTests {
    let env = TestEnvironment.shared

    /// Creates a versioned bucket with the fixture's admin user.
    func versionedBucket() async throws -> String {
        let bucket = "ferry-v-" + UUID().uuidString.prefix(8).lowercased()
        _ = try await python(["create", bucket])
        return bucket
    }

    /// Key -> number of versions in `bucket`.
    func versions(_ bucket: String) async throws -> [String: Int] {
        let output = try await python(["versions", bucket])
        let counts = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Int] ?? [:]
        // The permission check's probes are `ferry s3 check`'s business, tested there.
        return counts.filter { !$0.key.contains(".ferry-check") }
    }

    func python(_ arguments: [String]) async throws -> String {
        let script = TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/s3_versions.py").path
        return String(decoding: try await runPython([script, TestEnvironment.envPath] + arguments), as: UTF8.self)
    }

    /// A workspace whose one activation exports about 12 MiB (three 5 MiB parts) daily.
    func largeExport(bucket: String, endpoint: String? = nil) async throws -> WorkspaceCLI {
        var environment = env.awsEnvironment(user: "admin")
        if let endpoint { environment["AWS_ENDPOINT_URL_S3"] = endpoint }
        let cli = WorkspaceCLI(environment: environment)
        var lines = ""
        for i in 0..<120_000 {
            lines +=
                #"{"identityMap":{"Email":[{"id":"user\#(i)@example.com","primary":true}]},"person":{"name":{"lastName":"Lastname\#(i)","firstName":"Firstname\#(i % 977)"}},"loyalty":{"points":\#(i * 7 % 10007)}}"#
                + "\n"
        }
        try FileManager.default.createDirectory(atPath: cli.dir, withIntermediateDirectories: true)
        try lines.write(toFile: cli.dir + "/p.jsonl", atomically: true, encoding: .utf8)
        #expect(try await cli(["profiles", "import", cli.dir + "/p.jsonl"]).exitCode == 0)
        #expect(try await cli(["segments", "create", "all", "--pql", "loyalty.points >= 0"]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", bucket, "--folder-path", "out/%SEGMENT_NAME%", "--manifest",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "d", "--segment", "all", "--map",
                "identityMap.Email=email", "--map", "person.name.lastName", "--map", "person.name.firstName", "--map",
                "loyalty.points", "--frequency", "daily", "--start", "2026-11-20T06:00:00Z",
            ]).exitCode == 0)
        #expect(try await cli(["segments", "evaluate"]).exitCode == 0)
        return cli
    }

    @Test func aHolderFrozenPastItsLeaseWritesNothingAfterTheTakeover() async throws {
        let bucket = try await versionedBucket()
        let cli = try await largeExport(bucket: bucket)
        let workspace = try Workspace(directory: URL(fileURLWithPath: cli.dir), environment: [:])
        var tested = false
        var trace: [String] = []
        // The upload can finish before the stop lands; then the next day is tried.
        for day in 21...24 where !tested {
            let at = "2026-11-\(day)T07:00:00Z"
            let log = cli.dir + "/frozen-\(day).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let frozen = try cli.spawn(
                ["run", "--due", "--at", at, "--part-size", "5", "--lease-seconds", "2"],
                stdout: appendingLog(log), stderr: appendingLog(log))
            // Polled closely on a thread of its own, as the crash test explains.
            try await offPool {
                for _ in 0..<6000 where alive(frozen.processIdentifier) {
                    let open = try workspace.dbPool.read { db in
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM runUpload") ?? 0
                    }
                    if open > 0 { break }
                    usleep(2_000)
                }
                kill(frozen.processIdentifier, SIGSTOP)
            }
            // Twice the lease: the frozen holder can no longer renew it.
            try await Task.sleep(for: .milliseconds(4_500))
            let takeover = try await cli(["run", "--due", "--at", at, "--part-size", "5", "--lease-seconds", "2"])
            kill(frozen.processIdentifier, SIGCONT)
            #expect(await exited(frozen, within: 60))
            let frozenOutput = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            trace.append("day \(day): takeover=\(takeover.stdout) frozen=\(frozenOutput.suffix(600))")
            #expect(takeover.exitCode == 0, "\(takeover.stderr)")
            if takeover.stdout.contains("nothing due") { continue }
            tested = true
            #expect(takeover.stdout.contains(" success: "))
            #expect(frozen.terminationStatus == 0, "\(frozenOutput.suffix(800))")
            #expect(frozenOutput.contains("taken over by another process"), "\(frozenOutput.suffix(800))")
            #expect(!frozenOutput.contains(" failed: "), "\(frozenOutput.suffix(800))")
            #expect(!frozenOutput.contains("run failed"), "\(frozenOutput.suffix(800))")
        }
        #expect(tested, "\(trace)")
        let counts = try await versions(bucket)
        #expect(!counts.isEmpty)
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        let runs = try await cli(["runs", "list", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as! [[String: Any]]
        #expect(parsed.allSatisfy { $0["status"] as? String == "success" }, "\(runs.stdout)")
        #expect(try await env.client(user: "admin").listMultipartUploads(bucket: bucket, prefix: "").isEmpty)
    }

    /// A kill between CreateMultipartUpload and recording its id: the next
    /// attempt finds the upload by listing the bucket's uploads and resumes it,
    /// when the key may list them (s3:ListBucketMultipartUploads, beyond the six).
    @Test(arguments: [true, false])
    func anUploadCreatedButNotRecordedIsResumed(mayListUploads: Bool) async throws {
        let bucket = try await versionedBucket()
        // The fault proxy answers the listing as S3 does for a key without
        // s3:ListBucketMultipartUploads; everything else goes through.
        let proxy = try await FaultProxy(
            upstream: env.endpoint,
            rules: #"[{"method": "GET", "query_contains": "uploads", "count": 1000, "action": "denied"}]"#)
        defer { proxy.stop() }
        let cli = try await largeExport(bucket: bucket, endpoint: mayListUploads ? nil : proxy.endpoint)
        let workspace = try Workspace(directory: URL(fileURLWithPath: cli.dir), environment: [:])
        let at = "2026-11-21T07:00:00Z"
        let killed = try cli.spawn(["run", "--due", "--at", at, "--part-size", "5"])
        @Sendable func recorded() throws -> Int {
            try workspace.dbPool.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM runUpload WHERE uploadId != ''") ?? 0
            }
        }
        // Polled closely on a thread of its own, as the crash test explains.
        try await offPool {
            for _ in 0..<6000 where alive(killed.processIdentifier) {
                if try recorded() > 0 { break }
                usleep(2_000)
            }
            kill(killed.processIdentifier, SIGKILL)
        }
        _ = await exited(killed, within: 60)
        #expect(try recorded() == 1)
        // What the process would have left had it died a moment earlier.
        try await workspace.dbPool.write { db in try db.execute(sql: "UPDATE runUpload SET uploadId = ''") }
        let retry = try await cli(["run", "--due", "--at", at, "--part-size", "5"])
        #expect(retry.exitCode == 0, "\(retry.stderr)")
        let open = try await env.client(user: "admin").listMultipartUploads(bucket: bucket, prefix: "")
        if mayListUploads {
            #expect(open.isEmpty)
        } else {
            // Left for the lifecycle rule, and said so.
            #expect(retry.stderr.contains("lifecycle rule"), "\(retry.stderr)")
            #expect(open.count == 1)
        }
        let counts = try await versions(bucket)
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
    }

    @Test func aRetryAfterACrashBetweenUploadAndSuccessWritesNoSecondVersion() async throws {
        let bucket = try await versionedBucket()
        let cli = WorkspaceCLI(environment: env.awsEnvironment(user: "admin"))
        try await cli.importLines((0..<50).map { ScheduledRunTests.profile("p\($0)", country: "KR") })
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        #expect(
            try await cli([
                "destinations", "create", "d", "--bucket", bucket, "--folder-path", "out", "--manifest",
            ]).exitCode == 0)
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
            ]).exitCode == 0)
        let at = "2026-11-25T07:00:00Z"
        let first = try await cli(["run", "--due", "--at", at])
        #expect(first.exitCode == 0, "\(first.stderr)")
        // What a SIGKILL right after the last S3 write leaves: the objects are
        // complete, the ledger still says processing.
        let workspace = try Workspace(directory: URL(fileURLWithPath: cli.dir), environment: [:])
        try await workspace.dbPool.write { db in
            try db.execute(sql: "UPDATE run SET status = 'processing', finishedAt = NULL")
        }
        let retry = try await cli(["run", "--due", "--at", at])
        #expect(retry.exitCode == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains(" success: "), "\(retry.stdout)")
        let counts = try await versions(bucket)
        #expect(counts.count == 2, "\(counts)")
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        let runs = try await cli(["runs", "list", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as! [[String: Any]]
        #expect(parsed.count == 1)
        #expect(parsed.first?["status"] as? String == "success")
        #expect(parsed.first?["attempts"] as? Int == 2)
    }

    @Test func threeServeWorkersKilledAtRandomDeliverEachFileOnce() async throws {
        let bucket = try await versionedBucket()
        let cli = WorkspaceCLI(environment: env.awsEnvironment(user: "admin"))
        try await cli.importLines((0..<30).map { ScheduledRunTests.profile("p\($0)", country: "KR") })
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        #expect(
            try await cli(["destinations", "create", "d", "--bucket", bucket, "--folder-path", "out", "--manifest"])
                .exitCode == 0)
        let start = Date().addingTimeInterval(-3600).formatted(.iso8601)
        for i in 0..<12 {
            let created = try await cli([
                "activations", "create", "a\(i)", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email", "--frequency", "daily", "--start", start, "--file-name",
                "a\(i)_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%",
            ])
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
        var generator = SystemRandomNumberGenerator()
        var workers: [Process] = []
        func startWorker() async throws -> Process {
            try cli.spawn(["serve", "--poll-seconds", "1", "--lease-seconds", "3"])
        }
        for _ in 0..<3 { workers.append(try await startWorker()) }
        var kills = 0
        for _ in 0..<15 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &generator)))
            let victim = Int.random(in: 0..<workers.count, using: &generator)
            await stop(workers[victim], signal: SIGKILL)
            kills += 1
            workers[victim] = try await startWorker()
        }
        // Then the workers finish what is left.
        var done = false
        for _ in 0..<600 where !done {
            try await Task.sleep(for: .milliseconds(100))
            let runs = try await cli(["runs", "list", "--status", "success", "--json"])
            let parsed = (try? JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]) ?? []
            done = parsed.count == 12
        }
        for worker in workers { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { #expect(await exited(worker, within: 60), "a worker ignored SIGTERM") }
        #expect(done)
        #expect(kills == 15)
        let counts = try await versions(bucket)
        // 12 data files and 12 manifests, each written once.
        #expect(counts.count == 24, "\(counts)")
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        #expect(try await env.client(user: "admin").listMultipartUploads(bucket: bucket, prefix: "").isEmpty)
    }
}
