import FerryApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import S3
import TestSupport
import Testing

@testable import FerryHTTP

/// The API takes every option the CLI has, with the same rules: file types,
/// PGP keys, assumed roles, SSE, weekly and monthly schedules, triggers,
/// activation changes and dry runs.
@Suite struct APIParityTests {
    func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The fixture's destination body with changes.
    func destination(_ fixture: ServerFixture, _ changes: [String: Any], dropKeys: Bool = false) -> String {
        var body =
            (try! JSONSerialization.jsonObject(with: Data(fixture.destinationBody().utf8))) as! [String: Any]
        if dropKeys {
            body["accessKeyId"] = nil
            body["secretAccessKey"] = nil
        }
        body.merge(changes) { $1 }
        return json(body)
    }

    @Test func destinationsTakeFileTypesSSEAndRolesWithTheCLIsRules() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            let parquet = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: destination(
                    fixture,
                    [
                        "name": "pq", "fileType": "parquet", "compression": "snappy", "nested": true, "sse": "aws:kms",
                        "kmsKeyId": "alias/ferry",
                    ]), fixture: fixture)
            #expect(parquet.status == .created, "\(parquet.text)")
            let saved = try #require(parquet.json["destination"] as? [String: Any])
            #expect(saved["fileType"] as? String == "parquet")
            #expect(saved["compression"] as? String == "snappy")
            #expect(saved["nested"] as? Bool == true)
            #expect(saved["sse"] as? String == "aws:kms")
            #expect(saved["kmsKeyId"] as? String == "alias/ferry")
            #expect((parquet.json["permissions"] as? [Any])?.count == 6)

            // A role is assumed with Ferry's own credentials; no keys are stored with it.
            let role = "arn:aws:iam::123456789012:role/ferry-export"
            let assumed = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: destination(
                    fixture,
                    [
                        "name": "role", "roleArn": role, "externalId": "ext-1", "sessionName": "nightly",
                        "skipValidation": true,
                    ], dropKeys: true), fixture: fixture)
            #expect(assumed.status == .created, "\(assumed.text)")
            let roleView = try #require(assumed.json["destination"] as? [String: Any])
            #expect(roleView["roleArn"] as? String == role)
            #expect(roleView["externalId"] as? String == "ext-1")
            #expect(roleView["roleSessionName"] as? String == "nightly")

            let refusals: [(changes: [String: Any], dropKeys: Bool, field: String)] = [
                (["name": "a", "fileType": "xml"], false, "fileType"),
                (["name": "b", "compression": "snappy"], false, "compression"),
                (["name": "c", "nested": true], false, "compression"),
                (["name": "d", "roleArn": role], false, "roleArn"),
                (["name": "e", "roleArn": "arn:aws:iam::1:user/x"], true, "roleArn"),
                (["name": "f", "externalId": "ext"], false, "externalId"),
                (["name": "g", "kmsKeyId": "k"], false, "kmsKeyId"),
                (["name": "h", "sse": "des"], false, "sse"),
                (["name": "i", "sse": "aes256", "kmsKeyId": "k"], false, "kmsKeyId"),
                (
                    ["name": "j", "pgpPublicKey": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n"], false,
                    "pgpPublicKey"
                ),
                (["name": "k"], true, "accessKeyId"),
            ]
            for refusal in refusals {
                let reply = try await client.call(
                    .post, "/api/v1/destinations", token: w,
                    body: destination(fixture, refusal.changes, dropKeys: refusal.dropKeys), fixture: fixture)
                #expect(reply.status == .badRequest, "\(refusal.changes): \(reply.text)")
                #expect(reply.errorField == refusal.field, "\(refusal.changes): \(reply.text)")
            }
            // Nothing refused was saved.
            let list = try await client.call(.get, "/api/v1/destinations", token: w, fixture: fixture)
            #expect(Set(list.items.compactMap { $0["name"] as? String }) == ["pq", "role"])
        }
    }

    @Test func aPGPKeyIsTakenAsArmoredTextAndOnlyItsFingerprintShown() async throws {
        let home = NSTemporaryDirectory() + "ferry-http-gpg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: home)
        let gpg = ["gpg", "--batch", "--no-tty", "--homedir", home, "--passphrase", ""]
        let (fingerprint, armored) = try await offPool {
            defer {
                _ = try? Self.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"])
                try? FileManager.default.removeItem(atPath: home)
            }
            _ = try Self.run(gpg + ["--quick-gen-key", "Ferry Test <t@example.com>", "ed25519", "sign,cert", "never"])
            let colons = try Self.run(gpg + ["--with-colons", "--list-keys", "t@example.com"])
            let fingerprint = String(
                colons.split(separator: "\n").first { $0.hasPrefix("fpr:") }?.split(separator: ":").last ?? "")
            _ = try Self.run(gpg + ["--quick-add-key", fingerprint, "cv25519", "encr", "never"])
            return (fingerprint, try Self.run(gpg + ["--armor", "--export", fingerprint]))
        }
        #expect(armored.hasPrefix("-----BEGIN PGP PUBLIC KEY BLOCK-----"))

        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let created = try await client.call(
                .post, "/api/v1/destinations", token: fixture.writeToken,
                body: destination(fixture, ["name": "sealed", "pgpPublicKey": armored]), fixture: fixture)
            #expect(created.status == .created, "\(created.text)")
            let view = try #require(created.json["destination"] as? [String: Any])
            #expect(view["pgpFingerprint"] as? String == String(fingerprint))
            #expect(!created.text.contains("BEGIN PGP"))
            let shown = try await client.call(
                .get, "/api/v1/destinations/sealed", token: fixture.readToken, fixture: fixture)
            #expect(!shown.text.contains("BEGIN PGP"))
        }
    }

    /// Runs to its end and waits for it: call it off the pool (`offPool`).
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-gpg-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(arguments) failed"])
        }
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    @Test func activationsTakeSchedulesAndTriggersAndChangeWithPatch() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            _ = try await client.call(
                .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(), fixture: fixture)
            for (name, pql) in [("gold", #"loyalty.tier = \"gold\""#), ("silver", #"loyalty.tier = \"silver\""#)] {
                _ = try await client.call(
                    .post, "/api/v1/segments", token: w, body: #"{"name":"\#(name)","pql":"\#(pql)"}"#,
                    fixture: fixture)
            }
            let weekly = try await client.call(
                .post, "/api/v1/activations", token: w,
                body: """
                    {"name":"weekly","destination":"acme","segments":["gold"],"frequency":"weekly","day":"friday",
                     "start":"2026-01-02T06:00:00Z","columns":[{"source":"identityMap.Email","column":"email"}]}
                    """, fixture: fixture)
            #expect(weekly.status == .created, "\(weekly.text)")
            let saved = try #require(weekly.json["activation"] as? [String: Any])
            #expect(saved["frequency"] as? String == "weekly")
            // Stored as Calendar counts weekdays: Sunday is 1, Friday 6.
            #expect(saved["day"] as? Int == 6)
            let id = try #require(saved["id"] as? String)
            let template = try #require(saved["fileNameTemplate"] as? String)

            let afterEvaluation = try await client.call(
                .post, "/api/v1/activations", token: w,
                body: """
                    {"name":"fresh","destination":"acme","segments":["silver"],"trigger":"after-evaluation",
                     "fileName":"fresh_%DESTINATION_NAME%_%SEGMENT_ID%","columns":[{"source":"identityMap.Email"}]}
                    """, fixture: fixture)
            #expect(afterEvaluation.status == .created, "\(afterEvaluation.text)")
            #expect((afterEvaluation.json["activation"] as? [String: Any])?["trigger"] as? String == "after-evaluation")

            let refused: [(String, String)] = [
                (#""frequency":"daily","trigger":"after-evaluation""#, "frequency"),
                (#""frequency":"weekly","day":"someday""#, "day"),
                (#""frequency":"daily","day":"3""#, "day"),
                (#""trigger":"sometimes""#, "trigger"),
            ]
            for (fields, field) in refused {
                let reply = try await client.call(
                    .post, "/api/v1/activations", token: w,
                    body:
                        #"{"name":"x","destination":"acme","segments":["gold"],"columns":[{"source":"identityMap.Email"}],\#(fields)}"#,
                    fixture: fixture)
                #expect(reply.status == .badRequest, "\(fields): \(reply.text)")
                #expect(reply.errorField == field, "\(fields): \(reply.text)")
            }

            // A change is checked as a create is, and keeps the id.
            let changed = try await client.call(
                .patch, "/api/v1/activations/weekly", token: w,
                body: """
                    {"name":"monthly","frequency":"monthly","day":"31","segments":["gold","silver"],
                     "columns":[{"source":"identityMap.Email","column":"mail","hashed":true},{"source":"person.name.lastName"}],
                     "end":"2027-01-01","enabled":false}
                    """, fixture: fixture)
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.json["id"] as? String == id)
            #expect(changed.json["name"] as? String == "monthly")
            #expect(changed.json["frequency"] as? String == "monthly")
            #expect(changed.json["day"] as? Int == 31)
            #expect(changed.json["enabled"] as? Bool == false)
            #expect(changed.json["endDay"] as? String == "2027-01-01")
            #expect((changed.json["segmentIds"] as? [String])?.count == 2)
            let mappings = try #require(changed.json["mappings"] as? [[String: Any]])
            #expect(mappings.map { $0["column"] as? String } == ["mail", "person_name_lastName"])
            #expect(mappings.first?["hashed"] as? Bool == true)

            // A new frequency without a day takes the start's; null removes the end day.
            let daily = try await client.call(
                .patch, "/api/v1/activations/\(id)", token: w, body: #"{"frequency":"daily","end":null}"#,
                fixture: fixture)
            #expect(daily.status == .ok, "\(daily.text)")
            #expect(daily.json["day"] == nil)
            #expect(daily.json["endDay"] == nil)
            #expect(daily.json["enabled"] as? Bool == false)

            let patchRefusals: [(String, HTTPResponse.Status, String?)] = [
                (#"{"day":"friday"}"#, .badRequest, "day"),
                (#"{"columns":[]}"#, .badRequest, "columns"),
                (#"{"timeZone":"Mars/Olympus"}"#, .badRequest, "timeZone"),
                (#"{"segments":["nope"]}"#, .notFound, nil),
                (#"{"name":"fresh"}"#, .conflict, nil),
                (#"{"enabled":"yes"}"#, .badRequest, "enabled"),
            ]
            for (body, status, field) in patchRefusals {
                let reply = try await client.call(
                    .patch, "/api/v1/activations/\(id)", token: w, body: body, fixture: fixture)
                #expect(reply.status == status, "\(body): \(reply.text)")
                if let field { #expect(reply.errorField == field, "\(body): \(reply.text)") }
            }
            // Two activations that would write the same keys are refused on change too.
            let clash = try await client.call(
                .patch, "/api/v1/activations/fresh", token: w, body: json(["fileName": template]), fixture: fixture)
            #expect(clash.status == .conflict, "\(clash.text)")
            #expect(
                try await client.call(
                    .patch, "/api/v1/activations/\(id)", token: fixture.readToken, body: #"{"enabled":true}"#,
                    fixture: fixture
                ).status == .forbidden)
            let unchanged = try await client.call(.get, "/api/v1/activations/\(id)", token: w, fixture: fixture)
            #expect(unchanged.json["name"] as? String == "monthly")
        }
    }

    @Test func aDryRunShowsTheFilesAndWritesNothing() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            try await client.makeAcmeAndGold(fixture)
            _ = try await client.call(.post, "/api/v1/segments/gold/evaluate", token: w, fixture: fixture)
            _ = try await client.call(
                .post, "/api/v1/activations", token: w,
                body:
                    #"{"name":"dry","destination":"acme","segments":["gold"],"columns":[{"source":"identityMap.Email","column":"email"}],"mandatory":["person.name.lastName"]}"#,
                fixture: fixture)
            let dry = try await client.call(
                .post, "/api/v1/activations/dry/dry-run", token: w, body: #"{"at":"2026-12-01T06:00:00Z"}"#,
                fixture: fixture)
            #expect(dry.status == .ok, "\(dry.text)")
            let result = try #require((dry.json["results"] as? [[String: Any]])?.first)
            #expect(result["received"] as? Int == 2)
            #expect(result["exported"] as? Int == 2)
            #expect((result["files"] as? [[String: Any]])?.first?["rows"] as? Int == 2)
            #expect((result["sample"] as? [String])?.first == "email")
            #expect(
                try await client.call(.get, "/api/v1/runs", token: w, fixture: fixture).items.isEmpty,
                "a dry run records no run")
            let wrongSegment = try await client.call(
                .post, "/api/v1/activations/dry/dry-run", token: w, body: #"{"segment":"gold2"}"#, fixture: fixture)
            #expect(wrongSegment.status == .notFound)
            #expect(
                try await client.call(.post, "/api/v1/activations/nope/dry-run", token: w, fixture: fixture).status
                    == .notFound)
        }
    }

    @Test func theSizeOfUnsavedPQLIsEstimatedAndNothingIsSaved() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let r = fixture.readToken
            func estimate(_ pql: String) async throws -> Reply {
                let query = pql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                return try await client.call(.get, "/api/v1/estimate?pql=\(query)", token: r, fixture: fixture)
            }
            let gold = try await estimate(#"loyalty.tier = "gold""#)
            #expect(gold.status == .ok, "\(gold.text)")
            #expect(gold.json["estimatedSize"] as? Int == 2)
            #expect(try await estimate("vip = true").json["estimatedSize"] as? Int == 1)
            #expect(try await estimate(#"person.name.lastName.startsWith("K")"#).json["estimatedSize"] as? Int == 1)
            // A definition naming a segment is sized by the evaluator, when saved.
            _ = try await client.call(
                .post, "/api/v1/segments", token: fixture.writeToken,
                body: #"{"name":"gold","pql":"loyalty.tier = \"gold\""}"#, fixture: fixture)
            let named = try await estimate(#"inSegment("gold")"#)
            #expect(named.status == .ok, "\(named.text)")
            #expect(named.text.contains(#""estimatedSize":null"#))
            let broken = try await estimate("loyalty.tier = ")
            #expect(broken.status == .badRequest)
            #expect(broken.errorField == "pql")
            #expect(
                try await client.call(.get, "/api/v1/estimate", token: r, fixture: fixture).errorField == "pql")
            #expect(try await fixture.app.segments().map(\.name) == ["gold"])
        }
    }

    @Test func s3RequestsAndRetriesAreCountedByOperationAndCode() async throws {
        let registry = MetricsAndTLSTests.registry
        RunMetrics.observeS3()
        // Nothing listens on port 1: each attempt is refused, then retried.
        let client = S3Client(
            configuration: S3ClientConfiguration(
                endpoint: URL(string: "http://127.0.0.1:1"), region: "us-east-1",
                retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
                timeouts: .standard),
            credentials: AWSCredentials(accessKeyId: "AKIAFERRYTEST", secretAccessKey: "not-a-secret"))
        await #expect(throws: S3Error.self) {
            _ = try await client.headObject(bucket: "ferry-metrics", key: "nothing")
        }
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        let requests = text.split(separator: "\n").filter {
            $0.hasPrefix("ferry_s3_requests_total{") && $0.contains(#"operation="HeadObject""#)
                && $0.contains(#"status="0""#)
        }
        #expect(!requests.isEmpty, "\(text)")
        let retries = text.split(separator: "\n").filter {
            $0.hasPrefix("ferry_s3_retries_total{") && $0.contains(#"operation="HeadObject""#)
        }
        #expect(!retries.isEmpty, "\(text)")
    }
}
