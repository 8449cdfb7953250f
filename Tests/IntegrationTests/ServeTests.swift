import Foundation
import S3
import Testing

/// `ferry serve` runs what is due, then stops cleanly on SIGTERM.
@Suite struct ServeTests {
    let env = TestEnvironment.shared

    @Test func serveRunsDueWorkAndStopsOnSIGTERM() async throws {
        let sink = try await WebhookSink()
        defer { sink.stop() }
        var environment = env.awsEnvironment()
        environment["FERRY_ALERT_WEBHOOK"] = sink.endpoint + "/serve"
        let ferry = WorkspaceCLI(environment: environment)
        let dir = ferry.dir
        let prefix = TestEnvironment.prefix("serve")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"k":1}"#.write(
            toFile: dir + "/p.jsonl", atomically: true, encoding: .utf8)
        #expect(try await ferry(["profiles", "import", dir + "/p.jsonl"]).exitCode == 0)
        #expect(try await ferry(["segments", "create", "s", "--pql", "k = 1"]).exitCode == 0)
        #expect(
            try await ferry(["destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix]).exitCode
                == 0)
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 3600).formatted(.iso8601)
        #expect(
            try await ferry([
                "activations", "create", "a", "--destination", "d", "--segment", "s", "--map", "identityMap.Email",
                "--frequency", "every-3-hours", "--start", start,
            ]).exitCode == 0)

        // Files, not pipes (see CapturedOutput): reading a pipe to its end blocks.
        let output = try CapturedOutput()
        defer { output.remove() }
        let process = try ferry.spawn(
            ["serve", "--poll-seconds", "1", "--verbose"], stdout: output.stdout, stderr: output.stderr)
        var objects: [S3Object] = []
        for _ in 0..<100 where objects.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            objects = try await env.client().listObjects(bucket: env.bucket, prefix: prefix)
        }
        #expect(objects.count == 1)
        func events() -> [String] { sink.posts.compactMap { $0["event"] as? String } }
        for _ in 0..<50 where !events().contains("run.succeeded") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(events() == ["run.started", "run.succeeded"])
        #expect(await stop(process, within: 30))
        let written = try output.read()
        // It got to the end of its shutdown path rather than dying on the signal.
        let printed = String(decoding: written.stdout, as: UTF8.self)
        #expect(printed.contains("ferry serve stopped"))
        let log = String(decoding: written.stderr, as: UTF8.self)
        // One structured line at the start and one at the end of the run.
        #expect(log.contains("run start"))
        #expect(log.contains("run end"))
        let runs = try await ferry(["runs", "list", "--status", "success"])
        // The header and the one run.
        #expect(runs.stdout.split(separator: "\n").count == 2)
    }
}
