import Foundation

/// The JSON object written after a run's data files, listing them so a consumer knows the export is complete.
public struct Manifest: Codable, Sendable, Equatable {
    /// One exported object.
    public struct Entry: Codable, Sendable, Equatable {
        /// `/` followed by the expanded folder path, as in the reference's manifest.
        public var sinkPath: String
        /// The object's file name, extension included.
        public var name: String
        /// The object's size in bytes, after compression.
        public var size: Int64
        public var rows: Int
        public var columns: [String]
        public var segmentId: String
        /// Lowercase hex SHA-256 of the object's bytes as stored.
        public var sha256: String
        /// `full` or `incremental`.
        public var mode: String

        public init(
            sinkPath: String, name: String, size: Int64, rows: Int, columns: [String],
            segmentId: String, sha256: String, mode: String
        ) {
            self.sinkPath = sinkPath
            self.name = name
            self.size = size
            self.rows = rows
            self.columns = columns
            self.segmentId = segmentId
            self.sha256 = sha256
            self.mode = mode
        }

        /// The `sinkPath` for an expanded folder path; the bucket root is `/`.
        public static func sinkPath(folder: String) -> String {
            "/" + folder
        }
    }

    public var flowRunId: String
    /// ISO-8601 in UTC with whole seconds, such as `2023-08-18T01:00:00Z`.
    public var scheduledTime: String
    public var exportResults: [Entry]

    public init(flowRunId: String, scheduledTime: String, exportResults: [Entry]) {
        self.flowRunId = flowRunId
        self.scheduledTime = scheduledTime
        self.exportResults = exportResults
    }

    /// A manifest whose `scheduledTime` is `date` rendered as `manifestTime(_:)` does.
    public init(flowRunId: String, scheduledTime date: Date, exportResults: [Entry]) {
        self.init(flowRunId: flowRunId, scheduledTime: Self.manifestTime(date), exportResults: exportResults)
    }

    /// The object name inside the destination folder: `manifest-<destinationId>-<runId>.json`.
    public static func objectName(destinationId: String, runId: String) -> String {
        "manifest-\(destinationId)-\(runId).json"
    }

    /// `date` as ISO-8601 UTC with whole seconds; fractions are dropped so a retried run writes identical bytes.
    public static func manifestTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func two(_ value: Int?) -> String { DateTimePattern.padded(value ?? 0, width: 2) }
        let year = DateTimePattern.padded(parts.year ?? 0, width: 4)
        return
            "\(year)-\(two(parts.month))-\(two(parts.day))T\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))Z"
    }

    /// Compact JSON with sorted keys and unescaped slashes, so equal manifests are byte-identical.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings, integers and arrays of them: encoding cannot fail.
        return try! encoder.encode(self)
    }
}
