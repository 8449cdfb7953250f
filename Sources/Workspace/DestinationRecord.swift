import Foundation
import GRDB

/// A row of `destination`: an S3 bucket and folder, how files are written
/// there, and the sealed credentials to reach it.
public struct DestinationRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "destination"

    public var id: String
    public var name: String
    public var bucket: String
    public var folderPath: String
    public var region: String?
    public var endpoint: String?
    /// `csv` or `tsv`.
    public var fileType: String
    /// `none` or `gzip`.
    public var compression: String
    public var manifest: Bool
    /// The CSV options as JSON; the Export module owns their shape.
    public var format: String
    public var accessKeyId: String
    public var sealedSecret: Data
    public var sealedSessionToken: Data?
    public var createdAt: Date
    /// The customer's OpenPGP public key (binary packets); files are encrypted to it when set.
    public var pgpPublicKey: Data?
    /// The key's v4 fingerprint, 40 hex digits, as `gpg --fingerprint` shows it.
    public var pgpFingerprint: String?
    /// An IAM role Ferry assumes with its own base credentials; then no keys are stored.
    public var roleArn: String?
    /// The role trust policy's `sts:ExternalId`; an identifier, not a secret.
    public var externalId: String?
    public var roleSessionName: String?
    /// `aes256` or `aws:kms`: server-side encryption asked of S3.
    public var sse: String?
    public var kmsKeyId: String?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
    }

    public init(
        id: String, name: String, bucket: String, folderPath: String, region: String?, endpoint: String?,
        fileType: String, compression: String, manifest: Bool, format: String, accessKeyId: String,
        sealedSecret: Data, sealedSessionToken: Data?, createdAt: Date, pgpPublicKey: Data? = nil,
        pgpFingerprint: String? = nil, roleArn: String? = nil, externalId: String? = nil,
        roleSessionName: String? = nil, sse: String? = nil, kmsKeyId: String? = nil
    ) {
        self.id = id
        self.name = name
        self.bucket = bucket
        self.folderPath = folderPath
        self.region = region
        self.endpoint = endpoint
        self.fileType = fileType
        self.compression = compression
        self.manifest = manifest
        self.format = format
        self.accessKeyId = accessKeyId
        self.sealedSecret = sealedSecret
        self.sealedSessionToken = sealedSessionToken
        self.createdAt = createdAt
        self.pgpPublicKey = pgpPublicKey
        self.pgpFingerprint = pgpFingerprint
        self.roleArn = roleArn
        self.externalId = externalId
        self.roleSessionName = roleSessionName
        self.sse = sse
        self.kmsKeyId = kmsKeyId
    }
}
