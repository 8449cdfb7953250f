import FerryApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import FerryHTTP

/// The console in process: login, session cookie, CSRF, escaping, read-only sessions.
@Suite struct ConsoleTests {
    /// Logs in and returns the cookie header to send and the page's CSRF token.
    func login(_ client: some TestClientProtocol, token: String, fixture: ServerFixture) async throws
        -> (cookie: String, csrf: String)
    {
        let reply = try await client.call(
            .post, "/login", token: nil, body: "token=\(token)",
            headers: [.contentType: "application/x-www-form-urlencoded"], fixture: fixture)
        #expect(reply.status == .seeOther)
        let setCookie = try #require(reply.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly"))
        #expect(setCookie.contains("SameSite=Strict"))
        #expect(!setCookie.contains("Secure"))
        let cookie = String(setCookie.split(separator: ";")[0])
        let page = try await client.call(.get, "/", token: nil, headers: [.cookie: cookie], fixture: fixture)
        #expect(page.status == .ok)
        let csrf = try #require(
            page.text.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression).map {
                String(page.text[$0].dropFirst(#"name="_csrf" value=""#.count).dropLast())
            })
        return (cookie, csrf)
    }

    func form(_ fields: [String: String]) -> String {
        fields.map {
            "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
    }

    @Test func pagesNeedALoginAndTheSessionCookieIsStrict() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            for path in ["/", "/destinations", "/segments", "/activations", "/runs", "/runs/x"] {
                let reply = try await client.call(.get, path, token: nil, fixture: fixture)
                #expect(reply.status == .seeOther, "\(path)")
                #expect(reply.headers[.location] == "/login")
            }
            let loginPage = try await client.call(.get, "/login", token: nil, fixture: fixture)
            #expect(loginPage.status == .ok)
            let csp = try #require(loginPage.headers[.contentSecurityPolicy])
            #expect(csp.contains("default-src 'none'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(loginPage.headers[.xContentTypeOptions] == "nosniff")

            let wrong = try await client.call(
                .post, "/login", token: nil, body: "token=ferry_wrong",
                headers: [.contentType: "application/x-www-form-urlencoded"], fixture: fixture)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)

