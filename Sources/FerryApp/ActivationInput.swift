import Export
import Foundation
import Workspace

/// What creating an activation takes, as the CLI and the API receive it.
public struct ActivationInput: Sendable {
    /// A column: where its value comes from and, optionally, its header.
    public struct Column: Sendable {
        public var source: String
        public var column: String?
        public var hashed: Bool

        public init(source: String, column: String? = nil, hashed: Bool = false) {
            self.source = source
            self.column = column
            self.hashed = hashed
        }
    }

    public var name: String
    public var destination: String
    public var segments: [String]
    public var columns: [Column]
    public var mandatory: [String] = []
    public var dedupKeys: [String] = []
    public var mode: ExportMode = .full
    public var frequency: ActivationFrequency = .once
    /// Weekly: a weekday name; monthly: a day of the month (1 to 31). Nil takes the start's.
    public var day: String?
    /// The clock, or each completed evaluation of the segment.
    public var trigger: ActivationTrigger = .schedule
    /// The first run time; now when nil.
    public var start: Date?
    /// `YYYY-MM-DD`; that day itself is not exported.
    public var endDay: String?
    public var timeZone: String = "UTC"
    public var fileName: String = PathTemplate.defaultFileName
    public var maxRowsPerFile: Int = 5_000_000

    public init(name: String, destination: String, segments: [String], columns: [Column]) {
        self.name = name
        self.destination = destination
        self.segments = segments
        self.columns = columns
    }
}
