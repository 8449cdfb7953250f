import Foundation
import S3
import Testing

/// Weekly and monthly schedules and after-evaluation triggers through
/// `ferry run --due`, against moto.
@Suite struct CalendarAndEvaluationTriggerTests {
    let env = TestEnvironment.shared

    func setUp(_ prefix: String, _ backend: Backend = .sqlite) async throws -> WorkspaceCLI {
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"homeAddress":{"countryCode":"KR"}}"#,
            #"{"identityMap":{"Email":[{"id":"b@x.io","primary":true}]},"homeAddress":{"countryCode":"US"}}"#,
        ])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        return cli
    }

    func keys(_ prefix: String) async throws -> [String] {
        try await env.client().listObjects(bucket: env.bucket, prefix: prefix).map {
            String($0.key.split(separator: "/").last!)
        }.sorted()
    }

    func successes(_ result: FerryRun) -> Int { result.stdout.components(separatedBy: " success: ").count - 1 }

    @Test(arguments: Backend.allCases)
    func monthlyOnThe31stRunsOnTheLastDayOfShorterMonths(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("monthly")
        let cli = try await setUp(prefix, backend)
        let created = try await cli([
            "activations", "create", "m", "--destination", "d", "--segment", "kr", "--map", "identityMap.Email",
            "--frequency", "monthly", "--day", "31", "--start", "2026-09-01T06:00:00Z", "--file-name",
            "m_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmm)%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try await cli(["run", "--due", "--at", "2026-09-29T23:00:00Z"]).stdout.contains("nothing due"))
        // September has 30 days: the 31st's run is on the 30th.
        #expect(successes(try await cli(["run", "--due", "--at", "2026-09-30T06:30:00Z"])) == 1)
        #expect(try await cli(["run", "--due", "--at", "2026-10-30T23:00:00Z"]).stdout.contains("nothing due"))
        #expect(successes(try await cli(["run", "--due", "--at", "2026-10-31T06:00:00Z"])) == 1)
        // November has 30 days too.
        #expect(successes(try await cli(["run", "--due", "--at", "2026-11-30T07:00:00Z"])) == 1)
        let names = try await keys(prefix)
        #expect(names.map { String($0.suffix(17).prefix(13)) } == ["20260930_0600", "20261031_0600", "20261130_0600"])
    }

    @Test func weeklyRunsOnItsWeekday() async throws {
        let prefix = TestEnvironment.prefix("weekly")
        let cli = try await setUp(prefix)
        // 2026-11-04 is a Wednesday; the first Monday after it is the 9th.
        let created = try await cli([
            "activations", "create", "w", "--destination", "d", "--segment", "kr", "--map", "identityMap.Email",
            "--frequency", "weekly", "--day", "monday", "--start", "2026-11-04T08:00:00Z", "--file-name",
            "w_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd)%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try await cli(["run", "--due", "--at", "2026-11-08T23:00:00Z"]).stdout.contains("nothing due"))
        #expect(successes(try await cli(["run", "--due", "--at", "2026-11-09T08:00:00Z"])) == 1)
        // Two weeks later, the missed Monday collapses into the latest one.
        let later = try await cli(["run", "--due", "--at", "2026-11-24T00:00:00Z"])
        #expect(successes(later) == 1)
        #expect(later.stdout.contains("skipped 1 earlier time"))
        #expect(try await keys(prefix).map { String($0.suffix(12).prefix(8)) } == ["20261109", "20261123"])
    }

    @Test func badDaysAndTriggersAreRefused() async throws {
        let cli = try await setUp(TestEnvironment.prefix("bad-days"))
        let base = [
            "activations", "create", "x", "--destination", "d", "--segment", "kr", "--map", "identityMap.Email",
        ]
        let cases: [([String], String)] = [
            (["--frequency", "monthly", "--day", "32"], "day of the month from 1 to 31"),
            (["--frequency", "weekly", "--day", "someday"], "is a weekday"),
            (["--frequency", "daily", "--day", "3"], "--day is for weekly and monthly"),
            (["--trigger", "after-evaluation", "--frequency", "daily"], "drop --frequency"),
            (["--trigger", "sometimes"], "--trigger must be schedule or after-evaluation"),
        ]
        for (options, needle) in cases {
            let result = try await cli(base + options)
            #expect(result.exitCode == 2, "\(options)")
            #expect(result.stderr.contains(needle), "\(result.stderr)")
        }
    }

    /// Each completed evaluation starts one run; `run --due` again without a
    /// new evaluation starts none, and the run does not evaluate by itself.
    @Test(arguments: Backend.allCases)
    func afterEvaluationRunsOncePerEvaluation(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("after-eval")
        let cli = try await setUp(prefix, backend)
        let created = try await cli([
            "activations", "create", "ae", "--destination", "d", "--segment", "kr", "--map", "identityMap.Email",
            "--trigger", "after-evaluation", "--start", "2026-01-01T00:00:00Z",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        func runs() async throws -> Int {
            let listed = try await cli(["runs", "list", "--activation", "ae", "--json"])
            return (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [Any])?.count ?? -1
        }
        #expect(try await cli(["segments", "evaluate", "kr"]).exitCode == 0)
        #expect(successes(try await cli(["run", "--due"])) == 1)
        #expect(try await cli(["run", "--due"]).stdout.contains("nothing due"))
        #expect(try await runs() == 1)
        #expect(try await cli(["segments", "evaluate", "kr"]).exitCode == 0)
        let second = try await cli(["run", "--due"])
        #expect(successes(second) == 1, "\(second.stdout) \(second.stderr)")
        #expect(try await cli(["run", "--due"]).stdout.contains("nothing due"))
        #expect(try await runs() == 2)
        // Two processes looking at once still run each evaluation once.
        #expect(try await cli(["segments", "evaluate", "kr"]).exitCode == 0)
        let a = try cli.spawn(["run", "--due"])
        let b = try cli.spawn(["run", "--due"])
        #expect(await exited(a, within: 120))
        #expect(await exited(b, within: 120))
        #expect(try await runs() == 3)
    }
}
