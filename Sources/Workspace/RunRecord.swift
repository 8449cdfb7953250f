import Foundation
import GRDB

/// One data file a run wrote.
public struct RunFile: Codable, Sendable, Hashable {
    public var key: String
    public var rows: Int
    public var bytes: Int64
    public var sha256: String

    public init(key: String, rows: Int, bytes: Int64, sha256: String) {
        self.key = key
        self.rows = rows
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// A row of `run`: one export of one segment for one scheduled time, the
/// ledger that answers "is the export complete?".
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "run"

    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        case processing, success, failed
    }

    public var id: String
    public var activationId: String
    public var segmentId: String
    public var destinationId: String
    public var scheduledTime: Date
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var mode: ExportMode
    public var evaluationId: Int64?
    public var profilesReceived: Int
    public var exported: Int
    public var excludedMandatory: Int
    public var excludedDuplicate: Int
    public var files: [RunFile]
    public var error: String?
    public var attempts: Int
    /// Earlier scheduled times this run stood in for after downtime.
    public var skippedTimes: Int

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let activationId = Column(CodingKeys.activationId)
        public static let segmentId = Column(CodingKeys.segmentId)
        public static let scheduledTime = Column(CodingKeys.scheduledTime)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let status = Column(CodingKeys.status)
        public static let evaluationId = Column(CodingKeys.evaluationId)
    }

    public init(
        id: String, activationId: String, segmentId: String, destinationId: String, scheduledTime: Date,
        startedAt: Date, mode: ExportMode
    ) {
        self.id = id
        self.activationId = activationId
        self.segmentId = segmentId
        self.destinationId = destinationId
        self.scheduledTime = scheduledTime
        self.startedAt = startedAt
        self.finishedAt = nil
        self.status = .processing
        self.mode = mode
        self.evaluationId = nil
        self.profilesReceived = 0
        self.exported = 0
        self.excludedMandatory = 0
        self.excludedDuplicate = 0
        self.files = []
        self.error = nil
        self.attempts = 1
        self.skippedTimes = 0
    }

    /// How late the run started against its scheduled time.
    public var lag: TimeInterval { startedAt.timeIntervalSince(scheduledTime) }

    /// Read column by column: the run list decodes many runs per request, and
    /// going through `Decodable` (a keyed container per row, each date through
    /// a strategy) was most of the API's run list CPU under load.
    public init(row: Row) throws {
        id = row["id"]
        activationId = row["activationId"]
        segmentId = row["segmentId"]
        destinationId = row["destinationId"]
        scheduledTime = Date(timeIntervalSince1970: row["scheduledTime"])
        startedAt = Date(timeIntervalSince1970: row["startedAt"])
        finishedAt = (row["finishedAt"] as Double?).map(Date.init(timeIntervalSince1970:))
        status = row["status"]
        mode = row["mode"]
        evaluationId = row["evaluationId"]
        profilesReceived = row["profilesReceived"]
        exported = row["exported"]
        excludedMandatory = row["excludedMandatory"]
        excludedDuplicate = row["excludedDuplicate"]
        let filesText: String = row["files"]
        files = filesText == "[]" ? [] : try JSONDecoder().decode([RunFile].self, from: Data(filesText.utf8))
        error = row["error"]
        attempts = row["attempts"]
        skippedTimes = row["skippedTimes"]
    }
}

/// A row of `runUpload`: a multipart upload a run has open.
public struct RunUploadRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runUpload"
    public var runId: String
    public var key: String
    public var uploadId: String

    public init(runId: String, key: String, uploadId: String) {
        self.runId = runId
        self.key = key
        self.uploadId = uploadId
    }
}
