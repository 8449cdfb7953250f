import FerryApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import FerryHTTP

/// Every API route in process: the happy path, then 401, 403, 404 and 400,
/// with every body checked for secrets by `call`.
@Suite struct APIRouteTests {
    @Test func withoutAValidTokenEveryRouteAnswers401AndLeaksNothing() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            _ = try await client.call(
                .post, "/api/v1/segments", token: fixture.writeToken,
                body: #"{"name":"gold","pql":"loyalty.tier = \"gold\""}"#, fixture: fixture)
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/v1/destinations"), (.post, "/api/v1/destinations"), (.get, "/api/v1/destinations/x"),
                (.delete, "/api/v1/destinations/x"), (.post, "/api/v1/destinations/x/test"),
                (.get, "/api/v1/segments"), (.post, "/api/v1/segments"), (.get, "/api/v1/segments/gold"),
                (.get, "/api/v1/segments/nope"), (.delete, "/api/v1/segments/gold"),
                (.post, "/api/v1/segments/gold/evaluate"), (.get, "/api/v1/segments/gold/members"),
                (.get, "/api/v1/activations"), (.post, "/api/v1/activations"), (.get, "/api/v1/activations/x"),
                (.patch, "/api/v1/activations/x"), (.delete, "/api/v1/activations/x"),
                (.post, "/api/v1/activations/x/enable"), (.post, "/api/v1/activations/x/disable"),
                (.post, "/api/v1/activations/x/export"), (.get, "/api/v1/runs"), (.get, "/api/v1/runs/x"),
                (.get, "/api/v1/profiles/Email:ann@example.com"), (.get, "/api/v1/status"),
            ]
            var bodies = Set<String>()
            for (method, uri) in routes {
                for token: String? in [nil, "ferry_not-a-real-token", "Basic abc"] {
                    let headers: HTTPFields = token == "Basic abc" ? [.authorization: "Basic abc"] : [:]
                    let reply = try await client.call(
                        method, uri, token: token == "Basic abc" ? nil : token, headers: headers, fixture: fixture)
                    #expect(reply.status == .unauthorized, "\(method) \(uri)")
                    #expect(reply.headers[.wwwAuthenticate] == "Bearer")
                    bodies.insert(reply.text)
                }
            }
            // One answer for all: whether a segment exists is not told.
            #expect(bodies.count == 1)
            #expect(!bodies.first!.contains("gold"))