            let (cookie, csrf) = try await login(client, token: fixture.writeToken, fixture: fixture)
            for path in [
                "/", "/destinations", "/segments", "/activations", "/runs",
                "/runs?activation=&segment=&since=2026-01-01&status=failed",
            ] {
                let reply = try await client.call(.get, path, token: nil, headers: [.cookie: cookie], fixture: fixture)
                #expect(reply.status == .ok, "\(path)")
                #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(!reply.text.contains("<script"))
            }
            // Revoking the token ends the sessions made with it.
            let (other, _) = try await login(client, token: fixture.readToken, fixture: fixture)
            try await fixture.app.revokeToken("reader")
            #expect(
                try await client.call(.get, "/runs", token: nil, headers: [.cookie: other], fixture: fixture).status
                    == .seeOther)
            // Logging out ends the session.
            let out = try await client.call(
                .post, "/logout", token: nil, body: "_csrf=\(csrf)",
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], fixture: fixture)
            #expect(out.status == .seeOther)
            #expect(
                try await client.call(.get, "/", token: nil, headers: [.cookie: cookie], fixture: fixture).status
                    == .seeOther)
        }
    }

    @Test func formsWithoutTheCSRFTokenChangeNothing() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let (cookie, csrf) = try await login(client, token: fixture.writeToken, fixture: fixture)
            let headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            for csrfField in ["", "_csrf=forged&"] {
                let reply = try await client.call(
                    .post, "/segments", token: nil, body: csrfField + form(["name": "x", "pql": "vip = true"]),
                    headers: headers, fixture: fixture)
                #expect(reply.status == .forbidden)
            }
            #expect(try await fixture.app.segments().isEmpty)
            let saved = try await client.call(
                .post, "/segments", token: nil,
                body: form(["_csrf": csrf, "name": "vips", "pql": "vip = true", "action": "save"]), headers: headers,
                fixture: fixture)
            #expect(saved.status == .ok)
            #expect(saved.text.contains("Segment vips saved: 1 members."))
        }
    }

    @Test func whatUsersTypedIsEscapedAndPQLErrorsShowTheirPosition() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let (cookie, csrf) = try await login(client, token: fixture.writeToken, fixture: fixture)
            let headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            let evil = "<script>alert(1)</script>"
            _ = try await client.call(
                .post, "/segments", token: nil,
                body: form(["_csrf": csrf, "name": evil, "pql": "vip = true", "action": "save"]), headers: headers,
                fixture: fixture)
            let page = try await client.call(
                .get, "/segments", token: nil, headers: [.cookie: cookie], fixture: fixture)
            #expect(!page.text.contains(evil))
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))

            let bad = try await client.call(
                .post, "/segments", token: nil,
                body: form(["_csrf": csrf, "name": "b", "pql": "loyalty.tier = ", "action": "check"]), headers: headers,
                fixture: fixture)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("1:16"))
            #expect(bad.text.contains("^"))
        }
    }

    @Test func aReadOnlySessionSeesNoFormsAndCannotPost() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let (cookie, csrf) = try await login(client, token: fixture.readToken, fixture: fixture)
            let page = try await client.call(
                .get, "/segments", token: nil, headers: [.cookie: cookie], fixture: fixture)
            #expect(!page.text.contains("New segment"))
            let refused = try await client.call(
                .post, "/segments", token: nil,
                body: form(["_csrf": csrf, "name": "x", "pql": "vip = true", "action": "save"]),
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], fixture: fixture)
            #expect(refused.status == .forbidden)
            #expect(try await fixture.app.segments().isEmpty)
        }
    }

    @Test func aDestinationFormShowsTheSixPermissionsAndNeverTheSecret() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let (cookie, csrf) = try await login(client, token: fixture.writeToken, fixture: fixture)
            let env = MotoEnvironment.shared
            let keys = env.users["no-s3:PutObject"]!
            let reply = try await client.call(
                .post, "/destinations", token: nil,
                body: form([
                    "_csrf": csrf, "name": "weak", "bucket": env.bucket, "region": env.region,
                    "accessKeyId": keys.accessKeyId, "secretAccessKey": keys.secretAccessKey,
                ]), headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], fixture: fixture)
            #expect(reply.status == .badRequest)
            #expect(reply.text.components(separatedBy: ">pass<").count - 1 == 5)
            #expect(reply.text.components(separatedBy: ">fail<").count - 1 == 1)
            #expect(!reply.text.contains(keys.secretAccessKey))
            #expect(try await fixture.app.destinations().isEmpty)
        }
    }
}

