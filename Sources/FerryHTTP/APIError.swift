import FerryApp
import Foundation
import Hummingbird

/// An API failure as JSON, `{"error": {"code", "message", "field"?}}`, with its status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    public var permissions: [PermissionResult]?

    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil,
        permissions: [PermissionResult]? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.permissions = permissions
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
            var permissions: [PermissionResult]?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(
            Body(error: .init(code: code, message: message, field: field, permissions: permissions)), status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if status == .serviceUnavailable { response.headers[.retryAfter] = "5" }
        return response
    }

    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", "A valid bearer token is needed (`ferry tokens create NAME`).")
    static let readOnly = APIError(.forbidden, code: "forbidden", "This token is read-only.")

    static func notFound(_ what: String) -> APIError { APIError(.notFound, code: "notFound", "\(what) not found.") }

    /// The status and JSON a use case's error becomes; an error no layer
    /// phrased is a 500 that says nothing about the inside.
    static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? HTTPError {
            return APIError(error.status, code: "http", error.body ?? error.status.reasonPhrase)
        }
        guard let app = AppError.from(error) else {
            return APIError(.internalServerError, code: "internal", "The server failed; its log says why.")
        }
        let status: HTTPResponse.Status =
            switch app.kind {
            case .badInput: .badRequest
            case .notFound: .notFound
            case .conflict: .conflict
            case .missingPermission: .unprocessableContent
            case .busy: .serviceUnavailable
            case .upstream: .badGateway
            case .failure: .internalServerError
            }
        return APIError(
            status, code: app.code, app.message, field: app.field,
            permissions: app.permissions.map(PermissionResult.list))
    }
}

/// JSON in and out, with dates as ISO-8601 text.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes a request body; a bad body is a 400 naming the field, never a 500.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: FerryRequestContext) async throws
        -> T
    {
        try decode(type, from: try await body(of: request, context: context))
    }

    static func body(of request: Request, context: FerryRequestContext) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, code: "bodyTooLarge", "The body is over \(context.maxUploadSize) bytes.")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601.date(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "'\(text)' is not an ISO-8601 time")
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw APIError(.badRequest, code: "badBody", "The body is not a JSON object.")
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String? {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? nil : text
        }
        switch error {
        case let .keyNotFound(key, context):
            let field = path(context.codingPath + [key]) ?? key.stringValue
            return APIError(.badRequest, code: "missingField", "\(field) is required.", field: field)
        case let .typeMismatch(type, context):
            let field = path(context.codingPath)
            return APIError(
                .badRequest, code: "badField", "\(field ?? "the body") must be \(Self.describe(type)).", field: field)
        case let .valueNotFound(type, context):
            let field = path(context.codingPath)
            return APIError(
                .badRequest, code: "badField", "\(field ?? "the body") must be \(Self.describe(type)), not null.",
                field: field)
        case let .dataCorrupted(context):
            if let field = path(context.codingPath) {
                return APIError(.badRequest, code: "badField", "\(field): \(context.debugDescription)", field: field)
            }
            return APIError(.badRequest, code: "badBody", "The body is not valid JSON.")
        @unknown default:
            return APIError(.badRequest, code: "badBody", "The body could not be read.")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type: "an integer"
        case is [String].Type: "an array of strings"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}

/// ISO-8601 times as users type them: with or without fractional seconds.
enum ISO8601 {
    static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
        ] {
            f.formatOptions = options
            if let d = f.date(from: text) { return d }
        }
        return nil
    }
}
