import Foundation
import NIOCore
import S3
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad endpoints, unreachable and silent servers, answers that confirm
/// nothing, part sizes out of range: each fails with one sentence instead of
/// a trap, a hang or a false success.
@Suite struct S3HardeningTests {
    let env = TestEnvironment.shared

    /// Words that would mean an internal type reached a user.
    static let internalNames = [
        "HTTPClientError", "NIOConnectionError", "IOError", "ChannelError", "readTimeout", "connectTimeout",
        "deadlineExceeded", "S3Error", "S3ConfigurationError", "Fatal error",
    ]

    func expectOneSentence(_ run: FerryRun, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        for name in Self.internalNames {
            #expect(!run.stderr.contains(name), "\(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Endpoints (item 2)

    @Test func aClientWithAnOutOfRangePortThrowsInsteadOfTrapping() async throws {
        let client = S3Client(
            configuration: S3ClientConfiguration(endpoint: URL(string: "http://127.0.0.1:99999")!, region: env.region),
            credentials: env.keys("full").credentials)
        await #expect(throws: S3ConfigurationError.self) {
            try await client.putObject(bucket: env.bucket, key: "x", body: ByteBuffer(string: "x"))
        }
        await #expect(throws: S3ConfigurationError.self) {
            _ = try await client.listObjects(bucket: env.bucket, prefix: "")
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:99999", "http://127.0.0.1:0", "ftp://127.0.0.1:9000", "http://:9000",
        "http://user:pw@127.0.0.1:9000", "http://127.0.0.1:9000/?x=1", "http://127.0.0.1:9000/a%20b",
    ])
    func destinationsRefuseABadEndpointEvenWithoutValidation(_ endpoint: String) async throws {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        let viaOption = try await cli(
            ["destinations", "create", "d", "--bucket", env.bucket, "--endpoint", endpoint, "--skip-validation"])
        #expect(viaOption.exitCode == 2, "\(viaOption.stderr)")
        #expect(viaOption.stderr.contains("invalid endpoint URL"))
        #expect(!viaOption.stderr.contains("pw@"))
        expectOneSentence(viaOption)
        var environment = env.awsEnvironment()
        environment["AWS_ENDPOINT_URL_S3"] = endpoint
        let viaEnvironment = try await cli(
            ["destinations", "create", "d", "--bucket", env.bucket, "--skip-validation"], user: environment)
        #expect(viaEnvironment.exitCode == 2, "\(viaEnvironment.stderr)")
        let list = try await cli(["destinations", "list"])
        #expect(!list.stdout.contains("d\t"))
    }

    // MARK: Unreachable and silent endpoints (item 5)

    /// A port nothing listens on: bound, then closed.
    static func refusedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        close(fd)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aRefusedPortFailsWithinThirtySecondsInOneSentence() async throws {
        let port = Self.refusedPort()
        var environment = env.awsEnvironment()
        environment["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:\(port)"
        environment.removeValue(forKey: "AWS_REGION")
        let started = ContinuousClock.now
        let run = try await FerryRun.run(["s3", "ls", "s3://\(env.bucket)/x"], environment: environment)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("127.0.0.1:\(port)"), "\(run.stderr)")
        #expect(run.stderr.contains("refused"), "\(run.stderr)")
        expectOneSentence(run)
    }

    @Test func aRefusedPortFailsAnExportWithinThirtySeconds() async throws {
        let port = Self.refusedPort()
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        try await cli.importLines([ScheduledRunTests.profile("a", country: "KR")])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "dead", "--bucket", env.bucket, "--endpoint", "http://127.0.0.1:\(port)",
            "--skip-validation",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let activation = try await cli([
            "activations", "create", "a", "--destination", "dead", "--segment", "kr", "--map",
            "identityMap.Email=email",
        ])
        #expect(activation.exitCode == 0, "\(activation.stderr)")
        let started = ContinuousClock.now
        let run = try await cli(["export", "a"])
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("127.0.0.1:\(port)") && run.stderr.contains("refused"), "\(run.stderr)")
        for name in Self.internalNames { #expect(!run.stderr.contains(name), "\(run.stderr)") }
    }

