/// Server-side encryption S3 applies to each object Ferry writes, sent on
/// PutObject and CreateMultipartUpload (S3 encrypts a multipart upload's
/// parts as the upload was created, so UploadPart carries nothing).
public enum ServerSideEncryption: Sendable, Equatable, Hashable {
    /// SSE-S3: keys S3 manages (`x-amz-server-side-encryption: AES256`).
    case aes256
    /// SSE-KMS with the given key, or the account's `aws/s3` key when nil.
    case kms(keyId: String?)

    /// The `--sse` spellings.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        case aes256
        case kms = "aws:kms"
    }

    public init(mode: Mode, kmsKeyId: String?) throws(S3ConfigurationError) {
        switch mode {
        case .aes256:
            if kmsKeyId != nil {
                throw .invalidArgument("--kms-key-id goes with --sse aws:kms, not --sse aes256")
            }
            self = .aes256
        case .kms:
            if let kmsKeyId, kmsKeyId.isEmpty || kmsKeyId.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw .invalidArgument(
                    "the KMS key id '\(kmsKeyId)' is empty or has spaces; give a key id, key ARN or alias/NAME")
            }
            self = .kms(keyId: kmsKeyId)
        }
    }

    public var mode: Mode {
        switch self {
        case .aes256: .aes256
        case .kms: .kms
        }
    }

    public var kmsKeyId: String? {
        if case .kms(let keyId) = self { return keyId }
        return nil
    }

    /// The request headers, as S3 documents them for PutObject.
    public var headers: [(name: String, value: String)] {
        switch self {
        case .aes256: return [("x-amz-server-side-encryption", "AES256")]
        case .kms(let keyId):
            var headers = [("x-amz-server-side-encryption", "aws:kms")]
            if let keyId { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyId)) }
            return headers
        }
    }
}
