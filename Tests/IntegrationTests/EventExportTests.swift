import Foundation
import S3
import Testing

/// An event segment exported to moto, full and incremental, on both backends:
/// members enter with new events and exit when their events age out (here of
/// the retention, since runs evaluate at the clock).
@Suite struct EventExportTests {
    let env = TestEnvironment.shared

    static func profile(_ id: String) -> String {
        #"{"identityMap":{"Email":[{"id":"\#(id)@x.io","primary":true}]},"loyalty":{"tier":"gold, \"vip\""}}"#
    }

    static func purchase(_ id: String, _ owner: String, _ time: String) -> String {
        #"{"_id":"\#(id)","timestamp":"\#(time)","eventType":"commerce.purchases","identityMap":{"Email":[{"id":"\#(owner)@x.io"}]},"commerce":{"order":{"priceTotal":10}}}"#
    }

    func importEvents(_ cli: WorkspaceCLI, _ lines: [String]) async throws {
        let file = cli.dir + "/events-\(UUID().uuidString).jsonl"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await cli(["events", "import", file])
        #expect(result.exitCode == 0, "\(result.stderr)")
    }

    @Test(arguments: Backend.allCases)
    func anEventSegmentExportsInFullAndIncrementally(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("events")
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([Self.profile("a"), Self.profile("b"), Self.profile("c")])
        // Runs evaluate at the clock: a bought a day ago, b six days ago; c only later.
        func ago(_ days: Double) -> String { ISO8601DateFormatter().string(from: Date() - days * 86_400) }
        try await importEvents(cli, [Self.purchase("p1", "a", ago(1)), Self.purchase("p2", "b", ago(6))])
        let pql = #"xEvent[eventType = "commerce.purchases" and timestamp occurs < 7 days before now]"#
        #expect(try await cli(["segments", "create", "buyers", "--pql", pql]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        for (name, mode) in [("full", "full"), ("inc", "incremental")] {
            let made = try await cli([
                "activations", "create", name, "--destination", "d", "--segment", "buyers", "--map",
                "identityMap.Email=email", "--map", "loyalty.tier=tier", "--map", "segmentMembership.status=status",
                "--mode", mode, "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
                "--file-name", "\(name)_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd)%",
            ])
            #expect(made.exitCode == 0, "\(made.stderr) \(made.stdout)")
        }
        let first = try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        // c buys, and events are kept 5 days from now on: b's purchase ages out.
        try await importEvents(cli, [Self.purchase("p3", "c", ago(0.1))])
        #expect(try await cli(["events", "retention", "5"]).exitCode == 0)
        let second = try await cli(["run", "--due", "--at", "2026-11-28T06:00:00Z"])
        #expect(second.exitCode == 0, "\(second.stderr)")

        let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix).map(\.key)
        func key(_ name: String) async throws -> String {
            let (mode, day) = (name.split(separator: "_")[0], name.split(separator: "_")[1])
            return try #require(keys.first { $0.contains("/\(mode)_d_") && $0.hasSuffix("_\(day).csv") })
        }
        let tier = "gold, \"vip\""
        let expected: [(String, Set<[String]>)] = [
            ("full_20261125", [["a@x.io", tier, "realized"], ["b@x.io", tier, "realized"]]),
            ("full_20261128", [["a@x.io", tier, "realized"], ["c@x.io", tier, "realized"]]),
            ("inc_20261125", [["a@x.io", tier, "realized"], ["b@x.io", tier, "realized"]]),
            ("inc_20261128", [["b@x.io", tier, "exited"], ["c@x.io", tier, "realized"]]),
        ]
        for (name, members) in expected {
            let found = try await env.csvRows(try key(name))
            #expect(found == members, "\(backend) \(name): \(found)")
        }
    }
}