/// Pure parts: addresses, pages and forms.
@Suite struct ServerPartsTests {
    @Test(arguments: [
        ("8080", "127.0.0.1", 8080), ("127.0.0.1:9000", "127.0.0.1", 9000), ("0.0.0.0:80", "0.0.0.0", 80),
        ("[::1]:8080", "::1", 8080), (":8081", "127.0.0.1", 8081),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) throws {
        let listen = try FerryServer.Listen(parsing: text)
        #expect(listen.host == host)
        #expect(listen.port == port)
    }

    @Test(arguments: ["localhost", "host:port", "1.2.3.4:70000", ""])
    func badListenAddressesAreRefused(text: String) {
        #expect(throws: AppError.self) { try FerryServer.Listen(parsing: text) }
    }

    @Test func pagesHandOutCursorsUntilTheEnd() throws {
        let all = Array(1...5)
        let first = try PageRequest(limit: 2, cursor: nil).slice(all)
        #expect(first.items == [1, 2])
        let second = try PageRequest(limit: 2, cursor: first.nextCursor).slice(all)
        #expect(second.items == [3, 4])
        let third = try PageRequest(limit: 2, cursor: second.nextCursor).slice(all)
        #expect(third.items == [5])
        #expect(third.nextCursor == nil)
        #expect(throws: AppError.self) { try PageRequest(limit: 0, cursor: nil) }
        #expect(throws: AppError.self) { try PageRequest(limit: 2, cursor: "not a cursor") }
    }

    @Test func formsDecodePlusAndPercentAndKeepRepeats() {
        let fields = ConsoleRoutes.parseForm("a=x+y&b=%3Cscript%3E&s=1&s=2&empty=")
        #expect(fields["a"] == ["x y"])
        #expect(fields["b"] == ["<script>"])
        #expect(fields["s"] == ["1", "2"])
        #expect(fields["empty"] == [""])
    }
}

/// The console changes an activation in place with the same rules as the API.
@Suite struct ConsoleActivationEditTests {
    @Test func anActivationIsEditedInPlaceAndBadChangesAreShown() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.cleanUp() }
        try await Application(router: fixture.router).test(.router) { client in
            let w = fixture.writeToken
            try await client.makeAcmeAndGold(fixture)
            let created = try await client.call(
                .post, "/api/v1/activations", token: w,
                body:
                    #"{"name":"daily","destination":"acme","segments":["gold"],"frequency":"daily","columns":[{"source":"identityMap.Email","column":"email"}]}"#,
                fixture: fixture)
            let id = try #require((created.json["activation"] as? [String: Any])?["id"] as? String)
            let console = ConsoleTests()
            let (cookie, csrf) = try await console.login(client, token: w, fixture: fixture)
            let editor = try await client.call(
                .get, "/activations/\(id)/edit", token: nil, headers: [.cookie: cookie], fixture: fixture)
            #expect(editor.status == .ok)
            #expect(editor.text.contains("<option selected>daily</option>"), "\(editor.text)")
            #expect(editor.text.contains("identityMap.Email=email"))

            let formHeaders: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            var fields = [
                "_csrf": csrf, "name": "weekly", "destination": "acme", "segment": "gold", "frequency": "weekly",
                "day": "friday", "trigger": "schedule", "mode": "incremental", "start": "2026-01-02T06:00",
                "end": "", "enabled": "on", "columns": "identityMap.Email=mail\nperson.name.lastName",
            ]
            let saved = try await client.call(
                .post, "/activations/\(id)/edit", token: nil, body: console.form(fields), headers: formHeaders,
                fixture: fixture)
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(saved.text.contains("Activation weekly saved."))
            #expect(saved.text.contains("weekly on friday from 2026-01-02 06:00:00"), "\(saved.text)")
            let record = try await fixture.app.activation(id)
            #expect(record.name == "weekly")
            // A segment's size is shown before it is saved.
            let checked = try await client.call(
                .post, "/segments", token: nil,
                body: console.form(["_csrf": csrf, "name": "vip", "pql": "vip = true", "action": "check"]),
                headers: formHeaders, fixture: fixture)
            #expect(checked.text.contains("1 profile match it now"), "\(checked.text)")
            #expect(try await fixture.app.segments().map(\.name) == ["gold"])
            #expect(record.mode == .incremental)
            #expect(record.mappings.map(\.column) == ["mail", "person_name_lastName"])

            fields["day"] = "someday"
            let refused = try await client.call(
                .post, "/activations/\(id)/edit", token: nil, body: console.form(fields), headers: formHeaders,
                fixture: fixture)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("is a weekday"))
            #expect(try await fixture.app.activation(id).day == 6)

            // Without the CSRF token nothing changes.
            fields["_csrf"] = "forged"
            fields["day"] = "monday"
            let forged = try await client.call(
                .post, "/activations/\(id)/edit", token: nil, body: console.form(fields), headers: formHeaders,
                fixture: fixture)
            #expect(forged.status == .forbidden)
            #expect(try await fixture.app.activation(id).day == 6)
            #expect(
                try await client.call(
                    .get, "/activations/nope/edit", token: nil, headers: [.cookie: cookie], fixture: fixture
                ).status == .notFound)
        }
    }
}
