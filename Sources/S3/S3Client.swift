import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Where and how to reach S3.
public struct S3ClientConfiguration: Sendable {
    /// A custom endpoint (MinIO, moto, R2...). Nil means AWS.
    public var endpoint: URL?
    /// Used when given; otherwise found per bucket with GetBucketLocation.
    public var region: String?
    public var retry: RetryPolicy
    /// Per request, so a stuck connection fails and is retried instead of hanging a run.
    public var requestTimeout: Duration

    public init(
        endpoint: URL? = nil, region: String? = nil, retry: RetryPolicy = .standard,
        requestTimeout: Duration = .seconds(300)
    ) {
        self.endpoint = endpoint
        self.region = region
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    /// Parses and checks an endpoint string such as `http://127.0.0.1:9000`.
    public static func endpointURL(_ text: String) throws(S3ConfigurationError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { throw .invalidEndpoint(text) }
        return url
    }
}

/// A response from S3 with its body read in full; only bodies of bounded size
/// (XML listings, probes, small objects) come through here.
public struct S3Response: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// Ferry's S3 client: signs every request with SigV4, retries what is
/// retryable, and knows each bucket's region.
public final class S3Client: Sendable {
    public let configuration: S3ClientConfiguration
    let credentialsProvider: @Sendable () throws -> AWSCredentials
    let http: HTTPClient
    let logger: Logger
    let regions = NIOLockedValueBox<[String: String]>([:])
    /// Injected so tests and retry timing don't depend on the wall clock.
    let now: @Sendable () -> Date

    public init(
        configuration: S3ClientConfiguration,
        credentials: @escaping @Sendable () throws -> AWSCredentials,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "ferry.s3"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.credentialsProvider = credentials
        // The shared client lives for the whole process and needs no
        // shutdown, so a client dropped on an error path cannot crash it.
        self.http = httpClient ?? HTTPClient.shared
        self.logger = logger
        self.now = now
    }

    public convenience init(configuration: S3ClientConfiguration, credentials: AWSCredentials) {
        self.init(configuration: configuration, credentials: { credentials })
    }

    /// Kept for symmetry with callers that scope a client; the shared HTTP
    /// client itself is never shut down.
    public func shutdown() async throws {}

    // MARK: Requests

    struct Request: Sendable {
        var operation: S3Operation
        var method: HTTPMethod
        var bucket: String?
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: RequestBody?
        var uploadId: String?
    }

    /// A body that can be sent again on a retry, with its payload hash worked
    /// out once rather than on every attempt.
    struct RequestBody: Sendable {
        enum Source: Sendable {
            case bytes(ByteBuffer)
            case file(FileSlice)
        }

        var source: Source
        var length: Int
        var sha256Hex: String

        init(_ bytes: ByteBuffer) {
            source = .bytes(bytes)
            length = bytes.readableBytes
            sha256Hex = bytes.sha256Hex
        }

        init(_ slice: FileSlice, sha256Hex: String) {
            source = .file(slice)
            length = slice.length
            self.sha256Hex = sha256Hex
        }

        var httpBody: HTTPClientRequest.Body {
            switch source {
            case .bytes(let bytes): .bytes(bytes)
            case .file(let slice): .stream(slice.chunks(), length: .known(Int64(slice.length)))
            }
        }
    }

    /// Sends a request with retries; throws `S3Error` for any non-2xx answer.
    func execute(_ request: Request) async throws -> S3Response {
        var attempt = 0
        var redirected = false
        while true {
            do {
                let response = try await send(request)
                if (200..<300).contains(response.status) {
                    return response
                }
                var error = parseError(response, request)
                if !redirected, let bucket = request.bucket, let region = redirectRegion(response, error) {
                    // A request that went to the wrong region is told the right one;
                    // remember it so later requests go there straight away.
                    regions.withLockedValue { $0[bucket] = region }
                    redirected = true
                    continue
                }
                error.uploadId = request.uploadId
                throw error
            } catch let error as S3Error {
                attempt += 1
                guard configuration.retry.isRetryable(error), attempt < configuration.retry.maxAttempts else {
                    throw error
                }
                logger.debug(
                    "retrying",
                    metadata: [
                        "operation": "\(request.operation.rawValue)", "code": "\(error.code)",
                        "attempt": "\(attempt)",
                    ])
                try await Task.sleep(for: configuration.retry.delay(afterAttempt: attempt - 1))
            } catch let error as S3ConfigurationError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // No HTTP answer: a reset, a refused connection or a timeout.
                // These are retried like a 5xx, as the AWS SDKs do.
                attempt += 1
                let wrapped = S3Error(
                    code: "ConnectionFailed", message: Self.describeTransport(error), httpStatus: 0,
                    operation: request.operation, bucket: request.bucket, key: request.key, uploadId: request.uploadId)
                guard attempt < configuration.retry.maxAttempts else { throw wrapped }
                logger.debug(
                    "retrying",
                    metadata: [
                        "operation": "\(request.operation.rawValue)", "code": "ConnectionFailed",
                        "attempt": "\(attempt)",
                    ])
                try await Task.sleep(for: configuration.retry.delay(afterAttempt: attempt - 1))
            }
        }
    }

