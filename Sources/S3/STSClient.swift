import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Temporary credentials from STS, with the moment they stop working.
public struct TemporaryCredentials: Sendable, CustomStringConvertible {
    public var credentials: AWSCredentials
    public var expiration: Date
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public var assumedRoleArn: String?

    public var description: String {
        "TemporaryCredentials(\(credentials), expiration: \(expiration))"
    }
}

/// What an AssumeRole call asks for.
public struct AssumeRoleRequest: Sendable, Equatable {
    public var roleArn: String
    public var externalId: String?
    public var sessionName: String
    /// 900 s (STS's minimum) to the role's maximum session duration.
    /// Ferry asks for the minimum: it refreshes before expiry anyway, and a
    /// leaked session key is then good for 15 minutes at most.
    public var durationSeconds: Int

    public static let defaultSessionName = "ferry"

    public init(roleArn: String, externalId: String? = nil, sessionName: String? = nil, durationSeconds: Int = 900)
        throws(S3ConfigurationError)
    {
        self.roleArn = roleArn
        self.externalId = externalId
        self.sessionName = sessionName ?? Self.defaultSessionName
        self.durationSeconds = durationSeconds
        try validate()
    }

    /// The limits STS documents for each parameter, checked before a request.
    public func validate() throws(S3ConfigurationError) {
        let parts = roleArn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[5].hasPrefix("role/"),
            parts[5].count > 5, parts[4].count == 12, parts[4].allSatisfy(\.isNumber)
        else {
            throw .invalidArgument(
                "'\(roleArn)' is not an IAM role ARN; expected arn:aws:iam::123456789012:role/NAME")
        }
        if let externalId {
            guard (2...1224).contains(externalId.count),
                externalId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@:/-_".contains($0)) })
            else {
                throw .invalidArgument(
                    "the external id must be 2 to 1224 characters of letters, digits and +=,.@:/-_")
            }
        }
        guard (2...64).contains(sessionName.count),
            sessionName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@-_".contains($0)) })
        else {
            throw .invalidArgument("the session name must be 2 to 64 characters of letters, digits and +=,.@-_")
        }
        guard (900...43200).contains(durationSeconds) else {
            throw .invalidArgument("the session duration must be 900 to 43200 seconds")
        }
    }

    /// The role's name, for messages.
    public var roleName: String {
        roleArn.split(separator: "/").last.map(String.init) ?? roleArn
    }

    /// The form-encoded Query API body.
    var formBody: String {
        var fields: [(String, String)] = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds)),
        ]
        if let externalId { fields.append(("ExternalId", externalId)) }
        return fields.map { "\($0.0)=\(SigV4Signer.uriEncode($0.1, keepSlash: false))" }.joined(separator: "&")
    }
}

/// A failure from STS, phrased so the owner of the role knows what to change.
public struct STSError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var httpStatus: Int
    public var roleArn: String
    public var requestId: String?
    public var externalIdGiven: Bool

    public var isAccessDenied: Bool { code == "AccessDenied" || httpStatus == 403 }

    public var description: String {
        if isAccessDenied {
            let id =
                externalIdGiven
                ? "sts:ExternalId condition matches the external id given"
                : "trust policy has no sts:ExternalId condition, or pass --external-id"
            return
                "STS refused to let Ferry assume role \(roleArn) (AccessDenied\(message.isEmpty ? "" : ": \(message)")): the role's trust policy must allow sts:AssumeRole for the principal of Ferry's base credentials, and its \(id); the base credentials also need sts:AssumeRole on the role"
        }
        if code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" {
            return
                "STS rejected Ferry's base credentials (\(code)) while assuming role \(roleArn): check AWS_ACCESS_KEY_ID and the secret"
        }
        return "AssumeRole of \(roleArn) failed: \(code)\(message.isEmpty ? "" : ": \(message)")"
            + (httpStatus > 0 ? " (HTTP \(httpStatus))" : "")
    }
}

/// The STS Query API, just AssumeRole, signed with SigV4 for `sts`.
public struct STSClient: Sendable {
    /// Nil means AWS's regional endpoint.
    public var endpoint: URL?
    public var region: String
    public var timeouts: S3Timeouts
    public var retry: RetryPolicy
    let http: HTTPClient
    let now: @Sendable () -> Date

