import Foundation
import S3
import Workspace

/// A destination's stored options, decoded and checked.
public struct DestinationSettings: Sendable {
    public enum FileType: String, Sendable, CaseIterable { case csv, tsv }
    public enum Compression: String, Sendable, CaseIterable { case none, gzip }

    public var fileType: FileType
    public var compression: Compression
    public var format: CSVFormat

    public init(fileType: FileType, compression: Compression, format: CSVFormat) {
        self.fileType = fileType
        self.compression = compression
        self.format = format
    }

    public init(_ record: DestinationRecord) throws(ExportError) {
        guard let fileType = FileType(rawValue: record.fileType),
            let compression = Compression(rawValue: record.compression),
            let format = try? JSONDecoder().decode(CSVFormat.self, from: Data(record.format.utf8))
        else { throw ExportError(.badOption, "destination '\(record.name)' has unreadable file options") }
        self.init(fileType: fileType, compression: compression, format: format)
    }

    /// `tsv` writes tab-separated `.txt` files, as the reference does.
    public var fileExtension: String {
        (fileType == .tsv ? "txt" : "csv") + (compression == .gzip ? ".gz" : "")
    }

    public var contentType: String {
        compression == .gzip ? "application/gzip" : (fileType == .tsv ? "text/tab-separated-values" : "text/csv")
    }

    public static func encodeFormat(_ format: CSVFormat) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(format), as: UTF8.self)
    }
}

extension Workspace {
    /// An S3 client for a destination, with its secret unsealed only in memory.
    public func s3Client(
        for destination: DestinationRecord, retry: RetryPolicy = .standard, timeouts: S3Timeouts = .standard
    ) throws -> S3Client {
        let secret: String
        let token: String?
        do {
            secret = try secretBox.openString(destination.sealedSecret)
            token = try destination.sealedSessionToken.map { try secretBox.openString($0) }
        } catch {
            throw ExportError(
                .credentials, "cannot unseal the credentials of destination '\(destination.name)': \(error)")
        }
        let endpoint = try destination.endpoint.map { text throws(S3ConfigurationError) in
            try S3ClientConfiguration.endpointURL(text)
        }
        return S3Client(
            configuration: S3ClientConfiguration(
                endpoint: endpoint, region: destination.region, retry: retry, timeouts: timeouts),
            credentials: AWSCredentials(
                accessKeyId: destination.accessKeyId, secretAccessKey: secret, sessionToken: token))
    }
}
