import FerryApp
import HTTPTypes
import Hummingbird

/// Lets a request through only with a valid bearer token, and only a
/// read-write token through to anything that changes state.
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = FerryRequestContext
    let app: FerryUseCases

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            var context = context
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
                let token = try await app.authenticate(String(header.dropFirst("bearer ".count)))
            else {
                throw APIError.unauthorized
            }
            if token.readOnly, ![.get, .head].contains(request.method) { throw APIError.readOnly }
            context.token = token
            return try await next(request, context)
        } catch {
            // Every API failure leaves as the documented JSON error.
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error(
                    "request failed",
                    metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: type(of: error)))"])
            }
            return try apiError.response(from: request, context: context)
        }
    }
}

/// Headers every response carries: a strict Content-Security-Policy (no
/// script at all, styles only from this server) and no caching of data.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
