import Export
import FerryApp
import Foundation
import Hummingbird
import Mustache
import Scheduling
import Workspace

/// The web console at `/`: server-rendered pages with no script. A login
/// with an API token opens an in-memory session; every form carries the
/// session's CSRF token, and the cookie is HttpOnly and SameSite=Strict.
struct ConsoleRoutes {
    static let cookieName = "ferry_session"
    let app: FerryUseCases
    let sessions: ConsoleSessions
    let secureCookies: Bool
    let library: MustacheLibrary

    init(app: FerryUseCases, sessions: ConsoleSessions, secureCookies: Bool) {
        self.app = app
        self.sessions = sessions
        self.secureCookies = secureCookies
        // The templates are constants of this module; one that fails to parse is a programming error.
        self.library = try! ConsoleTemplates.library()
    }

    func add(to router: Router<FerryRequestContext>) {
        router.get("/static/ferry.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ConsoleTemplates.css)))
        }
        router.get("/login") { _, _ in page("login", ["title": "Log in"]) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            let session = try await requireSession(request)
            _ = try await form(request, context, session: session)
            await sessions.end(session.id)
            var response = redirect("/login")
            response.headers[.setCookie] = cookie("", maxAge: 0)
            return response
        }
        router.get("/") { request, _ in try await page(request) { try await overview($0) } }
        router.get("/destinations") { request, _ in try await page(request) { try await destinations($0) } }
        router.post("/destinations") { request, context in
            try await page(request) { session in try await createDestination(request, context, session) }
        }
        router.get("/segments") { request, _ in try await page(request) { try await segments($0) } }
        router.post("/segments") { request, context in
            try await page(request) { session in try await createSegment(request, context, session) }
        }
        router.get("/activations") { request, _ in try await page(request) { try await activations($0) } }
        router.post("/activations") { request, context in
            try await page(request) { session in try await createActivation(request, context, session) }
        }
        router.get("/activations/:id/edit") { request, context in
            try await page(request) { session in try await editActivation(try context.parameters.require("id"), session)
            }
        }
        // The router prefers the literal "edit" over ":action", so the edit form's POST has a route of its own.
        router.post("/activations/:id/edit") { request, context in
            try await page(request) { session in
                try await activationAction(
                    request, context, session, id: try context.parameters.require("id"), action: "edit")
            }
        }
        router.post("/activations/:id/:action") { request, context in
            try await page(request) { session in
                try await activationAction(
                    request, context, session, id: try context.parameters.require("id"),
                    action: try context.parameters.require("action"))
            }
        }
        router.get("/runs") { request, _ in try await page(request) { try await runs(request, $0) } }
        router.get("/runs/:id") { request, context in
            try await page(request) { try await run(try context.parameters.require("id"), $0) }
        }
    }

    // MARK: Sessions and forms

    /// A page behind the login: without a session, the browser goes to /login.
    func page(_ request: Request, _ body: (ConsoleSession) async throws -> Response) async throws -> Response {
        guard let id = request.cookies[Self.cookieName]?.value, let session = await sessions.find(id) else {
            return redirect("/login")
        }
        // A revoked token ends its sessions at once, not when they expire.
        guard await app.tokenActive(hash: session.tokenHash) else {
            await sessions.end(id)
            return redirect("/login")
        }
        do {
            return try await body(session)
        } catch let error as ConsoleRefusal {
            return page(
                "message", base(session, title: error.title).merging(["error": error.message, "back": "/"]) { $1 },
                status: error.status)
        }
    }

    func requireSession(_ request: Request) async throws -> ConsoleSession {
        guard let id = request.cookies[Self.cookieName]?.value, let session = await sessions.find(id) else {
            throw ConsoleRefusal(status: .forbidden, title: "Not logged in", message: "Log in again.")
        }
        return session
    }

    /// A posted form, refused unless it carries the session's CSRF token and
    /// the session's token may write.
    func form(_ request: Request, _ context: FerryRequestContext, session: ConsoleSession?) async throws
        -> [String: [String]]
    {
        let buffer = try await JSONResponse.body(of: request, context: context)
        let fields = Self.parseForm(String(buffer: buffer))
        if let session {
            guard fields["_csrf"]?.first == session.csrf else {
                throw ConsoleRefusal(
                    status: .forbidden, title: "Form expired",
                    message: "The form was not sent from this console; reload the page and try again.")
            }
        }
        return fields
    }

