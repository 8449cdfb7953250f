import Foundation
import S3
import Testing

/// PostgreSQL restarted (`pg_ctl restart`) under a worker that is exporting:
/// its pool reconnects, and the run finishes once, each file written once.
///
/// The server is this suite's own (scripts/lib/postgres.sh), not the one
/// `scripts/test` shares with the other suites, whose connections a restart
/// would cut.
@Suite struct PostgresRestartTests {
    let env = TestEnvironment.shared

    /// A throwaway server: started by the same shell functions `scripts/test` uses.
    struct Server {
        let url: String
        let bin: String
        let data: String
        let folder: String

        static func start() async throws -> Server {
            let lines = try await shell(
                "ferry_start_postgres >&2 && printf '%s\\n' \"$FERRY_PG_URL\" \"$FERRY_PG_BIN\" \"$FERRY_PG_DATA\" \"$FERRY_PG_DIR\""
            )
            .split(separator: "\n").map(String.init)
            guard lines.count == 4 else { throw TestSetupError("ferry_start_postgres printed \(lines)") }
            return Server(url: lines[0], bin: lines[1], data: lines[2], folder: lines[3])
        }

        func restart() async throws {
            _ = try await Self.shell("FERRY_PG_BIN=\(bin) FERRY_PG_DATA=\(data) ferry_restart_postgres")
        }

        /// Stops the server, waits, and starts it again on the same port and data.
        func stop(forSeconds seconds: Int) async throws {
            _ = try await Self.shell(
                """
                FERRY_PG_BIN=\(bin) FERRY_PG_DATA=\(data)
                ferry_pg_as_owner "$FERRY_PG_BIN/pg_ctl" -D "$FERRY_PG_DATA" -w -t 60 -m fast stop >/dev/null
                sleep \(seconds)
                ferry_pg_as_owner "$FERRY_PG_BIN/pg_ctl" -D "$FERRY_PG_DATA" -l "$FERRY_PG_DATA/outage.log" -w -t 60 start >/dev/null
                """)
        }

        func stop() async {
            _ = try? await Self.shell(
                "FERRY_PG_BIN=\(bin) FERRY_PG_DATA=\(data) FERRY_PG_DIR=\(folder) ferry_stop_postgres")
        }

