import Foundation
import NIOCore
import S3
import Testing

/// The S3 client against a real S3 server (moto, IAM enforced), as the
/// least-privilege user holding exactly the six permissions.
@Suite struct S3ClientIntegrationTests {
    let env = TestEnvironment.shared

    @Test func largeUploadGoesMultipartAndArrivesIdentical() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("large") + "forty.bin"
        let bytes = testBytes(count: 40 * 1024 * 1024, seed: 1)
        let options = try UploadOptions(partSize: 5 * 1024 * 1024, concurrency: 4)
        let recorded = UploadIdBox()
        let result = try await client.upload(
            ChunkedBytes(bytes: bytes, chunk: 300_000), bucket: env.bucket, key: key, options: options,
            onUploadCreated: { id in await recorded.set(id) })
        #expect(result.partCount == 8)
        #expect(result.uploadId != nil)
        #expect(await recorded.value == result.uploadId)
        let back = try await client.getObject(bucket: env.bucket, key: key)
        #expect(back.count == bytes.count)
        #expect(back == bytes)
        try await client.shutdown()
    }

    @Test func smallUploadUsesOnePutObject() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("small") + "one.bin"
        let bytes = testBytes(count: 1024, seed: 2)
        let result = try await client.upload(ChunkedBytes(bytes: bytes, chunk: 100), bucket: env.bucket, key: key)
        #expect(result.uploadId == nil)
        #expect(result.partCount == 1)
        #expect(try await client.getObject(bucket: env.bucket, key: key) == bytes)
        try await client.shutdown()
    }

    @Test(arguments: ["a b/c+d$e%.txt", "한글/ünï.csv", "x//y/./z.txt", "semi;colon,comma=eq&amp.txt"])
    func awkwardKeysRoundTrip(name: String) async throws {
        let client = env.client()
        let prefix = TestEnvironment.prefix("keys")
        let key = prefix + name
        try await client.putObject(bucket: env.bucket, key: key, body: ByteBuffer(string: "hello"))
        let listed = try await client.listObjects(bucket: env.bucket, prefix: prefix)
        #expect(listed.map(\.key) == [key])
        #expect(try await client.getObject(bucket: env.bucket, key: key) == Array("hello".utf8))
        #expect(try await client.headObject(bucket: env.bucket, key: key)?.size == 5)
        try await client.deleteObject(bucket: env.bucket, key: key)
        #expect(try await client.headObject(bucket: env.bucket, key: key) == nil)
        try await client.shutdown()
    }

    @Test func listingsArePaged() async throws {
        let client = env.client()
        let prefix = TestEnvironment.prefix("paged")
        for i in 0..<5 {
            try await client.putObject(bucket: env.bucket, key: "\(prefix)o\(i)", body: ByteBuffer(string: "\(i)"))
        }
        let listed = try await client.listObjects(bucket: env.bucket, prefix: prefix, pageSize: 2)
        #expect(listed.map(\.key) == (0..<5).map { "\(prefix)o\($0)" })
        try await client.shutdown()
    }

    @Test func interruptedUploadIsResumedFromItsParts() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("resume") + "resumed.bin"
        let part = 5 * 1024 * 1024
        let bytes = testBytes(count: 3 * part + 1000, seed: 3)
        // An earlier attempt got two parts in, then died.
        let uploadId = try await client.createMultipartUpload(bucket: env.bucket, key: key)
        for n in 1...2 {
            _ = try await client.uploadPart(
                bucket: env.bucket, key: key, uploadId: uploadId, partNumber: n,
                body: ByteBuffer(bytes: bytes[(n - 1) * part..<n * part]))
        }
        let listed = try await client.listParts(bucket: env.bucket, key: key, uploadId: uploadId, pageSize: 1)
        #expect(listed.map(\.partNumber) == [1, 2])
        let result = try await client.upload(
            ChunkedBytes(bytes: bytes, chunk: 1 << 20), bucket: env.bucket, key: key,
            options: try UploadOptions(partSize: part, concurrency: 2), resumeUploadId: uploadId)
        #expect(result.uploadId == uploadId)
        #expect(result.reusedParts == 2)
        #expect(result.partCount == 4)
        #expect(try await client.getObject(bucket: env.bucket, key: key) == bytes)
        try await client.shutdown()
    }

    @Test func regionComesFromGetBucketLocation() async throws {
        let client = S3Client(
            configuration: S3ClientConfiguration(endpoint: URL(string: env.endpoint)!),
            credentials: env.keys("full").credentials)
        #expect(try await client.getBucketLocation(bucket: env.bucket) == "us-east-1")
        try await client.putObject(
            bucket: env.bucket, key: TestEnvironment.prefix("region") + "r", body: ByteBuffer(string: "r"))
        try await client.shutdown()
    }

    @Test func permissionCheckPassesForTheSixPermissionUser() async throws {
        let client = env.client()
        let prefix = TestEnvironment.prefix("check")
        let report = try await client.checkPermissions(bucket: env.bucket, prefix: prefix)
        #expect(report.allGranted)
        #expect(report.results.count == 6)
        // It cleans up its probes.
        #expect(try await env.client(user: "admin").listObjects(bucket: env.bucket, prefix: prefix).isEmpty)
        try await client.shutdown()
    }

    @Test(arguments: S3Permission.allCases)
    func permissionCheckNamesTheMissingAction(_ permission: S3Permission) async throws {
        let client = env.client(user: "no-\(permission.rawValue)")
        let report = try await client.checkPermissions(bucket: env.bucket, prefix: TestEnvironment.prefix("check"))
        #expect(report.missing == [permission])
        try await client.shutdown()
    }

    @Test func accessDeniedCarriesTheIAMAction() async throws {
        let client = env.client(user: "no-s3:PutObject")
        await #expect {
            try await client.putObject(
                bucket: env.bucket, key: TestEnvironment.prefix("denied") + "x", body: ByteBuffer(string: "x"))
        } throws: { error in
            guard let error = error as? S3Error else { return false }
            return error.code == "AccessDenied" && error.missingIAMAction == "s3:PutObject" && error.httpStatus == 403
                && error.operation == .putObject
        }
        try await client.shutdown()
    }

    @Test func unknownBucketIsNamed() async throws {
        let client = env.client(user: "admin")
        await #expect {
            try await client.listObjectsPage(bucket: "ferry-no-such-bucket", prefix: "")
        } throws: { error in
            (error as? S3Error)?.code == "NoSuchBucket"
                && String(describing: error).contains("'ferry-no-such-bucket' does not exist")
        }
        try await client.shutdown()
    }

    @Test func invalidBucketNameFailsBeforeAnyRequest() async throws {
        let client = env.client()
        await #expect(throws: S3ConfigurationError.self) {
            try await client.putObject(bucket: "ab", key: "k", body: ByteBuffer())
        }
        try await client.shutdown()
    }
}

actor UploadIdBox {
    var value: String?
    func set(_ id: String) { value = id }
}