    func writableForm(_ request: Request, _ context: FerryRequestContext, _ session: ConsoleSession) async throws
        -> [String: [String]]
    {
        let fields = try await form(request, context, session: session)
        if session.token.readOnly {
            throw ConsoleRefusal(status: .forbidden, title: "Read-only", message: "This token is read-only.")
        }
        return fields
    }

    /// `application/x-www-form-urlencoded`, keeping repeated names in order.
    static func parseForm(_ text: String) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0]), default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return fields
    }

    func login(_ request: Request, _ context: FerryRequestContext) async throws -> Response {
        let fields = try await form(request, context, session: nil)
        let text = fields["token"]?.first?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let token = try? await app.authenticate(text) else {
            return page("login", ["title": "Log in", "error": "That token is not valid."], status: .unauthorized)
        }
        let session = await sessions.create(for: token, hash: TokenRecord.hash(text))
        var response = redirect("/")
        response.headers[.setCookie] = cookie(session.id, maxAge: Int(ConsoleSessions.lifetime))
        return response
    }

    func cookie(_ value: String, maxAge: Int) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: template) ?? ""
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func base(_ session: ConsoleSession, title: String) -> [String: Any] {
        [
            "title": title, "signedIn": true, "csrf": session.csrf, "tokenName": session.token.name,
            "writable": !session.token.readOnly,
        ]
    }

    /// Renders a use case's error on the page it came from.
    func failure(_ error: any Error) -> String {
        AppError.from(error)?.message ?? "The server failed; its log says why."
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "–" }
        return date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon)
                .dateTimeSeparator(.space))
    }

    // MARK: Pages

    func overview(_ session: ConsoleSession) async throws -> Response {
        var values = base(session, title: "Overview")
        let calendar: Calendar = {
            var c = Calendar(identifier: .gregorian)
            c.timeZone = TimeZone(identifier: "UTC")!
            return c
        }()
        let today = calendar.startOfDay(for: Date())
        let since = calendar.date(byAdding: .day, value: -6, to: today)!
        let recent = try await app.runs(RunFilter(since: since), page: PageRequest(limit: 1000)).items
        var days: [[String: Any]] = []
        var counts: [(Int, Int, Int)] = []
        for offset in 0..<7 {
            let start = calendar.date(byAdding: .day, value: offset, to: since)!
            let end = calendar.date(byAdding: .day, value: 1, to: start)!
            let inDay = recent.filter { $0.startedAt >= start && $0.startedAt < end }
            counts.append(
                (
                    inDay.filter { $0.status == "success" }.count, inDay.filter { $0.status == "failed" }.count,
                    inDay.reduce(0) { $0 + $1.exported }
                ))
        }
        let top = max(1, counts.map { max($0.0, $0.1) }.max() ?? 1)
        for (offset, (succeeded, failed, rows)) in counts.enumerated() {
            let day = calendar.date(byAdding: .day, value: offset, to: since)!
            let x = 10 + offset * 50
            let successHeight = succeeded * 110 / top
            let failedHeight = failed * 110 / top
            days.append([
                "day": day.formatted(.iso8601.year().month().day()), "label": day.formatted(.iso8601.month().day()),
                "succeeded": succeeded, "failed": failed, "rows": rows, "x": x, "failedX": x + 20,
                "successHeight": successHeight, "successY": 120 - successHeight, "failedHeight": failedHeight,
                "failedY": 120 - failedHeight,
            ])
        }
        values["days"] = days
        values["chartWidth"] = 10 + 7 * 50
        let status = try await app.status()
        values["unhealthy"] = status.lines.filter { !$0.healthy }.map { line -> [String: Any] in
            let reason =
                line.delayedMinutes.map { "no successful run \($0) minutes after it was due" }
                ?? (line.futureRunId != nil ? "a run is recorded in the future" : "the last run failed")
            return ["activation": line.activation, "segment": line.segment, "reason": reason]
        }
        values["lines"] = status.lines.sorted { ($0.nextRun ?? .distantFuture) < ($1.nextRun ?? .distantFuture) }.map {
            line -> [String: Any] in
            [
                "activation": line.activation, "segment": line.segment,
                "next": line.enabled ? Self.time(line.nextRun) : "disabled",
                "last": line.lastStatus.map { status in "\(status) \(Self.time(line.lastScheduledTime))" }
                    ?? "never run",
            ]
        }
        return page("overview", values)
    }

    func destinations(_ session: ConsoleSession, extra: [String: Any] = [:]) async throws -> Response {
        var values = base(session, title: "Destinations")
        values["items"] = try await app.destinations().map { record -> [String: Any] in
            let view = DestinationView(record)
            var encryption = [view.sse.map { "SSE \($0)" + (view.kmsKeyId.map { " (\($0))" } ?? "") }]
            encryption.append(view.pgpFingerprint.map { "PGP \($0)" })
            return [
                "name": view.name, "bucket": view.bucket, "folderPath": view.folderPath, "fileType": view.fileType,
                "compression": view.compression + (view.nested ? ", nested" : ""),
                "access": view.roleArn.map { "role \($0)" } ?? "key \(view.accessKeyId)",
                "encryption": encryption.compactMap { $0 }.joined(separator: "; "),
            ]
        }
        values.merge(extra) { $1 }
        return page("destinations", values, status: extra["status"] as? HTTPResponse.Status ?? .ok)
    }

    func createDestination(_ request: Request, _ context: FerryRequestContext, _ session: ConsoleSession) async throws
        -> Response
    {
        let fields = try await writableForm(request, context, session)
        func value(_ name: String) -> String { fields[name]?.first ?? "" }
        func optional(_ name: String) -> String? { value(name).isEmpty ? nil : value(name) }
        var input = DestinationInput(
            name: value("name"), bucket: value("bucket"), accessKeyId: value("accessKeyId"),
            secretAccessKey: value("secretAccessKey"))
        input.folderPath = value("folderPath")
        input.region = optional("region")
        input.endpoint = optional("endpoint")
        input.fileType = optional("fileType") ?? "csv"
        input.compression = optional("compression") ?? "none"
        input.manifest = value("manifest") == "on"
        input.nested = value("nested") == "on"
        input.sessionToken = optional("sessionToken")
        input.pgpPublicKey = optional("pgpPublicKey").map { Array($0.utf8) }
        input.roleArn = optional("roleArn")
        input.externalId = optional("externalId")
        input.sessionName = optional("sessionName")
        input.sse = optional("sse")
        input.kmsKeyId = optional("kmsKeyId")
        // The secrets are never sent back into the form.
        let echoed = [
            "name", "bucket", "folderPath", "region", "endpoint", "accessKeyId", "roleArn", "externalId", "sessionName",
            "kmsKeyId", "pgpPublicKey",
        ].reduce(
            into: [String: String]()
        ) {
            $0[$1] = value($1)
        }
        do {
            let created = try await app.createDestination(input)
            let permissions = created.permissions.map(PermissionResult.list) ?? []
            return try await destinations(
                session,
                extra: [
                    "notice": "Destination \(created.destination.name) saved.", "hasPermissions": !permissions.isEmpty,
                    "permissions": permissions.map { ["permission": $0.permission, "granted": $0.granted] },
                ])
        } catch {
            let permissions = (error as? AppError)?.permissions.map(PermissionResult.list) ?? []
            return try await destinations(
                session,
                extra: [
                    "error": failure(error), "form": echoed, "hasPermissions": !permissions.isEmpty,
                    "permissions": permissions.map { ["permission": $0.permission, "granted": $0.granted] },
                    "status": HTTPResponse.Status.badRequest,
                ])
        }
    }

    func segments(_ session: ConsoleSession, extra: [String: Any] = [:]) async throws -> Response {
        var values = base(session, title: "Segments")
        values["items"] = try await app.segments().map { view -> [String: Any] in
            [
                "name": view.name, "pql": view.pql, "size": view.estimatedSize.map(String.init) ?? "not evaluated",
                "evaluated": Self.time(view.lastEvaluatedAt),
            ]
        }
        values.merge(extra) { $1 }
        return page("segments", values, status: extra["status"] as? HTTPResponse.Status ?? .ok)
    }

    func createSegment(_ request: Request, _ context: FerryRequestContext, _ session: ConsoleSession) async throws
        -> Response
    {
        let fields = try await writableForm(request, context, session)
        let name = fields["name"]?.first ?? ""
        let pql = fields["pql"]?.first ?? ""
        let description = fields["description"]?.first.flatMap { $0.isEmpty ? nil : $0 }
        let echoed = ["name": name, "pql": pql, "description": description ?? ""]
        do {
            if fields["action"]?.first == "check" {
                let notice =
                    switch try await app.estimateMembers(pql: pql) {
                    case let size?: "The PQL is valid: \(size) profile\(size == 1 ? "" : "s") match it now."
                    case nil: "The PQL is valid; its size is known once it is saved and evaluated."
                    }
                return try await segments(session, extra: ["notice": notice, "form": echoed])
            }
            let record = try await app.createSegment(name: name, pql: pql, description: description)
            let summary = try await app.evaluateSegment(record.id)
            return try await segments(
                session,
                extra: ["notice": "Segment \(record.name) saved: \(summary.realized + summary.existing) members."])
        } catch {
            var extra: [String: Any] = ["form": echoed, "status": HTTPResponse.Status.badRequest]
            if let pqlError = PQLErrorText.describe(error, pql: pql) {
                extra["pqlError"] = pqlError
                extra["error"] = "The PQL has an error."
            } else {
                extra["error"] = failure(error)
            }
            return try await segments(session, extra: extra)
        }
    }

    func activations(_ session: ConsoleSession, extra: [String: Any] = [:]) async throws -> Response {
        var values = base(session, title: "Activations")
        let destinations = try await app.destinations()
        let segments = try await app.segments()
        let destinationNames = Dictionary(destinations.map { ($0.id, $0.name) }) { a, _ in a }
        let segmentNames = Dictionary(segments.map { ($0.id, $0.name) }) { a, _ in a }
        values["items"] = try await app.activations().map { record -> [String: Any] in
            [
                "id": record.id, "name": record.name, "destination": destinationNames[record.destinationId] ?? "",
                "segments": record.segmentIds.map { segmentNames[$0] ?? $0 }.joined(separator: ", "),
                "schedule": Self.schedule(record),
                "state": record.enabled ? "enabled" : "disabled", "toggle": record.enabled ? "disable" : "enable",
            ]
        }
        values["destinations"] = destinations.map { ["id": $0.id, "name": $0.name] }
        values["segmentChoices"] = segments.map { ["id": $0.id, "name": $0.name] }
        values["frequencies"] = ActivationFrequency.allCases.map(\.rawValue)
        values["defaults"] = ["identityMap.Email", "person.name.lastName", "segmentMembership.status"].map {
            ["source": $0, "column": ExportSource.defaultColumnName($0)]
        }
        values.merge(extra) { $1 }
        return page("activations", values, status: extra["status"] as? HTTPResponse.Status ?? .ok)
    }

    func createActivation(_ request: Request, _ context: FerryRequestContext, _ session: ConsoleSession) async throws
        -> Response
    {
        let fields = try await writableForm(request, context, session)
        let columnsText = fields["columns"]?.first ?? ""
        let columns = Self.columns(columnsText)
        var input = ActivationInput(
            name: fields["name"]?.first ?? "", destination: fields["destination"]?.first ?? "",
            segments: fields["segment"] ?? [], columns: columns)
        do {
            let schedule = try Self.scheduleFields(fields)
            input.frequency = schedule.frequency ?? input.frequency
            input.day = schedule.day
            input.trigger = schedule.trigger ?? input.trigger
            input.mode = schedule.mode ?? input.mode
            input.start = schedule.start
            let created = try await app.createActivation(input)
            var extra: [String: Any] = ["notice": "Activation \(created.activation.name) saved."]
            if !created.warnings.isEmpty { extra["error"] = created.warnings.joined(separator: " ") }
            return try await activations(session, extra: extra)
        } catch {
            return try await activations(
                session,
                extra: [
                    "error": failure(error), "form": ["name": input.name, "columns": columnsText],
                    "status": HTTPResponse.Status.badRequest,
                ])
        }
    }

    func activationAction(
        _ request: Request, _ context: FerryRequestContext, _ session: ConsoleSession, id: String, action: String
    ) async throws -> Response {
        let fields = try await writableForm(request, context, session)
        do {
            switch action {
            case "enable", "disable":
                let record = try await app.setActivation(id, enabled: action == "enable")
                return try await activations(session, extra: ["notice": "Activation \(record.name) \(action)d."])
            case "edit":
                return try await updateActivation(id, fields, session)
            case "export":
                let outcomes = try await app.exportNow(id)
                let results = try await APIRoutes(app: app).exportResults(outcomes)
                let failed = results.filter { $0.outcome != "success" }
                if let first = failed.first {
                    return try await activations(
                        session, extra: ["error": "Export failed: \(first.error?.message ?? first.outcome)"])
                }
                return redirect("/runs?activation=\(id)")
            default:
                throw ConsoleRefusal(status: .notFound, title: "Not found", message: "No such action.")
            }
        } catch let error as ConsoleRefusal {
            throw error
        } catch {
            return try await activations(
                session, extra: ["error": failure(error), "status": HTTPResponse.Status.badRequest])
        }
    }

    /// "weekly on friday from 2026-01-02 06:00:00", or how an evaluation starts it.
    static func schedule(_ record: ActivationRecord) -> String {
        if record.trigger == .afterEvaluation { return "after each evaluation from \(time(record.start))" }
        let day = record.day.map { " on \(Schedule.dayName($0, for: record.frequency))" } ?? ""
        return "\(record.frequency.rawValue)\(day) from \(time(record.start))"
    }

    /// The schedule fields both activation forms send; empty means "not given".
    static func scheduleFields(_ fields: [String: [String]]) throws -> (
        frequency: ActivationFrequency?, day: String?, trigger: ActivationTrigger?, mode: ExportMode?, start: Date?
    ) {
        func given(_ name: String) -> String? { fields[name]?.first.flatMap { $0.isEmpty ? nil : $0 } }
        func parse<T: RawRepresentable>(_ name: String) throws -> T? where T.RawValue == String {
            guard let text = given(name) else { return nil }
            guard let value = T(rawValue: text) else {
                throw AppError.badInput("unknown \(name) '\(text)'", field: name)
            }
            return value
        }
        var start: Date?
        if let text = given("start") {
            // datetime-local sends no zone and maybe no seconds; the form says UTC.
            guard let date = ISO8601.date(text + (text.count == 16 ? ":00Z" : "Z")) else {
                throw AppError.badInput("start '\(text)' is not a time", field: "start")
            }
            start = date
        }
        return (try parse("frequency"), given("day"), try parse("trigger"), try parse("mode"), start)
    }

    /// Lines of `SOURCE` or `SOURCE=COLUMN`.
    static func columns(_ text: String) -> [ActivationInput.Column] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.map { line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return ActivationInput.Column(source: parts[0], column: parts.count > 1 ? parts[1] : nil)
            }
    }

    func editActivation(_ id: String, _ session: ConsoleSession, extra: [String: Any] = [:]) async throws -> Response {
        let record: ActivationRecord
        do { record = try await app.activation(id) } catch {
            throw ConsoleRefusal(status: .notFound, title: "Activation not found", message: failure(error))
        }
        var values = base(session, title: "Activation \(record.name)")
        values["id"] = record.id
        values["name"] = record.name
        values["destinations"] = try await app.destinations().map { d -> [String: Any] in
            ["id": d.id, "name": d.name, "selected": d.id == record.destinationId]
        }
        values["segmentChoices"] = try await app.segments().map { s -> [String: Any] in
            ["id": s.id, "name": s.name, "selected": record.segmentIds.contains(s.id)]
        }
        values["frequencies"] = ActivationFrequency.allCases.map { f -> [String: Any] in
            ["name": f.rawValue, "selected": f == record.frequency]
        }
        values["day"] = record.day.map { Schedule.dayName($0, for: record.frequency) } ?? ""
        values["triggers"] = ActivationTrigger.allCases.map { t -> [String: Any] in
            ["name": t.rawValue, "selected": t == record.trigger]
        }
        values["modes"] = ExportMode.allCases.map { m -> [String: Any] in
            ["name": m.rawValue, "selected": m == record.mode]
        }
        // datetime-local takes the time without its zone; the form says UTC.
        values["start"] = String(ISO8601DateFormatter().string(from: record.start).dropLast())
        values["end"] = record.endDay ?? ""
        values["enabled"] = record.enabled
        values["columns"] = record.mappings.map { "\($0.source)=\($0.column)" }.joined(separator: "\n")
        values.merge(extra) { $1 }
        return page("activation", values, status: extra["status"] as? HTTPResponse.Status ?? .ok)
    }

    func updateActivation(_ id: String, _ fields: [String: [String]], _ session: ConsoleSession) async throws
        -> Response
    {
        do {
            var patch = ActivationPatch()
            let schedule = try Self.scheduleFields(fields)
            patch.name = fields["name"]?.first
            patch.destination = fields["destination"]?.first
            patch.segments = fields["segment"] ?? []
            patch.columns = Self.columns(fields["columns"]?.first ?? "")
            patch.frequency = schedule.frequency
            patch.day = schedule.day
            patch.trigger = schedule.trigger
            patch.mode = schedule.mode
            patch.start = schedule.start
            if let end = fields["end"]?.first, !end.isEmpty { patch.endDay = end } else { patch.clearEndDay = true }
            patch.enabled = fields["enabled"]?.first == "on"
            let updated = try await app.updateActivation(id, patch)
            var extra: [String: Any] = ["notice": "Activation \(updated.activation.name) saved."]
            if !updated.warnings.isEmpty { extra["error"] = updated.warnings.joined(separator: " ") }
            return try await activations(session, extra: extra)
        } catch {
            return try await editActivation(
                id, session, extra: ["error": failure(error), "status": HTTPResponse.Status.badRequest])
        }
    }

    func runs(_ request: Request, _ session: ConsoleSession) async throws -> Response {
        var values = base(session, title: "Runs")
        let query = request.uri.queryParameters
        let activation = query.get("activation").flatMap { $0.isEmpty ? nil : $0 }
        let status = query.get("status").flatMap { RunRecord.Status(rawValue: $0) }
        let segment = query.get("segment").flatMap { $0.isEmpty ? nil : $0 }
        let sinceText = query.get("since") ?? ""
        let since = ISO8601.date(sinceText + "T00:00:00Z")
        let activations = try await app.activations()
        let segments = try await app.segments()
        let activationNames = Dictionary(activations.map { ($0.id, $0.name) }) { a, _ in a }
        let segmentNames = Dictionary(segments.map { ($0.id, $0.name) }) { a, _ in a }
        let items: [RunView]
        do {
            items = try await app.runs(
                RunFilter(activation: activation, segment: segment, status: status, since: since),
                page: PageRequest(limit: 200)
            )
            .items
        } catch {
            items = []
            values["error"] = failure(error)
        }
        values["items"] = items.map { run -> [String: Any] in
            [
                "id": run.id, "shortId": String(run.id.prefix(8)), "status": run.status,
                "scheduled": Self.time(run.scheduledTime), "activation": activationNames[run.activationId] ?? "",
                "segment": segmentNames[run.segmentId] ?? "", "exported": run.exported, "files": run.files.count,
            ]
        }
        values["activationChoices"] = activations.map {
            ["id": $0.id, "name": $0.name, "selected": $0.id == activation]
        }
        values["segmentChoices"] = segments.map { ["id": $0.id, "name": $0.name, "selected": $0.id == segment] }
        values["since"] = since == nil ? "" : sinceText
        values["statuses"] = ["processing", "success", "failed"].map { (name: String) -> [String: Any] in
            ["name": name, "selected": name == status?.rawValue]
        }
        return page("runs", values)
    }

    func run(_ id: String, _ session: ConsoleSession) async throws -> Response {
        let run: RunView
        do { run = try await app.run(id) } catch {
            throw ConsoleRefusal(status: .notFound, title: "Run not found", message: failure(error))
        }
        var values = base(session, title: "Run \(run.id.prefix(8))")
        values.merge([
            "status": run.status, "activation": (try? await app.activation(run.activationId).name) ?? run.activationId,
            "segment": (try? await app.segment(run.segmentId).name) ?? run.segmentId,
            "scheduled": Self.time(run.scheduledTime), "mode": run.mode, "profilesReceived": run.profilesReceived,
            "exported": run.exported, "excludedMandatory": run.excludedMandatory,
            "excludedDuplicate": run.excludedDuplicate, "attempts": run.attempts, "manifestKey": run.manifestKey ?? "",
            "runError": run.error ?? "",
            "files": run.files.map { ["key": $0.key, "rows": $0.rows, "bytes": $0.bytes] },
        ]) { $1 }
        return page("run", values)
    }
}

/// A console request that cannot go on, shown as a page with its reason.
struct ConsoleRefusal: Error {
    var status: HTTPResponse.Status
    var title: String
    var message: String
}

/// A PQL error shown with its line and a caret under the position.
enum PQLErrorText {
    static func describe(_ error: any Error, pql: String) -> String? {
        guard let app = error as? AppError, app.field == "pql" else { return nil }
        return app.detail ?? app.message
    }
}
