import Foundation
import S3
import Testing

/// `ferry run --due --at` across simulated days, against moto.
@Suite struct ScheduledRunTests {
    let env = TestEnvironment.shared

    static func profile(_ id: String, country: String, points: Int = 1) -> String {
        #"{"identityMap":{"Email":[{"id":"\#(id)@x.io","primary":true}]},"homeAddress":{"countryCode":"\#(country)"},"loyalty":{"points":\#(points)}}"#
    }

    func setUp(_ prefix: String, _ backend: Backend = .sqlite) async throws -> WorkspaceCLI {
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([
            Self.profile("a", country: "KR"), Self.profile("b", country: "KR"), Self.profile("c", country: "US"),
        ])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        return cli
    }

    /// Two daily activations from 2026-11-25T06:00Z of segment `kr`: `good` to
    /// destination `d`, and `bad` to one whose key lacks s3:PutObject.
    func setUpGoodAndBad(_ prefix: String) async throws -> WorkspaceCLI {
        let cli = try await setUp(prefix)
        let denied = env.awsEnvironment(user: "no-s3:PutObject")
        #expect(
            try await cli(
                [
                    "destinations", "create", "weak", "--bucket", env.bucket, "--folder-path", prefix + "weak",
                    "--skip-validation",
                ], user: denied
            ).exitCode == 0)
        for (name, destination) in [("good", "d"), ("bad", "weak")] {
            #expect(
                try await cli([
                    "activations", "create", name, "--destination", destination, "--segment", "kr", "--map",
                    "identityMap.Email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
                ]).exitCode == 0)
        }
        return cli
    }

    @Test(arguments: Backend.allCases)
    func dailyAndSixHourlyFollowTheScheduleAndCollapseMissedTimes(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("sched")
        let cli = try await setUp(prefix, backend)
        #expect(
            try await cli([
                "activations", "create", "daily", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
                "--frequency", "daily", "--start", "2026-11-25T06:00:00Z", "--file-name",
                "daily_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmm)%",
            ]).exitCode == 0)
        #expect(
            try await cli([
                "activations", "create", "six", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
                "--frequency", "every-6-hours", "--start", "2026-11-25T00:00:00Z", "--file-name",
                "six_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmm)%",
            ]).exitCode == 0)

        let early = try await cli(["run", "--due", "--at", "2026-11-24T23:00:00Z"])
        #expect(early.stdout.contains("nothing due"))
        let first = try await cli(["run", "--due", "--at", "2026-11-25T06:30:00Z"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.components(separatedBy: " success: ").count - 1 == 2)
        // The same time again does nothing: both runs already succeeded.
        let again = try await cli(["run", "--due", "--at", "2026-11-25T06:30:00Z"])
        #expect(again.stdout.contains("nothing due"))
        // A day and a half of downtime: one run each, for the latest time only.
        let later = try await cli(["run", "--due", "--at", "2026-11-26T13:00:00Z"])
        #expect(later.exitCode == 0, "\(later.stderr)")
        #expect(later.stdout.contains("skipped 4 earlier times"))
        #expect(later.stdout.contains("skipped 0 earlier times"))

        let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix).map {
            $0.key.split(separator: "/").last.map(String.init) ?? ""
        }
        let stamps = keys.map { String($0.prefix(while: { $0 != "_" })) + "@" + String($0.suffix(17).prefix(13)) }
            .sorted()
        #expect(stamps == ["daily@20261125_0600", "daily@20261126_0600", "six@20261125_0600", "six@20261126_1200"])

        let runs = try await cli(["runs", "list", "--status", "success"])
        // A header line, then the four runs.
        #expect(runs.stdout.split(separator: "\n").count == 5)
        let status = try await cli(["status"])
        #expect(status.stdout.contains("daily\tkr\tnext"))
        #expect(status.stdout.contains("last success 2026-11-26T06:00:00Z"))
    }

    @Test(arguments: Backend.allCases)
    func twoProcessesRunEachScheduledTimeOnce(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("race")
        let cli = try await setUp(prefix, backend)
        for name in ["one", "two", "three"] {
            #expect(
                try await cli([
                    "activations", "create", name, "--destination", "d", "--segment", "kr", "--map",
                    "identityMap.Email",
                    "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
                    "--file-name", "\(name)_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd)%",
                ]).exitCode == 0)
        }
        async let a = Task.detached { try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"]) }.value
        async let b = Task.detached { try await cli(["run", "--due", "--at", "2026-11-25T07:00:00Z"]) }.value
        let (ra, rb) = try await (a, b)
        #expect(ra.exitCode == 0, "\(ra.stderr)")
        #expect(rb.exitCode == 0, "\(rb.stderr)")
        let json = try await cli(["runs", "list", "--json"])
        let runs = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(runs.count == 3)
        #expect(runs.allSatisfy { $0["attempts"] as? Int == 1 && $0["status"] as? String == "success" })
        #expect(try await env.client().listObjects(bucket: env.bucket, prefix: prefix).count == 3)
    }

    @Test(arguments: Backend.allCases)
    func incrementalFilesHoldOnlyMembershipChanges(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("incr")
        let cli = try await setUp(prefix, backend)
        #expect(
            try await cli([
                "activations", "create", "inc", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
                "--map", "segmentMembership.status=status", "--mode", "incremental", "--frequency", "daily",
                "--start", "2026-11-25T06:00:00Z",
            ]).exitCode == 0)
        #expect(try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"]).exitCode == 0)
        // b leaves KR, d joins, a changes only its points.
        try await cli.importLines([
            Self.profile("b", country: "US"), Self.profile("d", country: "KR"),
            Self.profile("a", country: "KR", points: 99),
        ])
        #expect(try await cli(["run", "--due", "--at", "2026-11-26T06:00:00Z"]).exitCode == 0)

        let client = env.client()
        let objects = try await client.listObjects(bucket: env.bucket, prefix: prefix).map(\.key).sorted()
        #expect(objects.count == 2)
        func rows(_ key: String) async throws -> Set<String> {
            let text = String(decoding: try await client.getObject(bucket: env.bucket, key: key), as: UTF8.self)
            return Set(text.split(separator: "\n").dropFirst().map(String.init))
        }
        #expect(try await rows(objects[0]) == ["a@x.io,realized", "b@x.io,realized"])
        #expect(try await rows(objects[1]) == ["b@x.io,exited", "d@x.io,realized"])
    }

    @Test func aDestinationThatLostPutObjectFailsAloneNamingTheAction() async throws {
        let cli = try await setUpGoodAndBad(TestEnvironment.prefix("perm"))
        let result = try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"])
        #expect(result.exitCode == 3)
        #expect(result.stdout.contains("success"))
        #expect(result.stdout.contains("s3:PutObject"))
        let failed = try await cli(["runs", "list", "--status", "failed"])
        #expect(failed.stdout.contains("AccessDenied") || failed.stdout.contains("denied"))
        #expect(failed.stdout.contains("s3:PutObject"))
    }
}
