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
    /// for failures that never got an S3 answer (`ConnectionFailed`).
    public var code: String
    public var message: String
    public var requestId: String?
    /// Zero when no HTTP response arrived.
    public var httpStatus: Int
    public var operation: S3Operation
    public var bucket: String?
    public var key: String?
    /// The multipart upload this failure belongs to, so a caller can resume it.
    public var uploadId: String?

    public init(
        code: String, message: String, requestId: String? = nil, httpStatus: Int, operation: S3Operation,
        bucket: String? = nil, key: String? = nil, uploadId: String? = nil
    ) {
        self.code = code
        self.message = message
        self.requestId = requestId
        self.httpStatus = httpStatus
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.uploadId = uploadId
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

    public var description: String {
        var text: String
        switch code {
        case "AccessDenied":
            text = "\(operation.rawValue) was denied: the credentials lack \(operation.iamAction)"
            if let bucket { text += " on bucket \(bucket)" }
        case "NoSuchBucket":
            text = "bucket \(bucket.map { "'\($0)'" } ?? "") does not exist (or is not visible with these credentials)"
        case "InvalidAccessKeyId":
            text = "the access key id is not known to S3 (InvalidAccessKeyId)"
        case "SignatureDoesNotMatch":
            text = "S3 rejected the request signature (SignatureDoesNotMatch): check the secret access key"
        default:
            text = "\(operation.rawValue) failed with \(code)"
            if !message.isEmpty { text += ": \(message)" }
        }
        if httpStatus > 0 { text += " (HTTP \(httpStatus)" + (requestId.map { ", request id \($0)" } ?? "") + ")" }
        return text
    }
}

/// A problem found before any request is sent.
public enum S3ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidBucketName(name: String, rule: String)
    case invalidEndpoint(String)
    case invalidURI(String)
    case missingCredentials(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidBucketName(name, rule): "invalid bucket name '\(name)': \(rule)"
        case let .invalidEndpoint(url): "invalid endpoint URL '\(url)': expected http(s)://host[:port]"
        case let .invalidURI(uri): "invalid S3 URI '\(uri)': expected s3://BUCKET/PREFIX"
        case let .missingCredentials(why): why
        case let .invalidArgument(why): why
        }
    }
}