    static func describeTransport(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: type(of: error)) + ": " + "\(error)"
    }

    func send(_ request: Request) async throws -> S3Response {
        let credentials = try credentialsProvider()
        let region = await region(for: request)
        let target = try target(bucket: request.bucket, key: request.key, region: region)
        let payloadHash = request.body?.sha256Hex ?? SigV4Signer.emptyPayloadHash
        var headers = request.headers
        headers.append(("host", target.hostHeader))
        let signer = SigV4Signer(credentials: credentials, region: region)
        let signature = signer.sign(
            .init(
                method: request.method.rawValue, encodedPath: target.encodedPath, query: request.query,
                headers: headers, payloadHash: payloadHash),
            date: now())
        var httpRequest = HTTPClientRequest(url: target.url(query: SigV4Signer.canonicalQuery(request.query)))
        httpRequest.method = request.method
        for (name, value) in headers + signature.headersToAdd where name != "host" {
            httpRequest.headers.add(name: name, value: value)
        }
        if let body = request.body {
            httpRequest.headers.add(name: "content-length", value: String(body.length))
            httpRequest.body = body.httpBody
        } else if request.method == .PUT || request.method == .POST {
            httpRequest.headers.add(name: "content-length", value: "0")
        }
        let response = try await http.execute(httpRequest, timeout: .init(configuration.requestTimeout))
        var body: [UInt8] = []
        if request.method != .HEAD {
            let buffer = try await response.body.collect(upTo: 512 * 1024 * 1024)
            body = Array(buffer.readableBytesView)
        }
        return S3Response(status: Int(response.status.code), headers: response.headers, body: body)
    }

    /// S3 can answer 200 and still fail (CompleteMultipartUpload); callers that
    /// know this check the body with this function.
    func errorInBody(_ response: S3Response, _ request: Request) -> S3Error? {
        guard let xml = S3XML.parse(response.body), xml.name == "Error" else { return nil }
        var error = parseError(
            S3Response(status: response.status, headers: response.headers, body: response.body), request)
        // A 200 with an error body is a server-side failure, and AWS documents it as retryable.
        if error.code.isEmpty { error.code = "InternalError" }
        return error
    }

    func parseError(_ response: S3Response, _ request: Request) -> S3Error {
        let xml = S3XML.parse(response.body)
        let code =
            xml?.string("Code")
            ?? {
                switch response.status {
                case 301: return "PermanentRedirect"
                case 403: return "AccessDenied"
                case 404: return request.key == nil ? "NoSuchBucket" : "NoSuchKey"
                case 503: return "SlowDown"
                default: return "HTTP\(response.status)"
                }
            }()
        return S3Error(
            code: code, message: xml?.string("Message") ?? "",
            requestId: xml?.string("RequestId") ?? response.headers.first(name: "x-amz-request-id"),
            httpStatus: response.status, operation: request.operation, bucket: request.bucket, key: request.key,
            uploadId: request.uploadId)
    }

    func redirectRegion(_ response: S3Response, _ error: S3Error) -> String? {
        guard
            response.status == 301 || error.code == "AuthorizationHeaderMalformed" || error.code == "PermanentRedirect"
        else { return nil }
        if let region = response.headers.first(name: "x-amz-bucket-region"), !region.isEmpty { return region }
        return S3XML.parse(response.body)?.string("Region")
    }

    // MARK: Addressing

    struct Target {
        var scheme: String
        var host: String
        var port: Int?
        var encodedPath: String

        var hostHeader: String {
            guard let port, !((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) else {
                return host
            }
            return "\(host):\(port)"
        }

        func url(query: String) -> String {
            "\(scheme)://\(hostHeader)\(encodedPath)" + (query.isEmpty ? "" : "?\(query)")
        }
    }

    /// Path style for custom endpoints and dotted names, virtual-hosted for AWS.
    func target(bucket: String?, key: String?, region: String) throws -> Target {
        let encodedKey = key.map { SigV4Signer.uriEncode($0, keepSlash: true) } ?? ""
        if let endpoint = configuration.endpoint {
            let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
            var path = base
            if let bucket { path += "/" + SigV4Signer.uriEncode(bucket, keepSlash: false) + "/" + encodedKey }
            if path.isEmpty { path = "/" }
            return Target(
                scheme: endpoint.scheme ?? "http", host: endpoint.host ?? "127.0.0.1", port: endpoint.port,
                encodedPath: path)
        }
        let regional = "s3.\(region).amazonaws.com"
        guard let bucket else { return Target(scheme: "https", host: regional, port: nil, encodedPath: "/") }
        if BucketName.needsPathStyle(bucket) {
            return Target(scheme: "https", host: regional, port: nil, encodedPath: "/\(bucket)/\(encodedKey)")
        }
        return Target(scheme: "https", host: "\(bucket).\(regional)", port: nil, encodedPath: "/\(encodedKey)")
    }

    // MARK: Region

    func region(for request: Request) async -> String {
        if let region = configuration.region { return region }
        guard let bucket = request.bucket else { return "us-east-1" }
        if let known = regions.withLockedValue({ $0[bucket] }) { return known }
        if request.operation == .getBucketLocation { return "us-east-1" }
        // Without s3:GetBucketLocation the lookup fails; us-east-1 plus the
        // redirect handling still finds the bucket's region.
        let found = (try? await getBucketLocation(bucket: bucket)) ?? "us-east-1"
        regions.withLockedValue { $0[bucket] = found }
        return found
    }

    /// The bucket's region: an empty constraint means us-east-1, `EU` means eu-west-1.
    public func getBucketLocation(bucket: String) async throws -> String {
        try BucketName.validate(bucket)
        let response = try await execute(
            Request(operation: .getBucketLocation, method: .GET, bucket: bucket, query: [("location", "")]))
        let text = S3XML.parse(response.body)?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let region: String
        switch text {
        case "": region = "us-east-1"
        case "EU": region = "eu-west-1"
        default: region = text
        }
        return region
    }
}