    @Test func aSilentServerFailsAtTheRequestTimeout() async throws {
        let proxy = try await FaultProxy(upstream: env.endpoint, rules: #"[{"action":"silent","count":1000000}]"#)
        defer { proxy.stop() }
        var environment = env.awsEnvironment()
        environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
        let started = ContinuousClock.now
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/x", "--request-timeout", "2"], environment: environment)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains(proxy.endpoint), "\(run.stderr)")
        #expect(run.stderr.contains("2 s"), "\(run.stderr)")
        expectOneSentence(run)
    }

    @Test func exportAndDestinationTestTakeTheRequestTimeout() async throws {
        let proxy = try await FaultProxy(upstream: env.endpoint, rules: #"[{"action":"silent","count":1000000}]"#)
        defer { proxy.stop() }
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        try await cli.importLines([ScheduledRunTests.profile("a", country: "KR")])
        #expect(try await cli(["segments", "create", "kr", "--pql", #"homeAddress.countryCode = "KR""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "quiet", "--bucket", env.bucket, "--endpoint", proxy.endpoint, "--region",
            env.region, "--skip-validation",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "quiet", "--segment", "kr", "--map",
                "identityMap.Email=email", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
            ]).exitCode == 0)
        for arguments in [
            ["export", "a"], ["destinations", "test", "quiet"], ["run", "--due", "--at", "2026-11-25T07:00:00Z"],
        ] {
            let started = ContinuousClock.now
            let run = try await cli(arguments + ["--request-timeout", "2", "--connect-timeout", "1"])
            #expect(ContinuousClock.now - started < .seconds(30), "\(arguments)")
            #expect(run.exitCode == 1, "\(arguments): \(run.stderr)")
            let output = run.stdout + run.stderr
            #expect(output.contains(proxy.endpoint), "\(arguments): \(output)")
            for name in Self.internalNames { #expect(!output.contains(name), "\(output)") }
        }
    }

