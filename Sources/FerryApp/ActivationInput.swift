import Export
import Foundation
import Scheduling
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

extension ActivationInput {
    /// A saved activation as input again, so a change is checked by the same rules as a create.
    public init(_ record: ActivationRecord) {
        self.init(
            name: record.name, destination: record.destinationId, segments: record.segmentIds,
            columns: record.mappings.map { Column(source: $0.source, column: $0.column, hashed: $0.hashed ?? false) })
        mandatory = record.mandatory
        dedupKeys = record.dedupKeys
        mode = record.mode
        frequency = record.frequency
        day = record.day.map { Schedule.dayName($0, for: record.frequency) }
        trigger = record.trigger
        start = record.start
        endDay = record.endDay
        timeZone = record.timeZone
        fileName = record.fileNameTemplate
        maxRowsPerFile = record.maxRowsPerFile
    }
}

/// A change to an activation: each field that is set replaces the saved one.
public struct ActivationPatch: Sendable {
    public var name: String?
    public var destination: String?
    public var segments: [String]?
    public var columns: [ActivationInput.Column]?
    public var mandatory: [String]?
    public var dedupKeys: [String]?
    public var mode: ExportMode?
    public var frequency: ActivationFrequency?
    /// The weekday or day of the month; a new frequency without one takes the start's.
    public var day: String?
    public var trigger: ActivationTrigger?
    public var start: Date?
    public var endDay: String?
    /// Removes the end day, so the schedule runs on.
    public var clearEndDay = false
    public var timeZone: String?
    public var fileName: String?
    public var maxRowsPerFile: Int?
    public var enabled: Bool?

    public init() {}

    func applied(to saved: ActivationInput) -> ActivationInput {
        var input = saved
        input.name = name ?? input.name
        input.destination = destination ?? input.destination
        input.segments = segments ?? input.segments
        input.columns = columns ?? input.columns
        input.mandatory = mandatory ?? input.mandatory
        input.dedupKeys = dedupKeys ?? input.dedupKeys
        input.mode = mode ?? input.mode
        if let frequency, frequency != input.frequency {
            input.frequency = frequency
            input.day = nil
        }
        input.day = day ?? input.day
        input.trigger = trigger ?? input.trigger
        input.start = start ?? input.start
        input.endDay = clearEndDay ? nil : endDay ?? input.endDay
        input.timeZone = timeZone ?? input.timeZone
        input.fileName = fileName ?? input.fileName
        input.maxRowsPerFile = maxRowsPerFile ?? input.maxRowsPerFile
        return input
    }
}
