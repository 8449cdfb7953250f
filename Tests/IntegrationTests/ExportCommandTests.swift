import Foundation
import Testing

/// Bad input to the export commands gets one clear sentence and exit 2.
@Suite struct ExportCommandTests {
    let env = TestEnvironment.shared

    func workspace() async throws -> (dir: String, run: @Sendable ([String]) async throws -> FerryRun) {
        let dir = NSTemporaryDirectory() + "ferry-cli-\(UUID().uuidString)"
        let environment = env.awsEnvironment()
        let run = { @Sendable (args: [String]) async throws -> FerryRun in
            try await FerryRun.run(args + ["--workspace", dir], environment: environment)
        }
        let file = dir + ".jsonl"
        try #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"homeAddress":{"countryCode":"KR"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await run(["profiles", "import", file]).exitCode == 0)
        #expect(try await run(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await run([
            "destinations", "create", "dest", "--bucket", env.bucket, "--folder-path",
            TestEnvironment.prefix("cli-export") + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        return (dir, run)
    }

    @Test func badInputIsRefusedWithExitTwo() async throws {
        let (_, run) = try await workspace()
        let cases: [([String], String)] = [
            (
                ["activations", "create", "a", "--destination", "nope", "--segment", "kr", "--map", "person.name"],
                "No destination"
            ),
            (
                ["activations", "create", "a", "--destination", "dest", "--segment", "nope", "--map", "person.name"],
                "No segment"
            ),
            (
                [
                    "activations", "create", "a", "--destination", "dest", "--segment", "kr", "--map", "x",
                    "--file-name", "%DESTINATION_NAME%_%SEGMENT_ID%_%FOO%",
                ], "%FOO%"
            ),
            (
                [
                    "activations", "create", "a", "--destination", "dest", "--segment", "kr", "--map", "x",
                    "--file-name", "%DESTINATION_NAME%_%SEGMENT_ID%_" + String(repeating: "n", count: 300),
                ], "255"
            ),
            (["destinations", "create", "d2", "--bucket", env.bucket, "--folder-path", "a/../../etc"], ".."),
            (["destinations", "create", "d3", "--bucket", "Not_A_Bucket"], "invalid bucket name"),
            (["export", "nope"], "No activation"),
        ]
        for (arguments, needle) in cases {
            let result = try await run(arguments)
            #expect(result.exitCode == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(needle), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }

    @Test func unknownIdentityNamespaceWarnsAndExportsEmptyValues() async throws {
        let (_, run) = try await workspace()
        let created = try await run([
            "activations", "create", "a", "--destination", "dest", "--segment", "kr", "--map",
            "identityMap.Phone=phone",
            "--map", "identityMap.Email=email",
        ])
        #expect(created.exitCode == 0)
        #expect(created.stderr.contains("no profile has identity namespace 'Phone'"))
        let exported = try await run(["export", "a"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("success: 1 rows"))
    }

    @Test func hashedColumnsCarryTheSHA256OfTheNormalizedValue() async throws {
        let (_, run) = try await workspace()
        let refused = try await run([
            "activations", "create", "h", "--destination", "dest", "--segment", "kr", "--map",
            "identityMap.Email=email", "--hash", "mail",
        ])
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("--hash 'mail' is not a mapped column"))
        let created = try await run([
            "activations", "create", "h", "--destination", "dest", "--segment", "kr", "--map",
            "identityMap.Email=email", "--map", "homeAddress.countryCode=country", "--hash", "email",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let exported = try await run(["export", "h"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let line = try #require(exported.stdout.split(separator: "\n").first { $0.contains("s3://") })
        let uri = String(line.trimmingCharacters(in: .whitespaces).split(separator: "\t")[0])
        let key = String(uri.dropFirst("s3://\(env.bucket)/".count))
        let body = String(decoding: try await env.client().getObject(bucket: env.bucket, key: key), as: UTF8.self)
        // sha256("a@x.io"); the unhashed column is left alone.
        #expect(
            body.replacingOccurrences(of: "\r\n", with: "\n")
                == "email,country\naa8a6b1226018606fb52fd4fb5e6f407d7a610c996250306acf156a247c08e26,KR\n")
    }

    @Test func destinationSecretsAreMaskedAndSealed() async throws {
        let (dir, run) = try await workspace()
        let secret = env.keys("full").secretAccessKey
        let shown = try await run(["destinations", "show", "dest"])
        #expect(shown.exitCode == 0)
        #expect(!shown.stdout.contains(secret))
        #expect(shown.stdout.contains("********"))
        let database = try Data(contentsOf: URL(fileURLWithPath: dir + "/ferry.sqlite"))
        #expect(database.range(of: Data(secret.utf8)) == nil)
        // Without its key file the workspace cannot reveal the secret, and says so.
        try FileManager.default.removeItem(atPath: dir + "/ferry.key")
        let test = try await run(["destinations", "test", "dest"])
        #expect(test.exitCode != 0)
        #expect(test.stderr.contains("key"))
        #expect(!test.stderr.contains(secret))
    }

    @Test func destinationCreationIsRefusedWhenAPermissionIsMissing() async throws {
        let dir = NSTemporaryDirectory() + "ferry-cli-\(UUID().uuidString)"
        let result = try await FerryRun.run(
            ["destinations", "create", "d", "--bucket", env.bucket, "--workspace", dir],
            environment: env.awsEnvironment(user: "no-s3:ListMultipartUploadParts"))
        #expect(result.exitCode == 3)
        #expect(result.stderr.contains("s3:ListMultipartUploadParts"))
        let list = try await FerryRun.run(["destinations", "list", "--workspace", dir], environment: [:])
        #expect(list.stdout.isEmpty)
    }
}
