import FerryApp
import Foundation
import Hummingbird
import Scheduling
import Workspace

/// The REST API under `/api/v1`, as `docs/openapi.json` describes it.
struct APIRoutes {
    let app: FerryUseCases

    func add(to router: Router<FerryRequestContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        let api = router.group("/api/v1").add(middleware: TokenAuthMiddleware(app: app))
        addDestinations(api.group("destinations"))
        addSegments(api.group("segments"))
        addActivations(api.group("activations"))
        addRuns(api.group("runs"))
        api.get("profiles/:ref") { _, context in try await profile(context.parameters.require("ref")) }
        api.get("status") { _, _ in try JSONResponse.make(try await app.status()) }
        api.get("estimate") { request, _ in
            guard let pql = request.uri.queryParameters.get("pql") else {
                throw APIError(.badRequest, code: "badQuery", "pql is required", field: "pql")
            }
            return try JSONResponse.make(EstimateBody(estimatedSize: try await app.estimateMembers(pql: pql)))
        }
    }

    static func noContent() -> Response { Response(status: .noContent) }

    func addDestinations(_ group: RouterGroup<FerryRequestContext>) {
        group.get { request, _ in
            let page = try pageRequest(request)
            return try JSONResponse.make(PageBody(page.slice(try await app.destinations().map(DestinationView.init))))
        }
        group.post { request, context in
            let body = try await JSONResponse.decode(DestinationCreateBody.self, from: request, context: context)
            let created = try await app.createDestination(body.input)
            return try JSONResponse.make(
                DestinationCheckedBody(
                    destination: DestinationView(created.destination),
                    permissions: created.permissions.map(PermissionResult.list)),
                status: .created)
        }
        group.get(":id") { _, context in
            try JSONResponse.make(DestinationView(try await app.destination(context.parameters.require("id"))))
        }
        group.delete(":id") { _, context in
            try await app.deleteDestination(context.parameters.require("id"))
            return Self.noContent()
        }
        group.post(":id/test") { _, context in
            let (record, report) = try await app.testDestination(context.parameters.require("id"))
            return try JSONResponse.make(
                DestinationCheckedBody(
                    destination: DestinationView(record), permissions: PermissionResult.list(report)))
        }
    }

    func addSegments(_ group: RouterGroup<FerryRequestContext>) {
        group.get { request, _ in
            try JSONResponse.make(PageBody(try pageRequest(request).slice(try await app.segments())))
        }
        group.post { request, context in
            let body = try await JSONResponse.decode(SegmentCreateBody.self, from: request, context: context)
            let record = try await app.createSegment(name: body.name, pql: body.pql, description: body.description)
            return try JSONResponse.make(try await app.segment(record.id), status: .created)
        }
        group.get(":id") { _, context in try JSONResponse.make(try await app.segment(context.parameters.require("id")))
        }
        group.delete(":id") { _, context in
            try await app.deleteSegment(context.parameters.require("id"))
            return Self.noContent()
        }
        group.post(":id/evaluate") { _, context in
            try JSONResponse.make(try await app.evaluateSegment(context.parameters.require("id")))
        }
        group.get(":id/members") { request, context in
            let status = try request.uri.queryParameters.get("status").map { text in
                guard let status = MembershipRecord.Status(rawValue: text) else {
                    throw APIError(.badRequest, code: "badQuery", "status must be realized or exited", field: "status")
                }
                return status
            }
            let page = try await app.members(
                of: context.parameters.require("id"), status: status, limit: try intQuery(request, "limit"),
                cursor: request.uri.queryParameters.get("cursor"))
            return try JSONResponse.make(PageBody(page))
        }
    }