        /// Runs `script` in bash with scripts/lib/postgres.sh sourced; its stdout.
        ///
        /// The shell first closes every descriptor past stderr: Foundation learns
        /// that a child ended when a socket the child inherited closes, and the
        /// server `pg_ctl` leaves running would inherit it too, so waiting for
        /// this shell would never end (what hung this test before).
        static func shell(_ script: String) async throws -> String {
            let library = TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/postgres.sh").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [
                "-c",
                """
                for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
                ferry_log() { printf '%s\\n' "$*" >&2; }
                source \(library) && \(script)
                """,
            ]
            let result = try await CapturedOutput.run(process)
            guard result.status == 0 else {
                throw TestSetupError("\(script) failed: \(String(decoding: result.stderr, as: UTF8.self))")
            }
            return String(decoding: result.stdout, as: UTF8.self)
        }
    }

    @Test func aRestartDuringARunEndsWithOneRunAndOneFileEach() async throws {
        try await exportThrough { server in try await server.restart() }
    }

    /// Longer than the 15 s after which the pool's circuit breaker fails every
    /// request at once: the worker's calls keep waiting (up to a minute), and
    /// the run finishes as after a short restart.
    @Test func anOutageLongerThanThePoolsCircuitBreakerIsWaitedOut() async throws {
        let run = try await exportThrough { server in try await server.stop(forSeconds: 20) }
        // Waited out, not failed and run again at the next tick.
        #expect(run?["attempts"] as? Int == 1, "\(run ?? [:])")
    }

    /// Starts a worker exporting 40 files, does `disruption` to the server once
    /// the run has begun, and checks the run ends once, each file written once.
    @discardableResult
    func exportThrough(_ disruption: (Server) async throws -> Void) async throws -> [String: Any]? {
        let server = try await Server.start()
        do {
            let run = try await exportThrough(server, disruption)
            await server.stop()
            return run
        } catch {
            await server.stop()
            throw error
        }
    }

    func exportThrough(_ server: Server, _ disruption: (Server) async throws -> Void) async throws -> [String: Any]? {
        let bucket = "ferry-pg-restart-" + UUID().uuidString.prefix(8).lowercased()
        _ = try await runPython([
            TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/s3_versions.py").path,
            TestEnvironment.envPath, "create", bucket,
        ])
        var environment = env.awsEnvironment(user: "admin")
        environment["FERRY_DATABASE_URL"] = server.url
        environment["FERRY_MASTER_KEY"] = PostgresWorkersTests.masterKey
        environment["FERRY_CONNECT_TIMEOUT_SECONDS"] = PostgresWorkersTests.connectTimeout
        let folder = NSTemporaryDirectory() + "ferry-pg-restart-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func ferry(_ arguments: [String]) async throws -> FerryRun {
            try await FerryRun.run(arguments, environment: environment)
        }
        #expect(try await ferry(["workspace", "init"]).exitCode == 0)
        let profiles = 40_000
        var lines = ""
        for i in 0..<profiles {
            lines += #"{"identityMap":{"Email":[{"id":"u\#(i)@example.com","primary":true}]},"n":\#(i)}"# + "\n"
        }
        try lines.write(toFile: folder + "/p.jsonl", atomically: true, encoding: .utf8)
        let imported = try await ferry(["profiles", "import", folder + "/p.jsonl"])
        try #require(imported.exitCode == 0, "\(imported.stderr)")
        #expect(try await ferry(["segments", "create", "all", "--pql", "n >= 0"]).exitCode == 0)
        // Evaluated now, so the worker's run goes straight to writing files.
        #expect(try await ferry(["segments", "evaluate"]).exitCode == 0)
        let created = try await ferry(["destinations", "create", "d", "--bucket", bucket, "--folder-path", "out"])
        try #require(created.exitCode == 0, "\(created.stderr)")
        // Many small files, so the run spends its time writing and recording them.
        let activation = try await ferry([
            "activations", "create", "a", "--destination", "d", "--segment", "all", "--map",
            "identityMap.Email=email", "--map", "n", "--frequency", "daily", "--start", "2026-11-20T06:00:00Z",
            "--max-rows-per-file", "1000",
        ])
        try #require(activation.exitCode == 0, "\(activation.stderr)")

        let log = folder + "/worker.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let worker = try FerryRun.spawn(
            ["serve", "--poll-seconds", "1", "--lease-seconds", "5", "--max-connections", "2", "--verbose"],
            environment: environment, stdout: appendingLog(log),
            stderr: appendingLog(log))
        defer { if alive(worker.processIdentifier) { kill(worker.processIdentifier, SIGKILL) } }

        // Restart as soon as the run has begun (its row exists), whatever it is doing then.
        func runs(_ status: String? = nil) async throws -> [[String: Any]] {
            let listed = try await ferry(["runs", "list", "--json"] + (status.map { ["--status", $0] } ?? []))
            return (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]] ?? []
        }
        let begun = Date().addingTimeInterval(120)
        while try await runs().isEmpty, Date() < begun { try await Task.sleep(for: .milliseconds(50)) }
        let early = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try await #require(try !runs().isEmpty, "no run began: \(early)")
        try await disruption(server)

        let deadline = Date().addingTimeInterval(90)
        while try await runs("success").isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(250)) }
        let stopped = await stop(worker)
        let workerLog = try String(contentsOfFile: log, encoding: .utf8)
        let all = try await runs()
        let versions =
            try await JSONSerialization.jsonObject(
                with: runPython([
                    TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/s3_versions.py").path,
                    TestEnvironment.envPath, "versions", bucket,
                ])) as? [String: Int] ?? [:]
        let dataFiles = versions.filter { !$0.key.contains(".ferry-check") }
        let client = env.client(user: "admin")
        var rows = Set<Substring>()
        for key in dataFiles.keys {
            let body = String(decoding: try await client.getObject(bucket: bucket, key: key), as: UTF8.self)
            rows.formUnion(body.split(separator: "\n").dropFirst())
        }
        let openUploads = try await client.listMultipartUploads(bucket: bucket, prefix: "")

        #expect(all.count == 1, "\(all) \(excerpt(workerLog))")
        #expect(dataFiles.values.allSatisfy { $0 == 1 }, "\(dataFiles)")
        // A statement PostgresNIO dropped on the closed connection once left the
        // worker waiting forever here, its run processing (ConnectionWatch).
        #expect(stopped, "the worker did not stop on SIGTERM: \(excerpt(workerLog))")
        #expect(all.first?["status"] as? String == "success", "\(all) \(excerpt(workerLog))")
        #expect(dataFiles.count == profiles / 1000, "\(dataFiles)")
        #expect(rows.count == profiles)
        #expect(openUploads.isEmpty)
        return all.first
    }
}
