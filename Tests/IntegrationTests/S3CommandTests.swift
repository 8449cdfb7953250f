import Foundation
import S3
import Testing

/// `ferry s3 ...` as a user runs it: output, exit codes, and no secrets.
@Suite struct S3CommandTests {
    let env = TestEnvironment.shared

    @Test func checkPrintsEveryPermissionAndExitsZero() async throws {
        let run = try await FerryRun.run(
            ["s3", "check", "s3://\(env.bucket)/\(TestEnvironment.prefix("cli-check"))"],
            environment: env.awsEnvironment())
        #expect(run.exitCode == 0, "\(run.stderr)")
        for permission in S3Permission.allCases {
            #expect(run.stdout.contains(permission.rawValue))
        }
        #expect(!run.stdout.contains("missing"))
    }

    @Test(arguments: S3Permission.allCases)
    func checkExitsThreeNamingTheMissingAction(_ permission: S3Permission) async throws {
        let run = try await FerryRun.run(
            ["s3", "check", "s3://\(env.bucket)/\(TestEnvironment.prefix("cli-check"))"],
            environment: env.awsEnvironment(user: "no-\(permission.rawValue)"))
        #expect(run.exitCode == 3)
        #expect(run.stdout.contains("missing permissions: \(permission.rawValue)"))
    }

    @Test func wrongSecretIsNamedWithoutPrintingIt() async throws {
        var environment = env.awsEnvironment()
        let secret = "Wr0ngSecret+/ValueThatMustNeverBePrinted"
        environment["AWS_SECRET_ACCESS_KEY"] = secret
        for arguments in [["s3", "check", "s3://\(env.bucket)/x"], ["s3", "ls", "s3://\(env.bucket)/x"]] {
            let run = try await FerryRun.run(arguments, environment: environment)
            #expect(run.exitCode == 2)
            #expect(run.stderr.contains("SignatureDoesNotMatch"))
            #expect(!(run.stdout + run.stderr).contains(secret))
            #expect(!(run.stdout + run.stderr).contains("Wr0ng"))
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func badBucketNameExitsTwoWithTheRule() async throws {
        let run = try await FerryRun.run(["s3", "check", "s3://Bad_Bucket/x"], environment: env.awsEnvironment())
        #expect(run.exitCode == 2)
        #expect(run.stderr.contains("invalid bucket name 'Bad_Bucket'"))
        #expect(run.stderr.contains("lowercase"))
    }

    @Test func copyAndListRoundTrip() async throws {
        let prefix = TestEnvironment.prefix("cli-cp")
        let file = NSTemporaryDirectory() + "ferry-cp-\(UUID().uuidString).bin"
        try Data(testBytes(count: 12 * 1024 * 1024, seed: 9)).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cp = try await FerryRun.run(
            ["s3", "cp", file, "s3://\(env.bucket)/\(prefix)file.bin", "--part-size", "5", "--concurrency", "2"],
            environment: env.awsEnvironment())
        #expect(cp.exitCode == 0, "\(cp.stderr)")
        #expect(cp.stdout.contains("3 parts"))
        let ls = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/\(prefix)"], environment: env.awsEnvironment())
        #expect(ls.exitCode == 0)
        #expect(ls.stdout.hasPrefix("\(prefix)file.bin\t\(12 * 1024 * 1024)\t"))
    }

    @Test func missingCredentialsAreOneSentence() async throws {
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/"],
            environment: ["AWS_ENDPOINT_URL_S3": env.endpoint, "HOME": NSTemporaryDirectory() + "no-home"])
        #expect(run.exitCode == 2)
        #expect(run.stderr.contains("no credentials found"))
    }

    @Test func credentialsComeFromAProfileFile() async throws {
        let dir = NSTemporaryDirectory() + "ferry-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/.aws", withIntermediateDirectories: true)
        let k = env.keys("full")
        try
            "[default]\naws_access_key_id = nope\n\n[ferry]\naws_access_key_id = \(k.accessKeyId)\naws_secret_access_key = \(k.secretAccessKey)\n"
            .write(toFile: dir + "/.aws/credentials", atomically: true, encoding: .utf8)
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/nothing-here/"],
            environment: ["AWS_ENDPOINT_URL_S3": env.endpoint, "HOME": dir, "AWS_PROFILE": "ferry"])
        #expect(run.exitCode == 0, "\(run.stderr)")
    }
}
