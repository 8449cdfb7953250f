import AsyncHTTPClient
import FerryApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import Testing

@testable import FerryHTTP

/// `/metrics` after real work, and HTTPS with `--tls-cert/--tls-key`.
@Suite struct MetricsAndTLSTests {
    /// The process has one metrics system; every test here shares it.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    @Test func metricsCountRunsRowsBytesAndEvaluations() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        let router = FerryServer.buildRouter(app: fixture.app, metrics: Self.registry)
        try await Application(router: router).test(.router) { client in
            let w = fixture.writeToken
            _ = try await client.call(
                .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(name: "metrics"),
                fixture: fixture)
            _ = try await client.call(
                .post, "/api/v1/segments", token: w, body: #"{"name":"gold","pql":"loyalty.tier = \"gold\""}"#,
                fixture: fixture)
            _ = try await client.call(.post, "/api/v1/segments/gold/evaluate", token: w, fixture: fixture)
            let activation = """
                {"name":"measured","destination":"metrics","segments":["gold"],
                 "columns":[{"source":"identityMap.Email","column":"email"}]}
                """
            _ = try await client.call(.post, "/api/v1/activations", token: w, body: activation, fixture: fixture)
            let exported = try await client.call(
                .post, "/api/v1/activations/measured/export", token: w, fixture: fixture)
            #expect(exported.text.contains("\"outcome\":\"success\""))
            // Alerts, and the metrics taken from them, are sent after the run returns.
            var text = ""
            for _ in 0..<50 {
                text = try await client.call(.get, "/metrics", token: nil, fixture: fixture).text
                if text.contains("ferry_bytes_uploaded_total") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(text.contains(#"ferry_runs_total{status="success"}"#))
            #expect(text.contains("ferry_rows_exported_total"))
            #expect(text.contains("ferry_bytes_uploaded_total"))
            #expect(text.contains("ferry_run_duration_seconds_bucket"))
            #expect(text.contains("ferry_evaluation_duration_seconds_count"))
            #expect(text.contains(#"ferry_last_success_timestamp_seconds{activation="measured"}"#))
            #expect(text.contains("http_server_request_duration"))
            // Every S3 attempt of the permission check and the export, by operation, status and code.
            #expect(
                text.split(separator: "\n").contains {
                    $0.hasPrefix("ferry_s3_requests_total{") && $0.contains(#"operation="PutObject""#)
                        && $0.contains(#"status="200""#)
                }, "\(text)")
        }
    }

    @Test func serveOverTLSWithACertificateAndKey() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        let cert = fixture.directory.appendingPathComponent("cert.pem").path
        let key = fixture.directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=localhost",
        ]
        openssl.standardError = FileHandle.nullDevice
        // Waited for without blocking: the cooperative pool has a thread per core,
        // and other suites run beside this one.
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            openssl.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try openssl.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 0)

        let app = FerryServer.buildApplication(
            app: fixture.app, host: "127.0.0.1", port: 0, metrics: nil,
            server: try TLSSetup.server(certificate: cert, key: key), secureCookies: true)
        try await app.test(.ahc(.https)) { client in
            // The test client gives a request 15 s. Suites beside this one wait for `ferry` processes
            // on the cooperative pool's two threads, and can hold the server's handlers back for longer.
            func get(_ uri: String, _ headers: HTTPFields = [:]) async throws -> TestResponse {
                var attempts = 1
                while true {
                    do {
                        return try await client.execute(uri: uri, method: .get, headers: headers)
                    } catch let error as HTTPClientError where error == .deadlineExceeded && attempts < 8 {
                        attempts += 1
                    }
                }
            }
            #expect(try await get("/healthz").status == .ok)
            let api = try await get("/api/v1/status", [.authorization: "Bearer \(fixture.readToken)"])
            #expect(api.status == .ok)
        }
        // Over TLS the console's cookie is Secure (the HTTPS client above follows the login's redirect, so the
        // cookie is checked on the router the server runs).
        let secure = FerryServer.buildRouter(app: fixture.app, secureCookies: true)
        try await Application(router: secure).test(.router) { client in
            let login = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(fixture.writeToken)"))
            #expect(login.headers[.setCookie]?.contains("; Secure") == true)
        }

        #expect(throws: AppError.self) { try TLSSetup.server(certificate: "/nonexistent.pem", key: key) }
        #expect(throws: AppError.self) { try TLSSetup.server(certificate: cert, key: cert) }
    }
}
