import Crypto
import Foundation
import S3
import Testing

/// A throwaway GNUPGHOME with keys made by Debian's gpg, for checking that
/// what Ferry encrypts is what gpg decrypts.
struct GPGHome {
    let path = NSTemporaryDirectory() + "ferry-gpg-\(UUID().uuidString.prefix(8))"

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }

    @discardableResult
    func gpg(_ arguments: [String], input: Data? = nil) async throws -> (status: Int32, stdout: Data, stderr: String) {
        let result = try await CapturedOutput.run(
            "gpg", ["--batch", "--no-tty", "--homedir", path] + arguments, input: input)
        return (result.status, result.stdout, String(decoding: result.stderr, as: UTF8.self))
    }

    /// Makes a key and returns (its armored public key file, its primary fingerprint).
    func makeKey(_ kind: String) async throws -> (file: String, fingerprint: String) {
        let uid = "Ferry \(kind) <\(kind)@example.com>"
        if kind == "rsa3072" {
            try check(await gpg(["--passphrase", "", "--quick-gen-key", uid, "rsa3072", "sign,cert", "never"]))
        } else {
            try check(await gpg(["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign,cert", "never"]))
        }
        let listing = String(decoding: try await gpg(["--with-colons", "--list-keys", uid]).stdout, as: UTF8.self)
        let fingerprint = try #require(
            listing.split(separator: "\n").first { $0.hasPrefix("fpr:") }?.split(
                separator: ":", omittingEmptySubsequences: false)[9])
        try check(
            await gpg([
                "--passphrase", "", "--quick-add-key", String(fingerprint), kind == "rsa3072" ? "rsa3072" : "cv25519",
                "encr", "never",
            ]))
        let file = path + "/\(kind).asc"
        let exported = try await gpg(["--armor", "--export", String(fingerprint)])
        try exported.stdout.write(to: URL(fileURLWithPath: file))
        return (file, String(fingerprint))
    }

    func decrypt(_ data: Data) async throws -> Data {
        let file = path + "/in-\(UUID().uuidString).gpg"
        try data.write(to: URL(fileURLWithPath: file))
        let result = try await gpg(["--pinentry-mode", "loopback", "--passphrase", "", "--decrypt", file])
        #expect(result.status == 0, "gpg --decrypt: \(result.stderr)")
        // gpg 2.2 warns and exits 2 on a message without integrity protection.
        #expect(!result.stderr.contains("not integrity protected"), "\(result.stderr)")
        return result.stdout
    }

    func check(_ result: (status: Int32, stdout: Data, stderr: String)) throws {
        if result.status != 0 { throw GPGFailure(message: result.stderr) }
    }

    /// Stops the home's agent, then removes the home, on a thread of its own
    /// (it is called from `defer`, which cannot wait without blocking).
    func close() {
        let path = path
        Thread.detachNewThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gpgconf", "--homedir", path, "--kill", "gpg-agent"]
            try? process.run()
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    struct GPGFailure: Error { var message: String }
}

/// PGP-encrypted files, assumed-role access and SSE, through the `ferry`
/// binary against moto with IAM enforced.
@Suite(.serialized) struct SecurityExportTests {
    let env = TestEnvironment.shared

    struct Role: Decodable {
        var arn: String
        var externalId: String
        var baseUser: String
    }

