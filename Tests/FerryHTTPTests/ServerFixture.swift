import FerryApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Workspace

@testable import FerryHTTP

/// The moto server `scripts/test` starts (FERRY_TEST_ENV), or one started for this process.
struct MotoEnvironment: Decodable, Sendable {
    struct Keys: Decodable, Sendable {
        var accessKeyId: String
        var secretAccessKey: String
    }

    var endpoint: String
    var region: String
    var bucket: String
    var users: [String: Keys]

    static let shared: MotoEnvironment = {
        var path = ProcessInfo.processInfo.environment["FERRY_TEST_ENV"] ?? ""
        if path.isEmpty {
            path = NSTemporaryDirectory() + "ferry-http-test-env-\(getpid()).json"
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", root.appendingPathComponent("scripts/lib/s3_fixture.py").path, "start", "--out", path,
                "--parent-pid", String(getpid()),
            ]
            try! process.run()
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: path) { usleep(100_000) }
        }
        return try! JSONDecoder().decode(MotoEnvironment.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }()
}

/// A workspace in a temporary folder with profiles, a read-write and a
/// read-only token, and the router over it.
struct ServerFixture {
    let directory: URL
    let workspace: Workspace
    let app: FerryUseCases
    let writeToken: String
    let readToken: String
    /// Text no response may ever contain.
    var secrets: [String]

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-http-\(UUID().uuidString)")
        workspace = try Workspace(directory: directory, create: true, environment: [:])
        var app = FerryUseCases(workspace: workspace)
        app.defaultEndpoint = MotoEnvironment.shared.endpoint
        self.app = app
        let profiles = directory.appendingPathComponent("profiles.jsonl")
        try Data(
            """
            {"identityMap":{"Email":[{"id":"ann@example.com","primary":true}]},"person":{"name":{"lastName":"Lee"}},"loyalty":{"tier":"gold"},"vip":true}
            {"identityMap":{"Email":[{"id":"bo@example.com","primary":true}]},"person":{"name":{"lastName":"Kim"}},"loyalty":{"tier":"silver"}}
            {"identityMap":{"Email":[{"id":"cy@example.com","primary":true}]},"person":{"name":{"lastName":"Park"}},"loyalty":{"tier":"gold"}}

            """.utf8
        ).write(to: profiles)
        _ = try await workspace.importProfiles([.file(profiles.path)], options: ImportOptions()) { _ in }
        writeToken = try await app.createToken(name: "writer", readOnly: false).1
        readToken = try await app.createToken(name: "reader", readOnly: true).1
        let keys = MotoEnvironment.shared.users["full"]!
        secrets = [keys.secretAccessKey, "session-token-secret-42", writeToken, readToken]
    }

    var router: Router<FerryRequestContext> { FerryServer.buildRouter(app: app) }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// A destination body against moto with the "full" user.
    func destinationBody(
        name: String = "acme", user: String = "full", skipValidation: Bool? = nil, sessionToken: Bool = false
    ) -> String {
        let env = MotoEnvironment.shared
        let keys = env.users[user]!
        var body: [String: Any] = [
            "name": name, "bucket": env.bucket, "folderPath": "http-tests/%SEGMENT_NAME%", "region": env.region,
            "accessKeyId": keys.accessKeyId, "secretAccessKey": keys.secretAccessKey,
        ]
        // moto refuses a made-up session token, so only saves that skip the check carry one.
        if sessionToken { body["sessionToken"] = "session-token-secret-42" }
        if let skipValidation { body["skipValidation"] = skipValidation }
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }
}

/// A response read into what tests check.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
}

extension TestClientProtocol {
    /// Sends a request and checks what every response must hold: no secret
    /// in the body, the security headers, and a JSON error body on API failures.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, body: String? = nil,
        headers extra: HTTPFields = [:], fixture: ServerFixture, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let reply = Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        for secret in fixture.secrets {
            #expect(
                !reply.text.contains(secret), "a secret leaked from \(method) \(uri)", sourceLocation: sourceLocation)
        }
        #expect(reply.headers[.contentSecurityPolicy] != nil, sourceLocation: sourceLocation)
        if uri.hasPrefix("/api/"), reply.status.code >= 400 {
            #expect(
                reply.errorCode != nil, "\(method) \(uri) -> \(reply.status): \(reply.text)",
                sourceLocation: sourceLocation)
        }
        return reply
    }
}

extension TestClientProtocol {
    /// The "acme" destination on moto and the "gold" segment, where most route tests start.
    func makeAcmeAndGold(_ fixture: ServerFixture) async throws {
        let w = fixture.writeToken
        let destination = try await call(
            .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(), fixture: fixture)
        #expect(destination.status == .created, "\(destination.text)")
        let segment = try await call(
            .post, "/api/v1/segments", token: w, body: #"{"name":"gold","pql":"loyalty.tier = \"gold\""}"#,
            fixture: fixture)
        #expect(segment.status == .created, "\(segment.text)")
    }
}
