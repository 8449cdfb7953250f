import Foundation
import Testing

/// What reaches the bucket is what the profiles hold: numbers as written, and no row a reader would split.
@Suite struct ExportFidelityTests {
    let env = TestEnvironment.shared

    func setUp(_ destinationOptions: [String]) async throws -> WorkspaceCLI {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"kr":true,"note":"plain","big":12345678901234567890,"huge":1e400,"ratio":1.50}"#,
            #"{"identityMap":{"Email":[{"id":"b@x.io","primary":true}]},"kr":true,"note":"Seoul, KR","big":1,"huge":2,"ratio":3}"#,
        ])
        #expect(try await cli(["segments", "create", "kr", "--pql", "kr = true"]).exitCode == 0)
        let created = try await cli(
            [
                "destinations", "create", "d", "--bucket", env.bucket, "--folder-path",
                TestEnvironment.prefix("fidelity"),
            ]
                + destinationOptions)
        #expect(created.exitCode == 0, "\(created.stderr)")
        return cli
    }

    func body(_ cli: WorkspaceCLI, _ exported: FerryRun) async throws -> String {
        let line = try #require(exported.stdout.split(separator: "\n").first { $0.contains("s3://") })
        let uri = String(line.trimmingCharacters(in: .whitespaces).split(separator: "\t")[0])
        let key = String(uri.dropFirst("s3://\(env.bucket)/".count))
        return String(decoding: try await env.client().getObject(bucket: env.bucket, key: key), as: UTF8.self)
    }

    @Test func numbersReachTheCSVCellAsWritten() async throws {
        let cli = try await setUp([])
        #expect(
            try await cli([
                "activations", "create", "n", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
                "--map", "big", "--map", "huge", "--map", "ratio",
            ]).exitCode == 0)
        let exported = try await cli(["export", "n"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let text = try await body(cli, exported)
        #expect(text.contains("a@x.io,12345678901234567890,1e400,1.50\n"))
        #expect(text.contains("b@x.io,1,2,3\n"))
    }

    @Test func quoteNoneFailsTheRunNamingTheColumnAndTheProfile() async throws {
        let cli = try await setUp(["--quote", "none"])
        #expect(
            try await cli([
                "activations", "create", "q", "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
                "--map", "note",
            ]).exitCode == 0)
        let exported = try await cli(["export", "q"])
        #expect(exported.exitCode != 0)
        let expected =
            "the value in column 'note' of profile Email:b@x.io holds the delimiter, which --quote none cannot write; use --quote needed or --escape backslash"
        #expect(exported.stderr.contains(expected), "\(exported.stderr)")
        let runs = try await cli(["runs", "list", "--status", "failed"])
        #expect(runs.stdout.contains("Email:b@x.io"), "\(runs.stdout)")
    }
}