    var role: Role {
        get throws {
            struct Roles: Decodable { var roles: [String: Role] }
            let data = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.envPath))
            return try #require(try JSONDecoder().decode(Roles.self, from: data).roles["export"])
        }
    }

    /// A workspace with profiles that exercise quoting and unicode.
    func workspace(profiles: Int = 50, padding: Int = 0, endpoint: String? = nil) async throws -> WorkspaceCLI {
        var environment = env.awsEnvironment()
        if let endpoint { environment["AWS_ENDPOINT_URL_S3"] = endpoint }
        let cli = WorkspaceCLI(environment: environment)
        let pad = String(repeating: "x", count: padding)
        try await cli.importLines(
            (0..<profiles).map { i in
                #"{"identityMap":{"Email":[{"id":"p\#(i)@x.io","primary":true}]},"person":{"name":"Zoë \#(i), \"q\" 東京\#(pad)"},"homeAddress":{"countryCode":"KR"}}"#
            })
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        return cli
    }

    /// Exports one activation and returns the keys it wrote, from `--verbose`-free stdout.
    func export(_ cli: WorkspaceCLI, _ activation: String, extra: [String] = [], user: [String: String]? = nil)
        async throws
        -> (run: FerryRun, keys: [String])
    {
        let result = try await cli(["export", activation] + extra, user: user)
        let keys = result.stdout.split(separator: "\n").compactMap { line -> String? in
            let field = line.trimmingCharacters(in: .whitespaces).split(separator: "\t").first.map(String.init) ?? ""
            guard field.hasPrefix("s3://\(env.bucket)/") else { return nil }
            return String(field.dropFirst("s3://\(env.bucket)/".count))
        }
        return (result, keys)
    }

    @Test(arguments: ["rsa3072", "cv25519"])
    func gpgDecryptsExactlyTheUnencryptedExport(kind: String) async throws {
        let gpg = try GPGHome()
        defer { gpg.close() }
        let (keyFile, fingerprint) = try await gpg.makeKey(kind)
        let cli = try await workspace()
        let prefix = TestEnvironment.prefix("pgp-\(kind)")
        var created = try await cli([
            "destinations", "create", "plain", "--bucket", env.bucket, "--folder-path", prefix + "plain", "--manifest",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        created = try await cli([
            "destinations", "create", "sealed", "--bucket", env.bucket, "--folder-path", prefix + "sealed",
            "--manifest", "--pgp-public-key", keyFile,
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(created.stdout.contains(fingerprint))
        let shown = try await cli(["destinations", "show", "sealed"])
        #expect(shown.stdout.contains("\"pgpFingerprint\" : \"\(fingerprint)\"") || shown.stdout.contains(fingerprint))

        for name in ["plain", "sealed"] {
            let made = try await cli([
                "activations", "create", name, "--destination", name, "--segment", "kr", "--map",
                "identityMap.Email=email", "--map", "person.name=name", "--max-rows-per-file", "20",
            ])
            #expect(made.exitCode == 0, "\(made.stderr)")
        }
        let time = "2026-01-02T03:04:05Z"
        let plain = try await export(cli, "plain", extra: ["--at", time])
        let sealed = try await export(cli, "sealed", extra: ["--at", time])
        #expect(plain.run.exitCode == 0, "\(plain.run.stderr) \(plain.run.stdout)")
        #expect(sealed.run.exitCode == 0, "\(sealed.run.stderr)")
        let plainFiles = plain.keys.filter { !$0.contains("manifest-") }.sorted()
        let sealedFiles = sealed.keys.filter { !$0.contains("manifest-") }.sorted()
        #expect(plainFiles.count == 3)
        #expect(sealedFiles.count == plainFiles.count)

        let client = env.client()
        for (plainKey, sealedKey) in zip(plainFiles, sealedFiles) {
            #expect(sealedKey.hasSuffix(".csv.gpg"))
            let expected = Data(try await client.getObject(bucket: env.bucket, key: plainKey))
            let ciphertext = Data(try await client.getObject(bucket: env.bucket, key: sealedKey))
            #expect(ciphertext.range(of: Data("p1@x.io".utf8)) == nil)
            #expect(try await gpg.decrypt(ciphertext) == expected)
        }

        // The manifest lists the objects as stored, with the rows inside.
        let listing = try await client.listObjects(bucket: env.bucket, prefix: prefix + "sealed/")
        let manifestKey = try #require(listing.map(\.key).first { $0.contains("manifest-") })
        let manifest =
            try JSONSerialization.jsonObject(
                with: Data(try await client.getObject(bucket: env.bucket, key: manifestKey))) as! [String: Any]
        let entries = manifest["exportResults"] as! [[String: Any]]
        #expect(entries.count == sealedFiles.count)
        var rows = 0
        for entry in entries {
            let name = entry["name"] as! String
            #expect(name.hasSuffix(".csv.gpg"))
            let key = try #require(sealedFiles.first { $0.hasSuffix("/" + name) })
            let stored = try await client.getObject(bucket: env.bucket, key: key)
            #expect((entry["size"] as! Int) == stored.count)
            #expect(
                (entry["sha256"] as! String) == SHA256.hash(data: stored).map { String(format: "%02x", $0) }.joined())
            rows += entry["rows"] as! Int
        }
        #expect(rows == 50)
    }

    @Test func unusableKeysAreRefusedAtCreation() async throws {
        let gpg = try GPGHome()
        defer { gpg.close() }
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        // A sign-only key: nothing to encrypt to.
        try gpg.check(
            await gpg.gpg([
                "--passphrase", "", "--quick-gen-key", "Sign <s@example.com>", "rsa3072", "sign,cert", "never",
            ]))
        let signOnly = gpg.path + "/sign.asc"
        try await gpg.gpg(["--armor", "--export", "s@example.com"]).stdout.write(to: URL(fileURLWithPath: signOnly))
        // A 1024-bit RSA key, below the reference's minimum.
        try gpg.check(
            await gpg.gpg([
                "--passphrase", "", "--quick-gen-key", "Small <m@example.com>", "rsa1024", "sign,cert", "never",
            ]))
        let smallListing = String(
            decoding: try await gpg.gpg(["--with-colons", "--list-keys", "m@example.com"]).stdout, as: UTF8.self)
        let smallFingerprint = try #require(
            smallListing.split(separator: "\n").first { $0.hasPrefix("fpr:") }?.split(
                separator: ":", omittingEmptySubsequences: false)[9])
        try gpg.check(
            await gpg.gpg(["--passphrase", "", "--quick-add-key", String(smallFingerprint), "rsa1024", "encr", "never"])
        )
        let small = gpg.path + "/small.asc"
        try await gpg.gpg(["--armor", "--export", "m@example.com"]).stdout.write(to: URL(fileURLWithPath: small))
        // A private key.
        let secret = gpg.path + "/secret.asc"
        try await gpg.gpg([
            "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", "m@example.com",
        ])
        .stdout.write(to: URL(fileURLWithPath: secret))
        for (file, needle) in [
            (signOnly, "no valid subkey that may encrypt"), (small, "1024 bits"), (secret, "private key"),
            (gpg.path + "/missing.asc", "cannot read"),
        ] {
            let result = try await cli([
                "destinations", "create", "d", "--bucket", env.bucket, "--pgp-public-key", file, "--skip-validation",
            ])
            #expect(result.exitCode == 2, "\(result.stderr)")
            #expect(result.stderr.contains(needle), "\(result.stderr)")
        }
        #expect(try await cli(["destinations", "list"]).stdout.isEmpty)
    }

    /// Ferry's own credentials are a user allowed nothing but sts:AssumeRole.
    func baseEnvironment() async throws -> [String: String] {
        env.awsEnvironment(user: try role.baseUser)
    }

    @Test func exportThroughAnAssumedRole() async throws {
        let role = try role
        let cli = try await workspace()
        let base = try await baseEnvironment()
        let prefix = TestEnvironment.prefix("role")
        // The base user alone cannot write to the bucket.
        let direct = try await cli(["destinations", "create", "direct", "--bucket", env.bucket], user: base)
        #expect(direct.exitCode == 3, "\(direct.stderr)")
        let created = try await cli(
            [
                "destinations", "create", "role", "--bucket", env.bucket, "--folder-path", prefix, "--role-arn",
                role.arn, "--external-id", role.externalId, "--session-name", "ferry-test",
            ], user: base)
        #expect(created.exitCode == 0, "\(created.stderr)")
        let shown = try await cli(["destinations", "show", "role"], user: base)
        #expect(shown.stdout.contains(role.arn))
        #expect(shown.stdout.contains(role.externalId))
        #expect(
            try await cli(
                [
                    "activations", "create", "a", "--destination", "role", "--segment", "kr", "--map",
                    "identityMap.Email=email",
                ], user: base
            ).exitCode == 0)
        let exported = try await export(cli, "a", user: base)
        #expect(exported.run.exitCode == 0, "\(exported.run.stderr)")
        #expect(exported.keys.count == 1)
        let body = try await env.client().getObject(bucket: env.bucket, key: exported.keys[0])
        #expect(String(decoding: body, as: UTF8.self).contains("p49@x.io"))
        // No temporary credential is stored in the workspace.
        let database = try Data(contentsOf: URL(fileURLWithPath: cli.dir + "/ferry.sqlite"))
        #expect(database.range(of: Data("ASIA".utf8)) == nil)
    }

    @Test func wrongExternalIdFailsNamingTheRoleAndTrustPolicy() async throws {
        let role = try role
        let cli = WorkspaceCLI(environment: try await baseEnvironment())
        let result = try await cli([
            "destinations", "create", "role", "--bucket", env.bucket, "--role-arn", role.arn, "--external-id",
            "not-the-external-id",
        ])
        #expect(result.exitCode == 3, "\(result.stderr)")
        #expect(result.stderr.contains(role.arn), "\(result.stderr)")
        #expect(result.stderr.contains("trust policy"), "\(result.stderr)")
        #expect(result.stderr.contains("sts:ExternalId"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let malformed = try await cli([
            "destinations", "create", "r2", "--bucket", env.bucket, "--role-arn", "ferry-role",
        ])
        #expect(malformed.exitCode == 2, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("not an IAM role ARN"))
    }

    /// With refresh brought forward to one second after each AssumeRole, a
    /// multipart upload lasting several seconds changes credentials between
    /// parts and completes.
    @Test func longUploadRefreshesCredentialsMidway() async throws {
        let role = try role
        var base = try await baseEnvironment()
        // STS credentials last 900 s; the hook makes refresh due 899.9 s
        // before expiry, a tenth of a second after each AssumeRole.
        base["FERRY_ROLE_REFRESH_MARGIN_SECONDS"] = "899.9"
        let cli = WorkspaceCLI(environment: base)
        try await cli.importLines(
            (0..<12000).map { i in
                #"{"identityMap":{"Email":[{"id":"p\#(i)@x.io","primary":true}]},"person":{"name":"\#(String(repeating: "n", count: 4000))"},"homeAddress":{"countryCode":"KR"}}"#
            })
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let prefix = TestEnvironment.prefix("role-refresh")
        let created = try await cli([
            "destinations", "create", "role", "--bucket", env.bucket, "--folder-path", prefix, "--role-arn", role.arn,
            "--external-id", role.externalId, "--sse", "aes256",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "role", "--segment", "kr", "--map",
                "identityMap.Email=email", "--map", "person.name=name",
            ]).exitCode == 0)
        let started = Date()
        let exported = try await export(cli, "a", extra: ["--part-size", "5", "--concurrency", "1", "--verbose"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(exported.run.exitCode == 0, "\(exported.run.stderr)")
        let assumed = exported.run.stderr.split(separator: "\n").filter { $0.contains("assumed role") }
        // One AssumeRole at the start, then more as the parts go up.
        #expect(assumed.count >= 2, "only \(assumed.count) AssumeRole calls in \(elapsed) s")
        let key = try #require(exported.keys.first)
        let info = try #require(try await env.client().headObject(bucket: env.bucket, key: key))
        #expect(info.size > 40 * 1024 * 1024)
        let sse = try await runPython([
            TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/sse_report.py").path, TestEnvironment.envPath,
            key,
        ])
        let report = try JSONSerialization.jsonObject(with: sse) as! [String: Any]
        #expect(report["object"] as? String == "AES256")
        let parts = report["parts"] as! [String]
        #expect(parts.count >= 4)
        #expect(parts.allSatisfy { $0 == "AES256" })
    }

    @Test(arguments: [["--sse", "aes256"], ["--sse", "aws:kms", "--kms-key-id", "alias/ferry-test"]])
    func sseHeadersReachEveryObjectAndPart(arguments: [String]) async throws {
        let cli = try await workspace(profiles: 3000, padding: 4000)
        let prefix = TestEnvironment.prefix("sse")
        let created = try await cli(
            ["destinations", "create", "sse", "--bucket", env.bucket, "--folder-path", prefix, "--manifest"] + arguments
        )
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "sse", "--segment", "kr", "--map",
                "identityMap.Email=email", "--map", "person.name=name", "--max-rows-per-file", "2000",
            ]).exitCode == 0)
        let exported = try await export(cli, "a", extra: ["--part-size", "5"])
        #expect(exported.run.exitCode == 0, "\(exported.run.stderr)")
        let expected = arguments[1] == "aes256" ? "AES256" : "aws:kms"
        // One multipart file, one single-part file, and the manifest.
        #expect(exported.keys.count >= 2)
        let listing = try await env.client().listObjects(bucket: env.bucket, prefix: prefix)
        #expect(listing.count == 3)
        for object in listing {
            let sse = try await runPython([
                TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/sse_report.py").path,
                TestEnvironment.envPath, object.key,
            ])
            let report = try JSONSerialization.jsonObject(with: sse) as! [String: Any]
            #expect(report["object"] as? String == expected, "\(object.key)")
            if expected == "aws:kms" { #expect(report["kmsKeyId"] as? String == "alias/ferry-test") }
            #expect((report["parts"] as! [String]).allSatisfy { $0 == expected }, "\(object.key)")
        }
        let shown = try await cli(["destinations", "show", "sse"])
        #expect(shown.stdout.contains(arguments[1]))
    }

    /// moto does not enforce bucket policies, so the fault proxy plays one that
    /// denies every upload without `x-amz-server-side-encryption`, answering
    /// AccessDenied as S3 does.
    @Test func aBucketPolicyRefusingUnencryptedUploadsIsNamedAtCreation() async throws {
        let proxy = try await FaultProxy(
            upstream: env.endpoint,
            rules:
                #"[{"method": "PUT", "header_absent": "x-amz-server-side-encryption", "count": 1000000, "action": "denied"}]"#
        )
        defer { proxy.stop() }
        let cli = try await workspace(profiles: 20, endpoint: proxy.endpoint)
        let prefix = TestEnvironment.prefix("sse-policy")
        let plain = try await cli(["destinations", "create", "plain", "--bucket", env.bucket, "--folder-path", prefix])
        #expect(plain.exitCode == 3, "\(plain.stderr)")
        #expect(plain.stderr.contains("bucket policy refuses unencrypted uploads"), "\(plain.stderr)")
        #expect(plain.stderr.contains("--sse aes256"), "\(plain.stderr)")
        #expect(plain.stderr.split(separator: "\n").count == 1, "\(plain.stderr)")

        let encrypted = try await cli([
            "destinations", "create", "encrypted", "--bucket", env.bucket, "--folder-path", prefix, "--sse", "aes256",
        ])
        #expect(encrypted.exitCode == 0, "\(encrypted.stderr)")
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "encrypted", "--segment", "kr", "--map",
                "identityMap.Email=email",
            ]).exitCode == 0)
        let exported = try await export(cli, "a")
        #expect(exported.run.exitCode == 0, "\(exported.run.stderr)")
        #expect(exported.keys.count == 1)
    }
}
