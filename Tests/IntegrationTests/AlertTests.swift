import Foundation
import Testing

/// Alerts as the reference has them (run start, success, failure, delay over
/// 150 minutes), posted to a webhook by `ferry run --due`.
@Suite struct AlertTests {
    let env = TestEnvironment.shared

    @Test func runsPostStartSuccessFailureAndOneDelayAlert() async throws {
        let cli = try await ScheduledRunTests().setUpGoodAndBad(TestEnvironment.prefix("alerts"))
        let sink = try await WebhookSink()
        defer { sink.stop() }
        // The URL carries a token, as chat webhooks do; it must never be printed.
        let secretURL = sink.endpoint + "/hooks/T0KEN-\(UUID().uuidString)"
        var withHook = env.awsEnvironment()
        withHook["FERRY_ALERT_WEBHOOK"] = secretURL

        let first = try await cli(["run", "--due", "--at", "2026-11-25T06:10:00Z"], user: withHook)
        // The bad destination lacks s3:PutObject: a missing permission is exit 3.
        #expect(first.exitCode == 3)
        var posts = sink.posts
        func events(_ posts: [[String: Any]]) -> [String] { posts.compactMap { $0["event"] as? String }.sorted() }
        #expect(events(posts) == ["run.failed", "run.started", "run.started", "run.succeeded"])
        let failed = try #require(posts.first { $0["event"] as? String == "run.failed" })
        let failedAlert = try #require(failed["alert"] as? [String: Any])
        #expect(failedAlert["activation"] as? String == "bad")
        #expect(failedAlert["segment"] as? String == "kr")
        #expect(failedAlert["willRetry"] as? Bool == true)
        #expect((failedAlert["error"] as? String)?.contains("s3:PutObject") == true)
        #expect((failed["text"] as? String)?.contains("bad/kr scheduled 2026-11-25T06:00:00Z failed") == true)
        let succeeded = try #require(posts.first { $0["event"] as? String == "run.succeeded" })
        #expect((succeeded["alert"] as? [String: Any])?["rows"] as? Int == 2)

        // Three hours after the due time the bad one is reported late, once.
        let late = try await cli(["run", "--due", "--at", "2026-11-25T09:00:00Z"], user: withHook)
        #expect(late.stdout.contains("bad/kr scheduled 2026-11-25T06:00:00Z has no successful run 180 minutes"))
        let again = try await cli(["run", "--due", "--at", "2026-11-25T09:30:00Z"], user: withHook)
        #expect(!again.stdout.contains("has no successful run"))
        posts = sink.posts
        let delayed = posts.filter { $0["event"] as? String == "run.delayed" }
        #expect(delayed.count == 1)
        #expect((delayed.first?["alert"] as? [String: Any])?["activation"] as? String == "bad")
        #expect((delayed.first?["alert"] as? [String: Any])?["delayMinutes"] as? Int == 180)

        for output in [first, late, again] {
            #expect(!(output.stdout + output.stderr).contains("T0KEN"))
        }

        // The same picture for a monitor: `status --check` exits 4 and marks the late one.
        let status = try await cli(["status", "--check", "--at", "2026-11-25T09:30:00Z"])
        #expect(status.exitCode == 4)
        let badLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("bad\t") }
        #expect(badLine?.contains("DELAYED 210 min") == true)
        let goodLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("good\t") }
        #expect(goodLine?.contains("DELAYED") == false)
    }

    @Test func aWebhookThatIsNotAURLIsRefusedWithoutEchoingIt() async throws {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        // `run` needs an existing workspace; an import starts one.
        try await cli.importLines([])
        var environment = env.awsEnvironment()
        environment["FERRY_ALERT_WEBHOOK"] = "not a url SECRETPART"
        let result = try await cli(["run", "--due"], user: environment)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("alert webhook"))
        #expect(!(result.stdout + result.stderr).contains("SECRETPART"))
    }
}