    public init(
        endpoint: URL? = nil, region: String = "us-east-1", timeouts: S3Timeouts = .standard,
        retry: RetryPolicy = .standard, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.endpoint = endpoint
        self.region = region
        self.timeouts = timeouts
        self.retry = retry
        self.http = SharedHTTPClients.client(for: timeouts)
        self.now = now
    }

    /// `https://sts.REGION.amazonaws.com/`, or the custom endpoint.
    var url: URL {
        endpoint ?? URL(string: "https://sts.\(region).amazonaws.com/")!
    }

    /// The signed request, as a value so tests can check it without a network.
    func signedRequest(_ request: AssumeRoleRequest, credentials: AWSCredentials, date: Date) -> (
        url: String, headers: [(name: String, value: String)], body: String
    ) {
        let body = request.formBody
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        var path = components.percentEncodedPath
        if path.isEmpty { path = "/" }
        components.percentEncodedPath = path
        let port = components.port.map { ":\($0)" } ?? ""
        let host = (components.host ?? "") + port
        let headers: [(name: String, value: String)] = [
            ("host", host), ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        let signer = SigV4Signer(credentials: credentials, region: region, service: "sts")
        let signature = signer.sign(
            .init(
                method: "POST", encodedPath: path, headers: headers,
                payloadHash: SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()),
            date: date)
        return (components.url!.absoluteString, headers + signature.headersToAdd, body)
    }

    /// Calls AssumeRole with `credentials`, retrying throttling, 5xx and
    /// network failures as the S3 client does.
    public func assumeRole(_ request: AssumeRoleRequest, credentials: AWSCredentials) async throws
        -> TemporaryCredentials
    {
        try request.validate()
        var attempt = 0
        while true {
            attempt += 1
            let signed = signedRequest(request, credentials: credentials, date: now())
            var http = HTTPClientRequest(url: signed.url)
            http.method = .POST
            for (name, value) in signed.headers where name != "host" { http.headers.add(name: name, value: value) }
            http.body = .bytes(ByteBuffer(string: signed.body))
            let failure: STSError
            do {
                let response = try await self.http.execute(http, deadline: .now() + TimeAmount(timeouts.request))
                let body = Array(try await response.body.collect(upTo: 1024 * 1024).readableBytesView)
                if response.status == .ok {
                    return try Self.parseCredentials(body, roleArn: request.roleArn)
                }
                failure = Self.parseError(
                    body, status: Int(response.status.code), roleArn: request.roleArn,
                    externalIdGiven: request.externalId != nil)
            } catch let error as STSError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = STSError(
                    code: "ConnectionFailed", message: "no answer from \(url.absoluteString): \(error)",
                    httpStatus: 0, roleArn: request.roleArn, externalIdGiven: request.externalId != nil)
            }
            let retryable =
                failure.httpStatus == 0 || failure.httpStatus >= 500
                || ["Throttling", "ThrottlingException", "RequestExpired", "IDPCommunicationError"].contains(
                    failure.code)
            guard retryable, attempt < retry.maxAttempts else { throw failure }
            try await Task.sleep(for: retry.delay(afterAttempt: attempt - 1))
        }
    }

    static func parseCredentials(_ body: [UInt8], roleArn: String) throws(STSError) -> TemporaryCredentials {
        guard let xml = S3XML.parse(body), let result = xml.child("AssumeRoleResult"),
            let credentials = result.child("Credentials"),
            let id = credentials.string("AccessKeyId"), let secret = credentials.string("SecretAccessKey"),
            let token = credentials.string("SessionToken"),
            let expiration = credentials.string("Expiration").flatMap(Self.parseDate)
        else {
            throw STSError(
                code: "MalformedResponse", message: "the AssumeRole answer has no complete Credentials element",
                httpStatus: 200, roleArn: roleArn, externalIdGiven: false)
        }
        return TemporaryCredentials(
            credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token),
            expiration: expiration, assumedRoleArn: result.child("AssumedRoleUser")?.string("Arn"))
    }

    static func parseError(_ body: [UInt8], status: Int, roleArn: String, externalIdGiven: Bool) -> STSError {
        let xml = S3XML.parse(body)
        let error = xml?.child("Error") ?? xml
        return STSError(
            code: error?.string("Code") ?? (status == 403 ? "AccessDenied" : "HTTP\(status)"),
            message: error?.string("Message") ?? "", httpStatus: status, roleArn: roleArn,
            requestId: xml?.string("RequestId"), externalIdGiven: externalIdGiven)
    }

    /// ISO 8601 with or without fractional seconds, as STS and moto write it.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
