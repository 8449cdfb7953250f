import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Where and how to reach S3.
public struct S3ClientConfiguration: Sendable {
    /// A custom endpoint (MinIO, moto, R2...). Nil means AWS. Checked again
    /// before each request, so one built without `endpointURL` fails there
    /// instead of trapping in the HTTP stack.
    public var endpoint: URL?
    /// Used when given; otherwise found per bucket with GetBucketLocation.
    public var region: String?
    public var retry: RetryPolicy
    public var timeouts: S3Timeouts
    /// Sent on every PutObject and CreateMultipartUpload this client makes.
    public var serverSideEncryption: ServerSideEncryption?

    /// One request from its first attempt to its last, retries included.
    public var requestTimeout: Duration {
        get { timeouts.request }
        set { timeouts.request = newValue }
    }

    public init(
        endpoint: URL? = nil, region: String? = nil, retry: RetryPolicy = .standard,
        requestTimeout: Duration = S3Timeouts.standard.request, connectTimeout: Duration = S3Timeouts.standard.connect,
        idleTimeout: Duration = S3Timeouts.standard.idle
    ) {
        self.init(
            endpoint: endpoint, region: region, retry: retry,
            timeouts: S3Timeouts(connect: connectTimeout, idle: idleTimeout, request: requestTimeout))
    }

    public init(endpoint: URL? = nil, region: String? = nil, retry: RetryPolicy = .standard, timeouts: S3Timeouts) {
        self.endpoint = endpoint
        self.region = region
        self.retry = retry
        self.timeouts = timeouts
    }

    /// Parses and checks an endpoint string such as `http://127.0.0.1:9000`.
    public static func endpointURL(_ text: String) throws(S3ConfigurationError) -> URL {
        let endpoint = try S3Endpoint(parsing: text)
        guard let url = URL(string: endpoint.description) else {
            throw .invalidEndpoint(S3Endpoint.redacted(text), reason: "it is not a URL")
        }
        return url
    }

    /// Everything a request needs checked before it is sent.
    public func validate() throws(S3ConfigurationError) {
        if let endpoint { _ = try S3Endpoint(url: endpoint) }
        if let region, !Self.isRegionName(region) {
            throw .invalidArgument("invalid region '\(region)': expected a name such as eu-west-1")
        }
        try timeouts.validate()
    }

    /// A region goes into the host name and the signature, so only what a
    /// region can be is let through, from the user or from S3's answers.
    static func isRegionName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
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
    /// Asked at every request, so refreshed credentials (an assumed role's)
    /// take effect from the next request on.
    let credentialsProvider: @Sendable () async throws -> AWSCredentials
    let http: HTTPClient
    let logger: Logger
    let regions = NIOLockedValueBox<[String: String]>([:])
    /// Injected so tests and retry timing don't depend on the wall clock.
    let now: @Sendable () -> Date

