import Foundation
import S3
import Workspace

/// A destination's stored options, decoded and checked.
public struct DestinationSettings: Sendable {
    public enum FileType: String, Sendable, CaseIterable {
        case csv, tsv
        /// JSON Lines: one object per member.
        case json
        case parquet
    }

    /// `gzip` compresses a whole csv, tsv or json file (`.gz`); for Parquet it,
    /// and `snappy`, compress each page inside the `.parquet` file.
    public enum Compression: String, Sendable, CaseIterable { case none, gzip, snappy }

    public var fileType: FileType
    public var compression: Compression
    public var format: CSVFormat
    /// Parquet only: arrays and objects as LIST and STRUCT columns rather than JSON text.
    public var nested: Bool

    public init(fileType: FileType, compression: Compression, format: CSVFormat, nested: Bool = false) {
        self.fileType = fileType
        self.compression = compression
        self.format = format
        self.nested = nested
    }

    public init(_ record: DestinationRecord) throws(ExportError) {
        guard let fileType = FileType(rawValue: record.fileType),
            let compression = Compression(rawValue: record.compression),
            let format = try? JSONDecoder().decode(CSVFormat.self, from: Data(record.format.utf8))
        else { throw ExportError(.badOption, "destination '\(record.name)' has unreadable file options") }
        let options = try? JSONDecoder().decode(FileOptions.self, from: Data(record.format.utf8))
        self.init(fileType: fileType, compression: compression, format: format, nested: options?.nested ?? false)
    }

    /// The options besides the CSV ones, kept in the same stored JSON so no column is added for them.
    private struct FileOptions: Codable {
        var nested: Bool?
    }

    /// Why this combination cannot be written, or nil when it can.
    public var conflict: String? {
        if compression == .snappy && fileType != .parquet {
            return "--compression snappy is for parquet files; use none or gzip for \(fileType.rawValue)"
        }
        if nested && fileType != .parquet {
            return "--nested is for parquet files; \(fileType.rawValue) already keeps arrays and objects as JSON"
        }
        return nil
    }

    /// True when the whole file is gzipped; Parquet compresses inside the file instead.
    public var gzipsFile: Bool { compression == .gzip && fileType != .parquet }

    /// `tsv` writes tab-separated `.txt` files, as the reference does.
    public var fileExtension: String {
        switch fileType {
        case .csv: "csv" + (gzipsFile ? ".gz" : "")
        case .tsv: "txt" + (gzipsFile ? ".gz" : "")
        case .json: "json" + (gzipsFile ? ".gz" : "")
        case .parquet: "parquet"
        }
    }

    public var contentType: String {
        if gzipsFile { return "application/gzip" }
        switch fileType {
        case .csv: return "text/csv"
        case .tsv: return "text/tab-separated-values"
        case .json: return "application/x-ndjson"
        case .parquet: return "application/vnd.apache.parquet"
        }
    }

    public static func encodeFormat(_ format: CSVFormat) -> String {
        encodeFormat(format, nested: false)
    }

    /// The stored JSON: the CSV options, plus `nested` when set.
    public static func encodeFormat(_ format: CSVFormat, nested: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let csv = try! encoder.encode(format)
        guard nested else { return String(decoding: csv, as: UTF8.self) }
        var object = try! JSONSerialization.jsonObject(with: csv) as! [String: Any]
        object["nested"] = true
        return String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension Workspace {
    /// An S3 client for a destination, with its secret unsealed only in memory.
    public func s3Client(
        for destination: DestinationRecord, retry: RetryPolicy = .standard, timeouts: S3Timeouts = .standard
    ) throws -> S3Client {
        try DestinationSecurity.s3Client(
            for: destination, open: { [secretBox] in try secretBox.openString($0) }, retry: retry, timeouts: timeouts)
    }
}
