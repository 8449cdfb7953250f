import Foundation
import PostgresStore
import S3
import Testing

/// Several `ferry serve` workers on one shared PostgreSQL workspace, killed
/// at random and restarted: every due run still succeeds exactly once, each
/// file is written once with the expected rows, and no upload is left open.
@Suite struct PostgresWorkersTests {
    let env = TestEnvironment.shared
    static let masterKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()

    /// How long a test's `ferry` or in-process workspace waits for the server
    /// to answer (FERRY_CONNECT_TIMEOUT_SECONDS): the 15 s default is a bound
    /// for users, and on a loaded 2-core CI machine the shared server once
    /// took longer than that to answer four workspaces opened at once.
    static let connectTimeout = "60"

    /// A fresh database on the server `scripts/test` started; its URL.
    static func freshDatabase() async throws -> String {
        guard let server = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_URL"] else {
            throw TestSetupError("FERRY_TEST_POSTGRES_URL is not set: run the tests with scripts/test")
        }
        let name = "ferry_it_" + UUID().uuidString.prefix(8).lowercased()
        try await PostgresAdmin.createDatabase(name, at: try PostgresURL(server))
        guard let slash = server.range(of: "/ferry?") else { throw TestSetupError("unexpected URL shape") }
        return server.replacingCharacters(in: slash, with: "/\(name)?")
    }

    func versionedBucket() async throws -> String {
        let bucket = "ferry-pg-" + UUID().uuidString.prefix(8).lowercased()
        _ = try await python(["create", bucket])
        return bucket
    }

    func python(_ arguments: [String]) async throws -> String {
        let script = TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/s3_versions.py").path
        return String(decoding: try await runPython([script, TestEnvironment.envPath] + arguments), as: UTF8.self)
    }

    @Test func threeWorkersKilledAtRandomRunEachDueActivationOnce() async throws {
        let database = try await Self.freshDatabase()
        let bucket = try await versionedBucket()
        var environment = env.awsEnvironment(user: "admin")
        environment["FERRY_DATABASE_URL"] = database
        environment["FERRY_MASTER_KEY"] = Self.masterKey
        environment["FERRY_CONNECT_TIMEOUT_SECONDS"] = Self.connectTimeout
        let cli = WorkspaceCLI(environment: environment)
        try FileManager.default.createDirectory(atPath: cli.dir, withIntermediateDirectories: true)
        func ferry(_ arguments: [String]) async throws -> FerryRun {
            try await FerryRun.run(arguments, environment: environment)
        }
        #expect(try await ferry(["workspace", "init"]).exitCode == 0)
        var lines = ""
        for i in 0..<3000 {
            lines +=
                #"{"identityMap":{"Email":[{"id":"u\#(i)@example.com","primary":true}]},"loyalty":{"points":\#(i)}}"#
            lines += "\n"
        }
        try lines.write(toFile: cli.dir + "/p.jsonl", atomically: true, encoding: .utf8)
        let imported = try await ferry(["profiles", "import", cli.dir + "/p.jsonl"])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect(try await ferry(["segments", "create", "even", "--pql", "loyalty.points >= 1000"]).exitCode == 0)
        let created = try await ferry(["destinations", "create", "d", "--bucket", bucket, "--folder-path", "out"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let activations = 20
        for n in 0..<activations {
            let made = try await ferry([
                "activations", "create", "a\(n)", "--destination", "d", "--segment", "even", "--map",
                "identityMap.Email=email", "--map", "loyalty.points", "--frequency", "daily", "--start",
                "2026-11-20T06:00:00Z", "--file-name", "%DESTINATION_NAME%_%SEGMENT_ID%_a\(n)_%DATETIME%",
            ])
            try #require(made.exitCode == 0, "\(made.stderr)")
        }

        // Three workers; every second or so one is killed and started again.
        func start(_ index: Int, _ generation: Int) throws -> Process {
            let log = cli.dir + "/worker-\(index)-\(generation).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            return try FerryRun.spawn(
                [
                    "serve", "--poll-seconds", "1", "--lease-seconds", "3", "--max-concurrent-runs", "2",
                    "--max-connections", "4", "--verbose",
                ],
                environment: environment, stdout: appendingLog(log),
                stderr: appendingLog(log))
        }
        var workers = try (0..<3).map { try start($0, 0) }
        defer {
            for worker in workers where alive(worker.processIdentifier) { kill(worker.processIdentifier, SIGKILL) }
        }
        var generation = 1
        var kills = 0
        func successes() async throws -> Int {
            let listed = try await ferry(["runs", "list", "--json", "--status", "success"])
            let parsed = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]]
            return parsed?.count ?? 0
        }
        let deadline = Date().addingTimeInterval(150)
        while try await successes() < activations, Date() < deadline {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...900)))
            if kills < 6 {
                let victim = Int.random(in: 0..<workers.count)
                await stop(workers[victim], signal: SIGKILL)
                workers[victim] = try start(victim, generation)
                generation += 1
                kills += 1
            }
        }
        for worker in workers { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { #expect(await exited(worker, within: 60), "a worker ignored SIGTERM") }
        let logs = try FileManager.default.contentsOfDirectory(atPath: cli.dir).filter { $0.hasPrefix("worker-") }
            .map { (try? String(contentsOfFile: cli.dir + "/" + $0, encoding: .utf8)) ?? "" }
        #expect(logs.contains { $0.contains("ferry serve worker ") })

        let listed = try await ferry(["runs", "list", "--json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == activations, "\(listed.stdout.prefix(2000)) \(logs.joined().suffix(3000))")
        #expect(runs.allSatisfy { $0["status"] as? String == "success" }, "\(listed.stdout.prefix(3000))")
        #expect(Set(runs.compactMap { $0["activationId"] as? String }).count == activations)
        let table = try await ferry(["runs", "list"]).stdout
        #expect(table.split(separator: "\n").first?.hasSuffix("WORKER") == true)

        let versions =
            try await JSONSerialization.jsonObject(with: Data(try python(["versions", bucket]).utf8))
            as? [String: Int] ?? [:]
        let dataFiles = versions.filter { !$0.key.contains(".ferry-check") }
        #expect(dataFiles.count == activations, "\(dataFiles)")
        #expect(dataFiles.values.allSatisfy { $0 == 1 }, "\(dataFiles)")
        let client = env.client(user: "admin")
        for key in dataFiles.keys {
            let body = String(decoding: try await client.getObject(bucket: bucket, key: key), as: UTF8.self)
            let rows = body.split(separator: "\n").dropFirst()
            #expect(rows.count == 2000, "\(key)")
            #expect(Set(rows).count == 2000, "\(key)")
        }
        #expect(try await client.listMultipartUploads(bucket: bucket, prefix: "").isEmpty)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