    public init(
        configuration: S3ClientConfiguration,
        credentials: @escaping @Sendable () async throws -> AWSCredentials,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "ferry.s3"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.credentialsProvider = credentials
        self.http = httpClient ?? SharedHTTPClients.client(for: configuration.timeouts)
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

    /// Checks a 2xx answer; an error returned goes through the same retry
    /// decision as a non-2xx one.
    typealias Validator = (S3Response, Request) -> S3Error?
    /// Takes a 2xx body as it streams in; called again from the start on a retry.
    typealias BodySink = (HTTPClientResponse.Body, HTTPHeaders) async throws -> Void

    /// Sends a request with retries; throws `S3Error` for any non-2xx answer
    /// and for a 2xx one `validate` rejects. Attempts stop at the retry
    /// policy's count or at the request timeout, whichever comes first.
    func execute(_ request: Request, validate: Validator? = nil, receive: BodySink? = nil) async throws
        -> S3Response
    {
        try configuration.validate()
        let started = NIODeadline.now()
        // A streamed download may take longer than any fixed budget; the
        // idle timeout catches a stalled one.
        let deadline: NIODeadline? =
            receive == nil ? started + TimeAmount(requestBudget(bodyLength: request.body?.length ?? 0)) : nil
        var attempt = 0
        var redirected = false
        while true {
            var failure: S3Error
            do {
                let response = try await send(request, deadline: deadline ?? .distantFuture, receive: receive)
                if (200..<300).contains(response.status) {
                    guard var error = validate?(response, request) else {
                        S3RequestObserver.notify(
                            S3RequestEvent(
                                operation: request.operation, httpStatus: response.status, code: nil, retried: false))
                        return response
                    }
                    error.uploadId = error.uploadId ?? request.uploadId
                    throw error
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
            } catch var error as S3Error {
                if error.isTransportFailure && error.operation != request.operation {
                    // The region lookup made its own attempts; more would multiply them.
                    error.operation = request.operation
                    error.key = request.key
                    throw error
                }
                failure = error
            } catch let error as S3ConfigurationError {
                throw error
            } catch let error as STSError {
                // The role's credentials could not be had; STS made its own retries.
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                // No HTTP answer: a reset, a refused connection or a timeout.
                // These are retried like a 5xx, as the AWS SDKs do.
                let (code, cause) = describeTransport(error, target: (try? endpointText(for: request)) ?? "S3")
                failure = S3Error(
                    code: code, message: cause, httpStatus: 0, operation: request.operation, bucket: request.bucket,
                    key: request.key, uploadId: request.uploadId)
            }
            attempt += 1
            failure.attempts = attempt
            let pause = configuration.retry.delay(afterAttempt: attempt - 1)
            // Waiting past the deadline only to fail there would hide the cause.
            let retrying =
                configuration.retry.isRetryable(failure) && attempt < configuration.retry.maxAttempts
                && !(deadline.map { NIODeadline.now() + TimeAmount(pause) >= $0 } ?? false)
            S3RequestObserver.notify(
                S3RequestEvent(
                    operation: request.operation, httpStatus: failure.httpStatus, code: failure.code, retried: retrying)
            )
            guard retrying else { throw failure }
            logger.debug(
                "retrying",
                metadata: [
                    "operation": "\(request.operation.rawValue)", "code": "\(failure.code)", "attempt": "\(attempt)",
                ])
            try await Task.sleep(for: pause)
        }
    }

    /// The request timeout plus a second per MiB of body.
    func requestBudget(bodyLength: Int) -> Duration {
        configuration.timeouts.request + .seconds(bodyLength / (1024 * 1024))
    }

    /// Where a request goes, for messages: `http://127.0.0.1:9000` or the AWS host.
    func endpointText(for request: Request) throws -> String {
        let target = try target(bucket: request.bucket, key: nil, region: configuration.region ?? "us-east-1")
        return "\(target.scheme)://\(target.hostHeader)"
    }

    /// A cause a user can act on, naming the endpoint; never an internal type name.
    func describeTransport(_ error: any Error, target: String) -> (code: String, cause: String) {
        let timeouts = configuration.timeouts
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout:
                return ("Timeout", "no connection to \(target) within \(timeouts.connect.secondsText)")
            case .readTimeout, .writeTimeout:
                return ("Timeout", "\(target) stopped answering for \(timeouts.idle.secondsText)")
            case .deadlineExceeded:
                return (
                    "Timeout", "no answer from \(target) within the \(timeouts.request.secondsText) request timeout"
                )
            case .remoteConnectionClosed:
                return ("ConnectionFailed", "\(target) closed the connection before answering")
            default:
                return ("ConnectionFailed", "the connection to \(target) failed")
            }
        }
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first {
                return describeTransport(failure.error, target: target)
            }
            return ("ConnectionFailed", "the host name \(error.host) could not be resolved")
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return ("ConnectionFailed", "the connection to \(target) was refused")
            case ETIMEDOUT:
                return ("Timeout", "no connection to \(target) within \(timeouts.connect.secondsText)")
            case ENETUNREACH, EHOSTUNREACH: return ("ConnectionFailed", "the network cannot reach \(target)")
            case ECONNRESET, EPIPE: return ("ConnectionFailed", "\(target) reset the connection")
            default:
                return (
                    "ConnectionFailed",
                    "the connection to \(target) failed: \(String(cString: strerror(error.errnoCode)).lowercased())"
                )
            }
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout:
                return ("Timeout", "no connection to \(target) within \(timeouts.connect.secondsText)")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                return ("ConnectionFailed", "\(target) closed the connection before answering")
            default: break
            }
        }
        if error is SocketAddressError {
            return ("ConnectionFailed", "the host name of \(target) could not be resolved")
        }
        if String(reflecting: type(of: error)).contains("SSL") {
            return ("ConnectionFailed", "the TLS handshake with \(target) failed")
        }
        return ("ConnectionFailed", "the connection to \(target) failed")
    }

    func send(_ request: Request, deadline: NIODeadline, receive: BodySink?) async throws -> S3Response {
        let credentials = try await credentialsProvider()
        let region = try await region(for: request)
        let target = try target(bucket: request.bucket, key: request.key, region: region)
        let payloadHash = request.body?.sha256Hex ?? SigV4Signer.emptyPayloadHash
        var headers = request.headers
        if let sse = configuration.serverSideEncryption,
            request.operation == .putObject || request.operation == .createMultipartUpload,
            !headers.contains(where: { $0.name == "x-amz-server-side-encryption" })
        {
            headers += sse.headers
        }
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
        let response = try await http.execute(httpRequest, deadline: deadline)
        let status = Int(response.status.code)
        var body: [UInt8] = []
        if let receive, (200..<300).contains(status) {
            try await receive(response.body, response.headers)
        } else if request.method != .HEAD {
            // Error bodies are small; only listings and small objects come here whole.
            let limit = (200..<300).contains(status) ? 512 * 1024 * 1024 : 1024 * 1024
            let buffer = try await response.body.collect(upTo: limit)
            body = Array(buffer.readableBytesView)
        }
        return S3Response(status: status, headers: response.headers, body: body)
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
        if let region = response.headers.first(name: "x-amz-bucket-region"),
            S3ClientConfiguration.isRegionName(region)
        {
            return region
        }
        return S3XML.parse(response.body)?.string("Region").flatMap {
            S3ClientConfiguration.isRegionName($0) ? $0 : nil
        }
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
        if let url = configuration.endpoint {
            let endpoint = try S3Endpoint(url: url)
            var path = endpoint.basePath
            if let bucket { path += "/" + SigV4Signer.uriEncode(bucket, keepSlash: false) + "/" + encodedKey }
            if path.isEmpty { path = "/" }
            return Target(scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, encodedPath: path)
        }
        let regional = "s3.\(region).amazonaws.com"
        guard let bucket else { return Target(scheme: "https", host: regional, port: nil, encodedPath: "/") }
        if BucketName.needsPathStyle(bucket) {
            return Target(scheme: "https", host: regional, port: nil, encodedPath: "/\(bucket)/\(encodedKey)")
        }
        return Target(scheme: "https", host: "\(bucket).\(regional)", port: nil, encodedPath: "/\(encodedKey)")
    }

    // MARK: Region

    func region(for request: Request) async throws -> String {
        if let region = configuration.region { return region }
        guard let bucket = request.bucket else { return "us-east-1" }
        if let known = regions.withLockedValue({ $0[bucket] }) { return known }
        if request.operation == .getBucketLocation { return "us-east-1" }
        // Without s3:GetBucketLocation the lookup fails; us-east-1 plus the
        // redirect handling still finds the bucket's region. An endpoint that
        // does not answer at all fails here, rather than once more for the request.
        let found: String
        do {
            found = try await getBucketLocation(bucket: bucket)
        } catch let error as S3Error where !error.isTransportFailure {
            found = "us-east-1"
        }
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
        default: region = S3ClientConfiguration.isRegionName(text) ? text : "us-east-1"
        }
        return region
    }
}

/// HTTP clients that live for the whole process, one per set of timeouts
/// (a client's timeouts are fixed when it is made). They are never shut
/// down, so a client dropped on an error path cannot crash the process.
enum SharedHTTPClients {
    /// Only these two shape the HTTP client; the request timeout is applied per request.
    private struct Key: Hashable {
        var connect: Duration
        var idle: Duration
    }

    private static let clients = NIOLockedValueBox<[Key: HTTPClient]>([:])

    static func client(for timeouts: S3Timeouts) -> HTTPClient {
        let key = Key(connect: timeouts.connect, idle: timeouts.idle)
        return clients.withLockedValue { clients in
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration()
            // S3 signs each request for one URL; a redirect is handled by region, never followed.
            configuration.redirectConfiguration = .disallow
            // Objects are copied as stored, as `aws s3 cp` does, even with Content-Encoding: gzip.
            configuration.decompression = .disabled
            configuration.timeout = HTTPClient.Configuration.Timeout(
                connect: TimeAmount(timeouts.connect), read: TimeAmount(timeouts.idle),
                write: TimeAmount(timeouts.idle))
            // Left on, the pool retries a refused connection until the connect
            // timeout and then reports only the timeout; the client's own
            // retries back off and keep the cause.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
    }
}
