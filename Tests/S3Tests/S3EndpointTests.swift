import Foundation
import NIOCore
import Testing

@testable import S3

/// What an endpoint may be, decided before anything is sent.
@Suite struct S3EndpointTests {
    @Test(arguments: [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("HTTPS://S3.Example.com", "https://s3.example.com"),
        ("https://s3.example.com:443/", "https://s3.example.com"),
        ("http://minio:9000/s3/", "http://minio:9000/s3"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ])
    func goodEndpointsAreKept(_ text: String, _ expected: String) throws {
        #expect(try S3Endpoint(parsing: text).description == expected)
        #expect(try S3ClientConfiguration.endpointURL(text).absoluteString == expected)
    }

    @Test(arguments: [
        "http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:", "http://127.0.0.1:9x",
        "http://127.0.0.1:99999999999999999999999", "ftp://host", "127.0.0.1:9000", "http://", "http://:9000",
        "http://user:secret@host", "http://host/?a=1", "http://host/#x", "http://host/a%20b", "http://host/a//b",
        "http://host/../x", "http://ho st", "http://[::1", "http://a:1:2",
    ])
    func badEndpointsAreRefusedWithAReason(_ text: String) {
        #expect(throws: S3ConfigurationError.self) { try S3Endpoint(parsing: text) }
        do {
            _ = try S3ClientConfiguration.endpointURL(text)
        } catch {
            #expect(!"\(error)".contains("secret"))
            #expect("\(error)".hasPrefix("invalid endpoint URL"))
        }
    }

    @Test func timeoutsMustBePositive() {
        #expect(throws: S3ConfigurationError.self) { try S3Timeouts(connect: .zero).validate() }
        #expect(throws: Never.self) { try S3Timeouts.standard.validate() }
    }

    @Test func transportFailuresAreDescribedWithoutTypeNames() {
        let client = S3Client(
            configuration: S3ClientConfiguration(endpoint: URL(string: "http://127.0.0.1:1")!),
            credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "b"))
        let refused = client.describeTransport(
            IOError(errnoCode: ECONNREFUSED, reason: "connect"), target: "http://127.0.0.1:1")
        #expect(refused.cause == "the connection to http://127.0.0.1:1 was refused")
        struct Odd: Error {}
        let other = client.describeTransport(Odd(), target: "http://127.0.0.1:1")
        #expect(!other.cause.contains("Odd"))
    }
}
