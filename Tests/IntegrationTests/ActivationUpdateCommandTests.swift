import Foundation
import Testing

/// `ferry activations update`: the CLI's side of the change the API's PATCH and
/// the console's edit page make, through the same use case.
@Suite struct ActivationUpdateCommandTests {
    let env = TestEnvironment.shared

    func setUp(_ backend: Backend) async throws -> WorkspaceCLI {
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"person":{"name":{"lastName":"Kim"}},"homeAddress":{"countryCode":"KR"}}"#
        ])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let prefix = TestEnvironment.prefix("update")
        #expect(
            try await cli(["destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix]).exitCode
                == 0)
        for name in ["daily", "other"] {
            let created = try await cli([
                "activations", "create", name, "--destination", "d", "--segment", "kr", "--map", "identityMap.Email",
                "--frequency", "daily", "--start", "2026-11-02T06:00:00Z", "--file-name",
                "\(name)_%DESTINATION_NAME%_%SEGMENT_ID%",
            ])
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
        return cli
    }

    func show(_ cli: WorkspaceCLI, _ name: String) async throws -> [String: Any] {
        let shown = try await cli(["activations", "show", name])
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        return try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test(arguments: Backend.allCases)
    func anUpdateReplacesWhatItNamesAndKeepsTheRest(_ backend: Backend) async throws {
        let cli = try await setUp(backend)
        let before = try await show(cli, "daily")
        let updated = try await cli([
            "activations", "update", "daily", "--name", "weekly", "--frequency", "weekly", "--day", "monday",
            "--map", "identityMap.Email=email", "--map", "person.name.lastName", "--hash", "email",
        ])
        #expect(updated.exitCode == 0, "\(updated.stderr)")
        #expect(updated.stdout.contains("updated activation weekly"))
        let after = try await show(cli, "weekly")
        #expect(after["id"] as? String == before["id"] as? String)
        #expect(after["frequency"] as? String == "weekly")
        #expect(after["fileNameTemplate"] as? String == before["fileNameTemplate"] as? String)
        let columns = after["mappings"] as? [[String: Any]] ?? []
        #expect(columns.map { $0["column"] as? String } == ["email", "person_name_lastName"])
        #expect(columns.map { $0["hashed"] as? Bool ?? false } == [true, false])
        #expect(try await cli(["activations", "show", "daily"]).exitCode != 0)

        // 2026-11-02 is a Monday: the weekly schedule runs then, and not on the days a daily one would.
        #expect(try await cli(["activations", "disable", "other"]).exitCode == 0)
        #expect(
            try await cli(["run", "--due", "--at", "2026-11-02T06:30:00Z"]).stdout.contains(" success: kr, 1 rows"))
        #expect(try await cli(["run", "--due", "--at", "2026-11-05T07:00:00Z"]).stdout.contains("nothing due"))
    }

    @Test(arguments: Backend.allCases)
    func badUpdatesAreRefusedAndChangeNothing(_ backend: Backend) async throws {
        let cli = try await setUp(backend)
        let before = try await cli(["activations", "show", "daily"]).stdout
        let cases: [([String], String)] = [
            (["--hash", "email"], "--hash needs --map"),
            (["--end", "2027-01-01", "--no-end"], "contradict"),
            (["--name", "other"], "already exists"),
            (["--destination", "nowhere"], "nowhere"),
            (["--segment", "nothing"], "nothing"),
            (["--frequency", "hourly"], "--frequency must be one of"),
            (["--frequency", "monthly", "--day", "32"], "day of the month from 1 to 31"),
            (["--trigger", "sometimes"], "--trigger must be schedule or after-evaluation"),
            (["--start", "tomorrow"], "is not an ISO-8601 time"),
        ]
        for (options, needle) in cases {
            let result = try await cli(["activations", "update", "daily"] + options)
            #expect(result.exitCode == 2, "\(options): \(result.stderr)")
            #expect(result.stderr.contains(needle), "\(options): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        #expect(try await cli(["activations", "show", "daily"]).stdout == before)
        let missing = try await cli(["activations", "update", "absent", "--mode", "incremental"])
        #expect(missing.exitCode != 0)
        #expect(missing.stderr.contains("absent"))
    }
}