    func addActivations(_ group: RouterGroup<FerryRequestContext>) {
        group.get { request, _ in
            try JSONResponse.make(PageBody(try pageRequest(request).slice(try await app.activations())))
        }
        group.post { request, context in
            let body = try await JSONResponse.decode(ActivationCreateBody.self, from: request, context: context)
            let created = try await app.createActivation(body.input)
            return try JSONResponse.make(
                ActivationCreatedBody(activation: created.activation, warnings: created.warnings), status: .created)
        }
        group.get(":id") { _, context in
            try JSONResponse.make(try await app.activation(context.parameters.require("id")))
        }
        group.patch(":id") { request, context in
            let body = try await JSONResponse.decode(ActivationPatchBody.self, from: request, context: context)
            return try JSONResponse.make(
                try await app.updateActivation(context.parameters.require("id"), body.patch).activation)
        }
        group.delete(":id") { _, context in
            try await app.deleteActivation(context.parameters.require("id"))
            return Self.noContent()
        }
        group.post(":id/enable") { _, context in
            try JSONResponse.make(try await app.setActivation(context.parameters.require("id"), enabled: true))
        }
        group.post(":id/disable") { _, context in
            try JSONResponse.make(try await app.setActivation(context.parameters.require("id"), enabled: false))
        }
        group.post(":id/export") { request, context in
            let body = try await exportBody(request, context)
            let outcomes = try await app.exportNow(
                context.parameters.require("id"), segment: body.segment, at: body.at)
            return try JSONResponse.make(ExportResultBody(results: try await exportResults(outcomes)))
        }
        group.post(":id/dry-run") { request, context in
            let body = try await exportBody(request, context)
            let reports = try await app.dryRun(context.parameters.require("id"), segment: body.segment, at: body.at)
            return try JSONResponse.make(DryRunResultBody(results: reports.map(DryRunBody.init)))
        }
    }

    /// An empty body means every segment, now.
    func exportBody(_ request: Request, _ context: FerryRequestContext) async throws -> ExportBody {
        let buffer = try await JSONResponse.body(of: request, context: context)
        return buffer.readableBytes > 0 ? try JSONResponse.decode(ExportBody.self, from: buffer) : ExportBody()
    }

    func exportResults(_ outcomes: [DueRunner.Outcome]) async throws -> [ExportOutcomeBody] {
        var results: [ExportOutcomeBody] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let run):
                results.append(
                    ExportOutcomeBody(segmentId: run.segmentId, outcome: "success", run: try await app.run(run.id)))
            case .failed(let item, let error):
                let described = AppError.from(error)
                let run = try? await app.runs(
                    RunFilter(activation: item.activation.id, segment: item.segmentId), page: PageRequest(limit: 1)
                ).items.first
                results.append(
                    ExportOutcomeBody(
                        segmentId: item.segmentId, outcome: "failed",
                        run: run?.scheduledTime == item.scheduledTime ? run : nil,
                        error: .init(
                            code: described?.code ?? "internal", message: described?.message ?? "the run failed")))
            case .busy(let item), .superseded(let item):
                results.append(
                    ExportOutcomeBody(
                        segmentId: item.segmentId, outcome: "busy",
                        error: .init(code: "busy", message: "another ferry process is exporting this run now")))
            }
        }
        return results
    }

    func addRuns(_ group: RouterGroup<FerryRequestContext>) {
        group.get { request, _ in
            let query = request.uri.queryParameters
            let status = try query.get("status").map { text in
                do { return try RunFilter.status(parsing: text) } catch { throw APIError.from(error) }
            }
            let since = try query.get("since").map { text in
                guard let date = ISO8601.date(text) else {
                    throw APIError(.badRequest, code: "badQuery", "since must be an ISO-8601 time", field: "since")
                }
                return date
            }
            let filter = RunFilter(
                activation: query.get("activation"), segment: query.get("segment"), status: status, since: since)
            return RunJSON.response(try await app.runs(filter, page: try pageRequest(request)))
        }
        group.get(":id") { _, context in RunJSON.response(try await app.run(context.parameters.require("id"))) }
    }

    /// `GET /profiles/{namespace}:{id}`: the merged document as stored.
    func profile(_ reference: String) async throws -> Response {
        guard let colon = reference.firstIndex(of: ":"), colon != reference.startIndex,
            reference.index(after: colon) != reference.endIndex
        else {
            throw APIError(
                .badRequest, code: "badIdentity", "A profile is named NAMESPACE:ID, e.g. Email:ann@example.com.",
                field: "ref")
        }
        let record = try await app.profile(
            namespace: String(reference[..<colon]), identity: String(reference[reference.index(after: colon)...]))
        var data = try JSONResponse.encoder.encode(
            ProfileBody(namespace: record.namespace, id: record.identity, updatedAt: record.updatedAt))
        data.removeLast()
        data.append(contentsOf: ",\"profile\":".utf8)
        data.append(contentsOf: record.doc.utf8)
        data.append(contentsOf: "}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    func pageRequest(_ request: Request) throws -> PageRequest {
        do {
            return try PageRequest(
                limit: try intQuery(request, "limit"), cursor: request.uri.queryParameters.get("cursor"))
        } catch {
            throw APIError.from(error)
        }
    }

    func intQuery(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError(.badRequest, code: "badQuery", "\(name) must be an integer", field: name)
        }
        return value
    }
}
