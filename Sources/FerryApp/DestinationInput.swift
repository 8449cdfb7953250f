import Export
import Foundation
import S3
import Workspace

/// What creating a destination takes. Settings arrive as text from a flag
/// or a JSON body and are checked by `FerryUseCases.createDestination`.
public struct DestinationInput: Sendable {
    public var name: String
    public var bucket: String
    public var folderPath: String = ""
    public var region: String?
    public var endpoint: String?
    public var fileType: String = "csv"
    public var compression: String = "none"
    /// Parquet: arrays and objects as LIST and STRUCT columns.
    public var nested = false
    public var manifest = false
    public var delimiter: String?
    public var quote: String = "needed"
    public var escape: String = "double"
    public var nullValue: String = "empty"
    public var emptyValue: String = "empty"
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// An OpenPGP public key, armored or binary: every file is encrypted to it.
    public var pgpPublicKey: [UInt8]?
    /// An IAM role Ferry assumes with its own credentials; no keys are stored then.
    public var roleArn: String?
    public var externalId: String?
    public var sessionName: String?
    /// Server-side encryption: `aes256` or `aws:kms`, with its KMS key.
    public var sse: String?
    public var kmsKeyId: String?
    /// Save without the permission check.
    public var skipValidation = false

    /// Empty keys are right for a destination that assumes a role.
    public init(name: String, bucket: String, accessKeyId: String = "", secretAccessKey: String = "") {
        self.name = name
        self.bucket = bucket
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// A destination as it may be shown: the secret never, the key id masked.
public struct DestinationView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var bucket: String
    public var folderPath: String
    public var region: String?
    public var endpoint: String?
    public var fileType: String
    public var compression: String
    public var manifest: Bool
    public var accessKeyId: String
    /// Files are encrypted to the PGP key with this fingerprint.
    public var pgpFingerprint: String?
    /// Ferry assumes this role instead of using stored keys.
    public var roleArn: String?
    public var externalId: String?
    public var roleSessionName: String?
    /// Parquet: arrays and objects as LIST and STRUCT columns.
    public var nested: Bool
    /// Server-side encryption asked of S3, and its KMS key.
    public var sse: String?
    public var kmsKeyId: String?
    public var createdAt: Date

    public init(_ record: DestinationRecord) {
        id = record.id
        name = record.name
        bucket = record.bucket
        folderPath = record.folderPath
        region = record.region
        endpoint = record.endpoint
        fileType = record.fileType
        compression = record.compression
        manifest = record.manifest
        accessKeyId = Self.masked(record.accessKeyId)
        pgpFingerprint = record.pgpFingerprint
        roleArn = record.roleArn
        externalId = record.externalId
        roleSessionName = record.roleSessionName
        nested = (try? DestinationSettings(record))?.nested ?? false
        sse = record.sse
        kmsKeyId = record.kmsKeyId
        createdAt = record.createdAt
    }

    /// The first and last four characters, so a user can tell keys apart.
    public static func masked(_ keyId: String) -> String {
        guard keyId.count > 8 else { return String(repeating: "*", count: keyId.count) }
        return String(keyId.prefix(4)) + String(repeating: "*", count: keyId.count - 8) + String(keyId.suffix(4))
    }
}

/// One line of a permission check.
public struct PermissionResult: Codable, Sendable, Equatable {
    public var permission: String
    public var granted: Bool
    public var detail: String?

    public static func list(_ report: PermissionReport) -> [PermissionResult] {
        report.results.map {
            PermissionResult(permission: $0.permission.rawValue, granted: $0.granted, detail: $0.detail)
        }
    }
}