            // A revoked token stops working at once.
            try await fixture.app.revokeToken("reader")
            let revoked = try await client.call(.get, "/api/v1/segments", token: fixture.readToken, fixture: fixture)
            #expect(revoked.status == .unauthorized)
        }
    }

    @Test func destinationsCreateTestListGetDelete() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            let r = fixture.readToken
            let created = try await client.call(
                .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(), fixture: fixture)
            #expect(created.status == .created, "\(created.text)")
            let permissions = try #require(created.json["permissions"] as? [[String: Any]])
            #expect(permissions.count == 6)
            #expect(permissions.allSatisfy { $0["granted"] as? Bool == true })
            let destination = try #require(created.json["destination"] as? [String: Any])
            let id = try #require(destination["id"] as? String)
            #expect((destination["accessKeyId"] as? String)?.contains("*") == true)
            #expect(destination["endpoint"] as? String == MotoEnvironment.shared.endpoint)

            let list = try await client.call(.get, "/api/v1/destinations", token: r, fixture: fixture)
            #expect(list.status == .ok)
            #expect(list.items.map { $0["name"] as? String } == ["acme"])
            #expect(try await client.call(.get, "/api/v1/destinations/\(id)", token: r, fixture: fixture).status == .ok)
            #expect(try await client.call(.get, "/api/v1/destinations/acme", token: r, fixture: fixture).status == .ok)
            let tested = try await client.call(.post, "/api/v1/destinations/acme/test", token: w, fixture: fixture)
            #expect(tested.status == .ok)
            #expect((tested.json["permissions"] as? [Any])?.count == 6)

            // 403: a read-only token changes nothing.
            for (method, uri) in [
                (HTTPRequest.Method.post, "/api/v1/destinations"), (.post, "/api/v1/destinations/acme/test"),
                (.delete, "/api/v1/destinations/acme"),
            ] {
                let refused = try await client.call(
                    method, uri, token: r, body: fixture.destinationBody(name: "other"), fixture: fixture)
                #expect(refused.status == .forbidden, "\(method) \(uri)")
                #expect(refused.errorCode == "forbidden")
            }
            #expect(try await fixture.app.destinations().count == 1)

            // 400: each bad field named.
            let missing = try await client.call(
                .post, "/api/v1/destinations", token: w, body: #"{"name":"x","accessKeyId":"a","secretAccessKey":"b"}"#,
                fixture: fixture)
            #expect(missing.status == .badRequest)
            #expect(missing.errorField == "bucket")
            let wrongType = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: #"{"name":"x","bucket":7,"accessKeyId":"a","secretAccessKey":"b"}"#, fixture: fixture)
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.errorField == "bucket")
            let notJSON = try await client.call(
                .post, "/api/v1/destinations", token: w, body: "{nope", fixture: fixture)
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "badBody")
            var badBucket = fixture.destinationBody(name: "bad")
            badBucket = badBucket.replacingOccurrences(of: MotoEnvironment.shared.bucket, with: "Not_A_Bucket")
            let bucketReply = try await client.call(
                .post, "/api/v1/destinations", token: w, body: badBucket, fixture: fixture)
            #expect(bucketReply.status == .badRequest)
            #expect(bucketReply.errorField == "bucket")
            let badType = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: fixture.destinationBody(name: "t").replacingOccurrences(
                    of: "\"name\"", with: "\"fileType\":\"xls\",\"name\""),
                fixture: fixture)
            #expect(badType.status == .badRequest)
            #expect(badType.errorField == "fileType")
            #expect(
                try await client.call(.get, "/api/v1/destinations?limit=0", token: r, fixture: fixture).status
                    == .badRequest)
            #expect(
                try await client.call(.get, "/api/v1/destinations?cursor=zzz", token: r, fixture: fixture).status
                    == .badRequest)

            // 409: the name is taken. 422: a key without PutObject saves nothing and says so.
            let duplicate = try await client.call(
                .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(), fixture: fixture)
            #expect(duplicate.status == .conflict)
            let weak = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: fixture.destinationBody(name: "weak", user: "no-s3:PutObject"),
                fixture: fixture)
            #expect(weak.status == .unprocessableContent)
            #expect(weak.errorCode == "missingPermission")
            #expect(weak.text.contains("s3:PutObject"))
            #expect(try await fixture.app.destinations().count == 1)

            // 404s.
            #expect(
                try await client.call(.get, "/api/v1/destinations/nope", token: r, fixture: fixture).status == .notFound
            )
            #expect(
                try await client.call(.post, "/api/v1/destinations/nope/test", token: w, fixture: fixture).status
                    == .notFound)
            #expect(
                try await client.call(.delete, "/api/v1/destinations/nope", token: w, fixture: fixture).status
                    == .notFound)

            #expect(
                try await client.call(.delete, "/api/v1/destinations/acme", token: w, fixture: fixture).status
                    == .noContent)
            #expect(try await fixture.app.destinations().isEmpty)

            // Saved without the check: the session token is sealed and never shown.
            let unchecked = try await client.call(
                .post, "/api/v1/destinations", token: w,
                body: fixture.destinationBody(name: "later", skipValidation: true, sessionToken: true), fixture: fixture
            )
            #expect(unchecked.status == .created)
            #expect(unchecked.json["permissions"] == nil)
            let record = try await fixture.app.destination("later")
            #expect(record.sealedSessionToken != nil)
            #expect(try await client.call(.get, "/api/v1/destinations/later", token: r, fixture: fixture).status == .ok)
        }
    }

    @Test func segmentsCreateEvaluateMembersDelete() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            let r = fixture.readToken
            let created = try await client.call(
                .post, "/api/v1/segments", token: w,
                body: #"{"name":"gold","pql":"loyalty.tier = \"gold\"","description":"gold tier"}"#, fixture: fixture)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["estimatedSize"] == nil)

            let bad = try await client.call(
                .post, "/api/v1/segments", token: w, body: #"{"name":"broken","pql":"loyalty.tier = "}"#,
                fixture: fixture)
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "pql")
            #expect(bad.errorCode == "badPQL")
            #expect((bad.json["error"] as? [String: Any])?["message"] as? String ?? "" ~= "at 1:")
            #expect(
                try await client.call(.post, "/api/v1/segments", token: w, body: #"{"name":"x"}"#, fixture: fixture)
                    .errorField == "pql")
            #expect(
                try await client.call(
                    .post, "/api/v1/segments", token: w, body: #"{"name":"gold","pql":"vip = true"}"#, fixture: fixture
                ).status == .conflict)
            #expect(
                try await client.call(
                    .post, "/api/v1/segments", token: r, body: #"{"name":"ro","pql":"vip = true"}"#, fixture: fixture
                ).status == .forbidden)

            let evaluated = try await client.call(.post, "/api/v1/segments/gold/evaluate", token: w, fixture: fixture)
            #expect(evaluated.status == .ok)
            #expect(evaluated.json["realized"] as? Int == 2)
            #expect(
                try await client.call(.post, "/api/v1/segments/gold/evaluate", token: r, fixture: fixture).status
                    == .forbidden)
            let one = try await client.call(.get, "/api/v1/segments/gold", token: r, fixture: fixture)
            #expect(one.json["estimatedSize"] as? Int == 2)
            let list = try await client.call(.get, "/api/v1/segments?limit=1", token: r, fixture: fixture)
            #expect(list.items.count == 1)

            let first = try await client.call(.get, "/api/v1/segments/gold/members?limit=1", token: r, fixture: fixture)
            #expect(first.status == .ok)
            #expect(first.items.count == 1)
            let cursor = try #require(first.json["nextCursor"] as? String)
            let second = try await client.call(
                .get, "/api/v1/segments/gold/members?limit=1&cursor=\(cursor)", token: r, fixture: fixture)
            #expect(second.items.count == 1)
            #expect(second.json["nextCursor"] == nil)
            #expect(
                Set((first.items + second.items).compactMap { $0["id"] as? String })
                    == ["ann@example.com", "cy@example.com"])
            #expect(
                try await client.call(.get, "/api/v1/segments/gold/members?status=maybe", token: r, fixture: fixture)
                    .errorField == "status")
            #expect(
                try await client.call(.get, "/api/v1/segments/gold/members?limit=x", token: r, fixture: fixture)
                    .errorField == "limit")
            #expect(
                try await client.call(.get, "/api/v1/segments/gold/members?cursor=-4", token: r, fixture: fixture)
                    .errorField == "cursor")

            for uri in ["/api/v1/segments/nope", "/api/v1/segments/nope/members"] {
                #expect(try await client.call(.get, uri, token: r, fixture: fixture).status == .notFound)
            }
            #expect(
                try await client.call(.post, "/api/v1/segments/nope/evaluate", token: w, fixture: fixture).status
                    == .notFound)
            #expect(
                try await client.call(.delete, "/api/v1/segments/nope", token: w, fixture: fixture).status == .notFound)
            #expect(
                try await client.call(.delete, "/api/v1/segments/gold", token: r, fixture: fixture).status == .forbidden
            )
            #expect(
                try await client.call(.delete, "/api/v1/segments/gold", token: w, fixture: fixture).status == .noContent
            )
        }
    }

    @Test func activationsExportNowAndRuns() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            let r = fixture.readToken
            #expect(
                try await client.call(
                    .post, "/api/v1/destinations", token: w, body: fixture.destinationBody(), fixture: fixture
                ).status == .created)
            _ = try await client.call(
                .post, "/api/v1/segments", token: w, body: #"{"name":"gold","pql":"loyalty.tier = \"gold\""}"#,
                fixture: fixture)
            let body = """
                {"name":"daily","destination":"acme","segments":["gold"],
                 "columns":[{"source":"identityMap.Email","column":"email"},{"source":"person.name.lastName"}],
                 "frequency":"daily","start":"2026-01-01T06:00:00Z"}
                """
            let created = try await client.call(.post, "/api/v1/activations", token: w, body: body, fixture: fixture)
            #expect(created.status == .created, "\(created.text)")
            let activation = try #require(created.json["activation"] as? [String: Any])
            let id = try #require(activation["id"] as? String)
            #expect(
                (activation["mappings"] as? [[String: Any]])?.map { $0["column"] as? String } == [
                    "email", "person_name_lastName",
                ])

            // 400s name their field; 404 for a destination that is not there; 409 for a taken name.
            let noColumns = body.replacingOccurrences(
                of: #"[{"source":"identityMap.Email","column":"email"},{"source":"person.name.lastName"}]"#, with: "[]")
            #expect(
                try await client.call(
                    .post, "/api/v1/activations", token: w,
                    body: noColumns.replacingOccurrences(of: "daily\",\"d", with: "x\",\"d"),
                    fixture: fixture
                ).errorField == "columns")
            #expect(
                try await client.call(
                    .post, "/api/v1/activations", token: w,
                    body: body.replacingOccurrences(of: #""frequency":"daily""#, with: #""frequency":"hourly""#),
                    fixture: fixture
                ).errorField == "frequency")
            #expect(
                try await client.call(
                    .post, "/api/v1/activations", token: w,
                    body: body.replacingOccurrences(of: "2026-01-01T06:00:00Z", with: "yesterday"), fixture: fixture
                ).errorField == "start")
            #expect(
                try await client.call(
                    .post, "/api/v1/activations", token: w,
                    body: body.replacingOccurrences(of: #""destination":"acme""#, with: #""destination":"gone""#)
                        .replacingOccurrences(of: #""name":"daily""#, with: #""name":"other""#), fixture: fixture
                ).status == .notFound)
            #expect(
                try await client.call(.post, "/api/v1/activations", token: w, body: body, fixture: fixture).status
                    == .conflict)
            #expect(
                try await client.call(.post, "/api/v1/activations", token: r, body: body, fixture: fixture).status
                    == .forbidden)

            #expect(try await client.call(.get, "/api/v1/activations", token: r, fixture: fixture).items.count == 1)
            #expect(try await client.call(.get, "/api/v1/activations/daily", token: r, fixture: fixture).status == .ok)
            #expect(
                try await client.call(.get, "/api/v1/activations/nope", token: r, fixture: fixture).status == .notFound)
            let disabled = try await client.call(
                .patch, "/api/v1/activations/\(id)", token: w, body: #"{"enabled":false}"#, fixture: fixture)
            #expect(disabled.json["enabled"] as? Bool == false)
            #expect(
                try await client.call(
                    .patch, "/api/v1/activations/\(id)", token: w, body: #"{"enabled":"yes"}"#, fixture: fixture
                ).errorField == "enabled")
            #expect(
                try await client.call(.post, "/api/v1/activations/\(id)/enable", token: w, fixture: fixture).json[
                    "enabled"] as? Bool == true)
            #expect(
                try await client.call(.post, "/api/v1/activations/\(id)/disable", token: r, fixture: fixture).status
                    == .forbidden)
            #expect(
                try await client.call(.post, "/api/v1/activations/nope/disable", token: w, fixture: fixture).status
                    == .notFound)

            // Export file now, then the run as the runs routes show it.
            let exported = try await client.call(
                .post, "/api/v1/activations/daily/export", token: w, body: #"{"at":"2026-02-01T06:00:00Z"}"#,
                fixture: fixture)
            #expect(exported.status == .ok, "\(exported.text)")
            let result = try #require((exported.json["results"] as? [[String: Any]])?.first)
            #expect(result["outcome"] as? String == "success", "\(exported.text)")
            let run = try #require(result["run"] as? [String: Any])
            #expect(run["exported"] as? Int == 2)
            let runId = try #require(run["id"] as? String)
            #expect(
                try await client.call(
                    .post, "/api/v1/activations/daily/export", token: w, body: #"{"segment":"nope"}"#, fixture: fixture
                ).status == .notFound)
            #expect(
                try await client.call(
                    .post, "/api/v1/activations/daily/export", token: w, body: #"{"at":"noon"}"#, fixture: fixture
                ).errorField == "at")
            #expect(
                try await client.call(.post, "/api/v1/activations/daily/export", token: r, fixture: fixture).status
                    == .forbidden)
            #expect(
                try await client.call(.post, "/api/v1/activations/nope/export", token: w, fixture: fixture).status
                    == .notFound)

            let runs = try await client.call(
                .get, "/api/v1/runs?activation=daily&segment=gold&status=success&since=2020-01-01T00:00:00Z", token: r,
                fixture: fixture)
            #expect(runs.items.map { $0["id"] as? String } == [runId])
            #expect(
                try await client.call(.get, "/api/v1/runs?status=failed", token: r, fixture: fixture).items.isEmpty)
            let detail = try await client.call(.get, "/api/v1/runs/\(runId)", token: r, fixture: fixture)
            #expect(detail.status == .ok)
            #expect((detail.json["files"] as? [[String: Any]])?.first?["rows"] as? Int == 2)
            #expect(try await client.call(.get, "/api/v1/runs/nope", token: r, fixture: fixture).status == .notFound)
            #expect(
                try await client.call(.get, "/api/v1/runs?status=done", token: r, fixture: fixture).errorField
                    == "status")
            #expect(
                try await client.call(.get, "/api/v1/runs?since=monday", token: r, fixture: fixture).errorField
                    == "since")
            #expect(
                try await client.call(.get, "/api/v1/runs?activation=nope", token: r, fixture: fixture).status
                    == .notFound)

            let status = try await client.call(.get, "/api/v1/status", token: r, fixture: fixture)
            #expect(status.status == .ok)
            #expect((status.json["lines"] as? [[String: Any]])?.first?["segment"] as? String == "gold")

            // A destination or segment in use is not deleted; the activation is.
            #expect(
                try await client.call(.delete, "/api/v1/destinations/acme", token: w, fixture: fixture).status
                    == .conflict)
            #expect(
                try await client.call(.delete, "/api/v1/segments/gold", token: w, fixture: fixture).status == .conflict)
            #expect(
                try await client.call(.delete, "/api/v1/activations/daily", token: r, fixture: fixture).status
                    == .forbidden)
            #expect(
                try await client.call(.delete, "/api/v1/activations/daily", token: w, fixture: fixture).status
                    == .noContent)
            #expect(
                try await client.call(.delete, "/api/v1/activations/daily", token: w, fixture: fixture).status
                    == .notFound)
        }
    }

    @Test func profilesHealthAndTheDocument() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let r = fixture.readToken
            let found = try await client.call(
                .get, "/api/v1/profiles/Email:ann@example.com", token: r, fixture: fixture)
            #expect(found.status == .ok)
            #expect(found.json["namespace"] as? String == "Email")
            #expect(
                ((found.json["profile"] as? [String: Any])?["loyalty"] as? [String: Any])?["tier"] as? String == "gold")
            #expect(
                try await client.call(.get, "/api/v1/profiles/Email:nobody@example.com", token: r, fixture: fixture)
                    .status
                    == .notFound)
            #expect(
                try await client.call(.get, "/api/v1/profiles/no-colon", token: r, fixture: fixture).errorField == "ref"
            )

            #expect(try await client.call(.get, "/healthz", token: nil, fixture: fixture).status == .ok)
            #expect(try await client.call(.get, "/readyz", token: nil, fixture: fixture).status == .ok)

            let document = try await client.call(.get, "/api/v1/openapi.json", token: nil, fixture: fixture)
            #expect(document.status == .ok)
            #expect(document.json["openapi"] as? String == "3.1.0")
            let kept = try String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("docs/openapi.json"), encoding: .utf8)
            #expect(
                document.text.trimmingCharacters(in: .whitespacesAndNewlines)
                    == kept.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

/// `"text" ~= "part"`: the text contains the part.
private func ~= (text: String, part: String) -> Bool { text.contains(part) }
