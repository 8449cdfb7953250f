import Crypto
import Foundation
import NIOCore
import Testing

@testable import S3

/// What the fixture's moto does with the requests `s3 check` probes with, so
/// a change in moto shows here rather than as a puzzling check result.
@Suite struct S3HardeningProbeTests {
    let env = TestEnvironment.shared

    func put(_ user: String, key: String, ifMatch: Bool) async throws {
        let body = ByteBuffer(string: "probe")
        let wrongMD5 = Data(Insecure.MD5.hash(data: Data("other".utf8))).base64EncodedString()
        var headers: [(name: String, value: String)] = [("content-md5", wrongMD5)]
        if ifMatch { headers.append(("if-match", "\"\(SigV4Signer.hex(body.md5))\"")) }
        _ = try await env.client(user: user).execute(
            .init(
                operation: .putObject, method: .PUT, bucket: env.bucket, key: key, headers: headers,
                body: .init(body)))
    }

    func code(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as S3Error {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test func motoAuthorizesBeforeItLooksAtTheBodyOrTheKey() async throws {
        let key = TestEnvironment.prefix("probe") + "k"
        // Authorization comes first, as on AWS.
        #expect(await code { try await put("no-s3:PutObject", key: key, ifMatch: false) } == "AccessDenied")
        #expect(await code { try await put("no-s3:PutObject", key: key, ifMatch: true) } == "AccessDenied")
        // moto stores a body whatever its Content-MD5 (AWS answers BadDigest),
        // but honours If-Match on a key that does not exist.
        #expect(await code { try await put("full", key: key, ifMatch: true) } == "NoSuchKey")
        #expect(try await env.client(user: "admin").headObject(bucket: env.bucket, key: key) == nil)
        #expect(await code { try await put("full", key: key, ifMatch: false) } == nil)
        #expect(try await env.client(user: "admin").headObject(bucket: env.bucket, key: key) != nil)
        try await env.client(user: "admin").deleteObject(bucket: env.bucket, key: key)

        let delete = S3Client.Request(
            operation: .deleteObject, method: .DELETE, bucket: env.bucket, key: key + ".absent",
            headers: [("if-match", "*")])
        #expect(
            await code { _ = try await env.client(user: "no-s3:DeleteObject").execute(delete) } == "AccessDenied")
        #expect(await code { _ = try await env.client(user: "full").execute(delete) } == "NoSuchKey")
    }
}
