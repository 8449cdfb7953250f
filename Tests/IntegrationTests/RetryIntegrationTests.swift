import Foundation
import NIOCore
import S3
import Testing

/// Transient failures on the way to S3 are retried; permanent ones are not.
@Suite struct RetryIntegrationTests {
    let env = TestEnvironment.shared

    /// Both upload paths: parts held in memory, and parts read from a file
    /// again for each attempt.
    @Test(arguments: [false, true])
    func slowDownAndDroppedConnectionsAreRetried(fromFile: Bool) async throws {
        let rules = """
            [{"method":"PUT","query_contains":"partNumber=2","nth":1,"action":"slowdown"},
             {"method":"PUT","query_contains":"partNumber=3","nth":1,"action":"drop"},
             {"method":"POST","query_contains":"uploads","nth":1,"action":"internal"},
             {"method":"POST","query_contains":"uploadId=","nth":1,"action":"slowdown"}]
            """
        let proxy = try await FaultProxy(upstream: env.endpoint, rules: rules)
        defer { proxy.stop() }
        let client = env.client(endpoint: proxy.endpoint)
        let key = TestEnvironment.prefix("retry") + "faulty.bin"
        let bytes = testBytes(count: 3 * 5 * 1024 * 1024 + 17, seed: 5)
        let options = try UploadOptions(partSize: 5 * 1024 * 1024, concurrency: 2)
        let result: UploadResult
        if fromFile {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "ferry-retry-\(UUID().uuidString).bin"
            ).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            result = try await client.upload(
                file: try ReadOnlyFile(path: path), bucket: env.bucket, key: key, options: options)
        } else {
            result = try await client.upload(
                ChunkedBytes(bytes: bytes, chunk: 1 << 20), bucket: env.bucket, key: key, options: options)
        }
        #expect(result.partCount == 4)
        #expect(try await env.client().getObject(bucket: env.bucket, key: key) == bytes)
        let entries = proxy.entries
        #expect(entries.filter { $0.action == "slowdown" }.count == 2)
        #expect(entries.filter { $0.action == "drop" }.count == 1)
        #expect(entries.filter { $0.action == "internal" }.count == 1)
        // Each faulted request was sent again and then went through.
        #expect(entries.filter { $0.query.contains("partNumber=2") }.count == 2)
        #expect(entries.filter { $0.query.contains("partNumber=3") }.count == 2)
        try await client.shutdown()
    }

    @Test func permanentErrorsAreNotRetried() async throws {
        let proxy = try await FaultProxy(upstream: env.endpoint)
        defer { proxy.stop() }
        let client = env.client(user: "no-s3:PutObject", endpoint: proxy.endpoint)
        let key = TestEnvironment.prefix("permanent") + "x"
        await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: env.bucket, key: key, body: ByteBuffer(string: "x"))
        }
        #expect(proxy.entries.filter { $0.method == "PUT" }.count == 1)
        try await client.shutdown()
    }

    @Test func retriesStopAtTheConfiguredCount() async throws {
        let rules = (1...10).map { #"{"method":"PUT","query_contains":"","nth":\#($0),"action":"slowdown"}"# }
        let proxy = try await FaultProxy(upstream: env.endpoint, rules: "[" + rules.joined(separator: ",") + "]")
        defer { proxy.stop() }
        let client = env.client(
            endpoint: proxy.endpoint, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5)))
        await #expect {
            try await client.putObject(
                bucket: env.bucket, key: TestEnvironment.prefix("giveup") + "x", body: ByteBuffer(string: "x"))
        } throws: { ($0 as? S3Error)?.code == "SlowDown" }
        #expect(proxy.entries.filter { $0.method == "PUT" }.count == 3)
        try await client.shutdown()
    }

    @Test func backoffIsFullJitterUnderACap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(1), maxDelay: .seconds(20))
        #expect(policy.delay(afterAttempt: 0, random: 0.5) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 3, random: 1.0) == .seconds(8))
        #expect(policy.delay(afterAttempt: 12, random: 1.0) == .seconds(20))
        #expect(policy.delay(afterAttempt: 4, random: 0) == .zero)
    }
}