    @Test func theLibraryStopsRetryingAtTheRequestTimeout() async throws {
        let proxy = try await FaultProxy(upstream: env.endpoint, rules: #"[{"action":"silent","count":1000000}]"#)
        defer { proxy.stop() }
        let client = S3Client(
            configuration: S3ClientConfiguration(
                endpoint: URL(string: proxy.endpoint)!, region: env.region,
                retry: RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(20)), requestTimeout: .seconds(2),
                idleTimeout: .seconds(1)),
            credentials: env.keys("full").credentials)
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: env.bucket, key: "silent", body: ByteBuffer(string: "x"))
        }
        #expect(error?.code == "Timeout")
        #expect(error?.httpStatus == 0)
        // Counted rather than timed: other tests in this process can hold the
        // cooperative threads, which would stretch a wall-clock measurement.
        // Ten one-second idle timeouts do not fit in the two-second budget.
        #expect((error?.attempts ?? 10) < 10, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func badTimeoutsAreBadInput() async throws {
        for value in ["0", "-1", "nan"] {
            let run = try await FerryRun.run(
                ["s3", "ls", "s3://\(env.bucket)/x", "--connect-timeout=\(value)"], environment: env.awsEnvironment())
            #expect(run.exitCode == 2, "\(value): \(run.stderr)")
        }
    }

    // MARK: 200 answers that confirm nothing (item 13)

    @Test(arguments: ["ok-no-etag", "ok-error-body"])
    func aPutAnsweredWithoutETagIsAnError(_ action: String) async throws {
        let proxy = try await FaultProxy(
            upstream: env.endpoint, rules: #"[{"method":"PUT","action":"\#(action)","count":1000}]"#)
        defer { proxy.stop() }
        let client = env.client(endpoint: proxy.endpoint)
        let key = TestEnvironment.prefix("no-etag") + "put"
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: env.bucket, key: key, body: ByteBuffer(string: "x"))
        }
        #expect(error?.code == (action == "ok-no-etag" ? "MissingETag" : "InternalError"))
        #expect(error?.operation == .putObject)
        #expect(try await env.client().headObject(bucket: env.bucket, key: key) == nil)
    }

    @Test(arguments: ["ok-no-etag", "ok-error-body"])
    func aPartAnsweredWithoutETagFailsTheUpload(_ action: String) async throws {
        let proxy = try await FaultProxy(
            upstream: env.endpoint,
            rules: #"[{"method":"PUT","query_contains":"partNumber=2","action":"\#(action)","count":1000}]"#)
        defer { proxy.stop() }
        let client = env.client(endpoint: proxy.endpoint)
        let key = TestEnvironment.prefix("no-etag") + "parts"
        let bytes = testBytes(count: 11 * 1024 * 1024, seed: 13)
        let error = await #expect(throws: MultipartUploadError.self) {
            try await client.upload(
                ChunkedBytes(bytes: bytes, chunk: 1 << 20), bucket: env.bucket, key: key,
                options: try UploadOptions(partSize: 5 * 1024 * 1024, concurrency: 2))
        }
        let underlying = error?.underlying as? S3Error
        #expect(underlying?.operation == .uploadPart)
        #expect(underlying?.code == (action == "ok-no-etag" ? "MissingETag" : "InternalError"))
        #expect(try await env.client().headObject(bucket: env.bucket, key: key) == nil)
    }

    @Test func oneAnswerWithoutETagIsRetriedAndTheUploadCompletes() async throws {
        let proxy = try await FaultProxy(
            upstream: env.endpoint,
            rules: #"""
                [{"method":"PUT","query_contains":"partNumber=1","action":"ok-no-etag"},
                 {"method":"POST","query_contains":"uploadId=","action":"ok-error-body"}]
                """#)
        defer { proxy.stop() }
        let client = env.client(endpoint: proxy.endpoint)
        let key = TestEnvironment.prefix("no-etag") + "retried"
        let bytes = testBytes(count: 6 * 1024 * 1024, seed: 14)
        let result = try await client.upload(
            ChunkedBytes(bytes: bytes, chunk: 1 << 20), bucket: env.bucket, key: key,
            options: try UploadOptions(partSize: 5 * 1024 * 1024, concurrency: 2))
        #expect(result.partCount == 2)
        #expect(try await env.client().getObject(bucket: env.bucket, key: key) == bytes)
        #expect(proxy.entries.filter { $0.query.contains("partNumber=1") }.count == 2)
    }

    // MARK: Part size (item 14)

    @Test(arguments: ["5000", "4096", "4", "0", "-1", "9223372036854775807"])
    func anUnsupportedPartSizeIsBadInput(_ size: String) async throws {
        let file = NSTemporaryDirectory() + "ferry-part-\(UUID().uuidString).bin"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await FerryRun.run(
            ["s3", "cp", file, "s3://\(env.bucket)/x", "--part-size=\(size)"], environment: env.awsEnvironment())
        #expect(run.exitCode == 2, "\(run.stderr)")
        #expect(run.stderr.contains("part size"), "\(run.stderr)")
        expectOneSentence(run)
        let export = try await FerryRun.run(
            ["export", "nothing", "--part-size=\(size)", "--workspace", NSTemporaryDirectory() + "none-\(UUID())"],
            environment: [:])
        #expect(export.exitCode == 2, "\(export.stderr)")
    }

    @Test func theLibraryRefusesPartsLargerThanABuffer() {
        #expect(throws: S3ConfigurationError.self) { try UploadOptions(partSizeMiB: 5000) }
        #expect(throws: S3ConfigurationError.self) { try UploadOptions(partSize: 5 * 1024 * 1024 * 1024) }
        #expect(throws: S3ConfigurationError.self) { try UploadOptions(partSizeMiB: Int.max) }
        #expect((try? UploadOptions(partSizeMiB: 4095))?.partSize == UploadOptions.maximumPartSize)
    }

    /// Nothing may reach the network: the endpoint refuses connections.
    static func unreachableClient() -> S3Client {
        S3Client(
            configuration: S3ClientConfiguration(
                endpoint: URL(string: "http://127.0.0.1:\(refusedPort())")!, region: "us-east-1"),
            credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "b"))
    }

    @Test func aPartSizeChangedAfterInitIsCheckedByTheUpload() async throws {
        var options = try UploadOptions()
        options.partSize = 5 * 1024 * 1024 * 1024
        await #expect(throws: S3ConfigurationError.self) {
            try await Self.unreachableClient().upload(
                ChunkedBytes(bytes: [1, 2, 3], chunk: 1), bucket: "ferry-test", key: "k", options: options)
        }
    }

    @Test func aFileNeedingMoreThanTenThousandPartsIsRefusedBeforeAnyRequest() async throws {
        let path = NSTemporaryDirectory() + "ferry-sparse-\(UUID().uuidString).bin"
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Sparse: the size is there, the disk blocks are not.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(UploadOptions.maximumParts + 1) * 5 * 1024 * 1024)
        try handle.close()
        let error = await #expect(throws: S3ConfigurationError.self) {
            try await Self.unreachableClient().upload(
                file: try ReadOnlyFile(path: path), bucket: "ferry-test", key: "k",
                options: try UploadOptions(partSizeMiB: 5))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("10,000"))
    }

    @Test func aBadRegionIsBadInput() async throws {
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/x", "--region", "us east/1"], environment: env.awsEnvironment())
        #expect(run.exitCode == 2, "\(run.stderr)")
        #expect(run.stderr.contains("invalid region"), "\(run.stderr)")
        expectOneSentence(run)
    }

    // MARK: s3 check leaves nothing (item 18)

    @Test(arguments: ["full"] + S3Permission.allCases.map { "no-\($0.rawValue)" })
    func aPermissionCheckLeavesNoObjectBehind(_ user: String) async throws {
        let prefix = TestEnvironment.prefix("check-clean")
        let report = try await env.client(user: user).checkPermissions(bucket: env.bucket, prefix: prefix)
        let expected = S3Permission.allCases.filter { "no-\($0.rawValue)" == user }
        #expect(report.missing == expected)
        #expect(report.leftovers.isEmpty)
        let admin = env.client(user: "admin")
        #expect(try await admin.listObjects(bucket: env.bucket, prefix: prefix).isEmpty)
        #expect(try await admin.listMultipartUploads(bucket: env.bucket, prefix: prefix).isEmpty)
    }

    /// Every key with a version or a delete marker in `bucket`, as the admin sees it.
    func versionedKeys(_ bucket: String) async throws -> [String] {
        let script = """
            import boto3, json, sys
            env = json.load(open(sys.argv[1])); admin = env["users"]["admin"]
            s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name=env["region"],
                              aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
            keys = []
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=sys.argv[2]):
                keys += [v["Key"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            print(json.dumps(keys))
            """
        let data = try await runPython(["-c", script, TestEnvironment.envPath, bucket])
        return try JSONSerialization.jsonObject(with: data) as? [String] ?? []
    }

    /// Not even a noncurrent version or a delete marker: a versioned bucket keeps those.
    @Test func aPermissionCheckLeavesNoVersionInAVersionedBucket() async throws {
        let bucket = try await ExactlyOnceTests().versionedBucket()
        // The fixture's other users are limited to its own bucket.
        let report = try await env.client(user: "admin").checkPermissions(bucket: bucket, prefix: "p/")
        #expect(report.allGranted)
        #expect(report.leftovers.isEmpty)
        #expect(try await versionedKeys(bucket) == [])
    }

    @Test func theCheckCommandLeavesNothingWithoutDeleteObject() async throws {
        let prefix = TestEnvironment.prefix("check-cli")
        let run = try await FerryRun.run(
            ["s3", "check", "s3://\(env.bucket)/\(prefix)"], environment: env.awsEnvironment(user: "no-s3:DeleteObject")
        )
        #expect(run.exitCode == 3)
        #expect(run.stdout.contains("missing permissions: s3:DeleteObject"))
        #expect(!run.stdout.contains("left behind"))
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        let admin = env.client(user: "admin")
        #expect(try await admin.listObjects(bucket: env.bucket, prefix: prefix).isEmpty)
        #expect(try await admin.listMultipartUploads(bucket: env.bucket, prefix: prefix).isEmpty)
    }

    // MARK: Messages keep S3's code (item 19)

    @Test func aDenialNamesTheCodeOperationActionAndStatus() async throws {
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://\(env.bucket)/x"], environment: env.awsEnvironment(user: "no-s3:ListBucket"))
        #expect(run.exitCode == 3)
        for part in ["AccessDenied", "ListObjectsV2", "s3:ListBucket", "HTTP 403"] {
            #expect(run.stderr.contains(part), "\(part): \(run.stderr)")
        }
        expectOneSentence(run)
    }

    @Test func aMissingBucketNamesItsCode() async throws {
        let run = try await FerryRun.run(
            ["s3", "ls", "s3://ferry-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/x"],
            environment: env.awsEnvironment(user: "admin"))
        #expect(run.exitCode == 2)
        for part in ["NoSuchBucket", "ListObjectsV2", "HTTP 404"] {
            #expect(run.stderr.contains(part), "\(part): \(run.stderr)")
        }
        expectOneSentence(run)
    }

    @Test func errorDescriptionsKeepTheCodeNextToTheOperation() {
        let slow = S3Error(
            code: "SlowDown", message: "Please reduce your request rate.", httpStatus: 503, operation: .uploadPart,
            bucket: "b", key: "k", attempts: 5)
        #expect(slow.description.contains("UploadPart (s3:PutObject) on s3://b/k failed with SlowDown (HTTP 503)"))
        #expect(slow.description.contains("5 attempts"))
        let denied = S3Error(code: "AccessDenied", message: "", httpStatus: 403, operation: .getObject, bucket: "b")
        #expect(denied.description.contains("AccessDenied"))
        #expect(denied.description.contains("s3:GetObject"))
        #expect(denied.description.contains("HTTP 403"))
    }

    // MARK: s3 cp both ways (item 22)

    @Test func copyToAFolderKeepsTheFileNameAndDownloadsMatchByteForByte() async throws {
        let prefix = TestEnvironment.prefix("cp-both")
        let dir = NSTemporaryDirectory() + "ferry-cp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = Data(testBytes(count: 12 * 1024 * 1024 + 3, seed: 21))
        try bytes.write(to: URL(fileURLWithPath: dir + "/in/data.bin"))
        let small = Data("a,b\n1,2\n".utf8)
        try small.write(to: URL(fileURLWithPath: dir + "/in/small.csv"))

        let up = try await FerryRun.run(
            ["s3", "cp", dir + "/in/data.bin", "s3://\(env.bucket)/\(prefix)", "--part-size", "5"],
            environment: env.awsEnvironment())
        #expect(up.exitCode == 0, "\(up.stderr)")
        #expect(up.stdout.contains("s3://\(env.bucket)/\(prefix)data.bin"))
        let upSmall = try await FerryRun.run(
            ["s3", "cp", dir + "/in/small.csv", "s3://\(env.bucket)/\(prefix)"], environment: env.awsEnvironment())
        #expect(upSmall.exitCode == 0, "\(upSmall.stderr)")

        let intoFolder = try await FerryRun.run(
            ["s3", "cp", "s3://\(env.bucket)/\(prefix)data.bin", dir + "/out"], environment: env.awsEnvironment())
        #expect(intoFolder.exitCode == 0, "\(intoFolder.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/data.bin")) == bytes)

        // An existing file is replaced, as aws s3 cp does.
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/out/renamed.csv"))
        let toPath = try await FerryRun.run(
            ["s3", "cp", "s3://\(env.bucket)/\(prefix)small.csv", dir + "/out/renamed.csv"],
            environment: env.awsEnvironment())
        #expect(toPath.exitCode == 0, "\(toPath.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/renamed.csv")) == small)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted() == ["data.bin", "renamed.csv"])
    }

    @Test func aFailedDownloadLeavesNoFile() async throws {
        let prefix = TestEnvironment.prefix("cp-fail")
        let dir = NSTemporaryDirectory() + "ferry-cp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try await FerryRun.run(
            ["s3", "cp", "s3://\(env.bucket)/\(prefix)absent.bin", dir], environment: env.awsEnvironment())
        #expect(missing.exitCode == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("NoSuchKey"), "\(missing.stderr)")
        expectOneSentence(missing)

        let file = dir + "/x.bin"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect(
            try await FerryRun.run(
                ["s3", "cp", file, "s3://\(env.bucket)/\(prefix)x.bin"], environment: env.awsEnvironment()
            )
            .exitCode == 0)
        try FileManager.default.removeItem(atPath: file)
        let denied = try await FerryRun.run(
            ["s3", "cp", "s3://\(env.bucket)/\(prefix)x.bin", dir + "/"],
            environment: env.awsEnvironment(user: "no-s3:GetObject"))
        #expect(denied.exitCode == 3, "\(denied.stderr)")
        #expect(denied.stderr.contains("s3:GetObject") && denied.stderr.contains("AccessDenied"), "\(denied.stderr)")
        expectOneSentence(denied)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func copyNeedsOneS3Side() async throws {
        for arguments in [
            ["a", "b"], ["s3://\(env.bucket)/a", "s3://\(env.bucket)/b"], ["s3://\(env.bucket)/dir/", "."],
        ] {
            let run = try await FerryRun.run(["s3", "cp"] + arguments, environment: env.awsEnvironment())
            #expect(run.exitCode == 2, "\(arguments): \(run.stderr)")
            expectOneSentence(run)
        }
    }
}
