import Foundation

/// The S3 operations Ferry performs, with the IAM action each one needs.
///
/// The action is what turns an `AccessDenied` into something a user can fix:
/// "grant s3:PutObject on bucket/folder/*".
public enum S3Operation: String, Sendable, CaseIterable {
    case putObject = "PutObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    case listObjectsV2 = "ListObjectsV2"
    case getBucketLocation = "GetBucketLocation"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case listParts = "ListParts"
    case abortMultipartUpload = "AbortMultipartUpload"

    public var iamAction: String {
        switch self {
        case .putObject, .createMultipartUpload, .uploadPart, .completeMultipartUpload: "s3:PutObject"
        case .getObject, .headObject: "s3:GetObject"
        case .deleteObject: "s3:DeleteObject"
        case .listObjectsV2: "s3:ListBucket"
        case .getBucketLocation: "s3:GetBucketLocation"
        case .listParts: "s3:ListMultipartUploadParts"
        case .abortMultipartUpload: "s3:AbortMultipartUpload"
        }
    }
}

/// A failure reported by S3, or on the way to it, with what a user needs to act.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// S3's error code (`AccessDenied`, `NoSuchBucket`, ...), or a Ferry code
    /// for failures without an S3 answer (`ConnectionFailed`, `Timeout`) or
    /// with a broken one (`MissingETag`, `BadDigest`).
    public var code: String
    /// S3's own message; for failures without an answer, the cause with the endpoint.
    public var message: String
    public var requestId: String?
    /// Zero when no HTTP response arrived.
    public var httpStatus: Int
    public var operation: S3Operation
    public var bucket: String?
    public var key: String?
    /// The multipart upload this failure belongs to, so a caller can resume it.
    public var uploadId: String?
    /// Attempts made before giving up, the first included.
    public var attempts: Int

    public init(
        code: String, message: String, requestId: String? = nil, httpStatus: Int, operation: S3Operation,
        bucket: String? = nil, key: String? = nil, uploadId: String? = nil, attempts: Int = 1
    ) {
        self.code = code
        self.message = message
        self.requestId = requestId
        self.httpStatus = httpStatus
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.uploadId = uploadId
        self.attempts = attempts
    }

    /// The IAM action that was refused, when the failure is a permission one.
    public var missingIAMAction: String? {
        code == "AccessDenied" ? operation.iamAction : nil
    }

    public var isAccessDenied: Bool { code == "AccessDenied" }

    /// Bad credentials are a user problem, not a permission one: the exit code differs.
    public var isCredentialError: Bool {
        ["InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired"]
            .contains(code)
    }

    /// No HTTP answer arrived: the endpoint is unreachable, refused or silent.
    public var isTransportFailure: Bool { httpStatus == 0 }

    /// `s3://bucket/key`, or as much of it as the request had.
    var location: String? {
        guard let bucket else { return nil }
        return "s3://\(bucket)" + (key.map { "/\($0)" } ?? "")
    }

    /// One sentence: the operation and its IAM action, where, S3's code and
    /// HTTP status, then what it means.
    public var description: String {
        var text = "\(operation.rawValue) (\(operation.iamAction))"
        if let location { text += " on \(location)" }
        if isTransportFailure {
            text += " failed: \(message.isEmpty ? "no answer from S3" : Self.oneLine(message))"
            if attempts > 1 { text += " (\(attempts) attempts)" }
            return text
        }
        text += " failed with \(code) (HTTP \(httpStatus)" + (requestId.map { ", request id \($0)" } ?? "") + ")"
        let explanation: String? =
            switch code {
            case "AccessDenied": "the credentials lack \(operation.iamAction)"
            case "NoSuchBucket": "bucket '\(bucket ?? "")' does not exist, or these credentials cannot see it"
            case "InvalidAccessKeyId": "the access key id is not known to S3"
            case "SignatureDoesNotMatch": "check the secret access key"
            case "ExpiredToken", "TokenRefreshRequired": "the session token has expired"
            default: message.isEmpty ? nil : Self.oneLine(message)
            }
        if let explanation { text += ": \(explanation)" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }

    /// S3 messages may span lines and end with a period; the sentence goes on after them.
    static func oneLine(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.hasSuffix(".") ? String(words.dropLast()) : words
    }
}

/// A problem found before any request is sent.
public enum S3ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidBucketName(name: String, rule: String)
    case invalidEndpoint(String, reason: String)
    case invalidURI(String)
    case missingCredentials(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidBucketName(name, rule): "invalid bucket name '\(name)': \(rule)"
        case let .invalidEndpoint(url, reason): "invalid endpoint URL '\(url)': \(reason)"
        case let .invalidURI(uri): "invalid S3 URI '\(uri)': expected s3://BUCKET/PREFIX"
        case let .missingCredentials(why): why
        case let .invalidArgument(why): why
        }
    }
}
