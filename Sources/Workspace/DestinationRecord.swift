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

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
    }

    public init(
        id: String, name: String, bucket: String, folderPath: String, region: String?, endpoint: String?,
        fileType: String, compression: String, manifest: Bool, format: String, accessKeyId: String,
        sealedSecret: Data, sealedSessionToken: Data?, createdAt: Date
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
    }
}
