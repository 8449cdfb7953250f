import Foundation
import GRDB

/// One mapped column: where its value comes from and what the header says.
public struct ColumnMapping: Codable, Sendable, Hashable {
    public var source: String
    public var column: String
    /// Written as the SHA-256 of the trimmed, lowercased value, as ad
    /// platforms take e-mail audiences. Optional so older rows decode.
    public var hashed: Bool?

    public init(source: String, column: String, hashed: Bool = false) {
        self.source = source
        self.column = column
        self.hashed = hashed ? true : nil
    }
}

/// A row of `activation`: which segments go to which destination, with
/// which columns, and on what schedule.
public struct ActivationRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "activation"

    public var id: String
    public var name: String
    public var destinationId: String
    public var segmentIds: [String]
    public var mappings: [ColumnMapping]
    public var mandatory: [String]
    public var dedupKeys: [String]
    public var mode: ExportMode
    public var frequency: ActivationFrequency
    public var start: Date
    /// `YYYY-MM-DD`; that day itself is not exported.
    public var endDay: String?
    public var timeZone: String
    public var fileNameTemplate: String
    public var maxRowsPerFile: Int
    public var enabled: Bool
    public var createdAt: Date
    /// Weekly: the weekday (1 = Sunday ... 7 = Saturday); monthly: the day of
    /// the month (1 to 31). Nil takes the start's.
    public var day: Int?
    /// The clock, or each completed evaluation of the segment.
    public var trigger: ActivationTrigger

    enum CodingKeys: String, CodingKey {
        case id, name, destinationId, segmentIds, mappings, mandatory, dedupKeys, mode, frequency, start, endDay
        case timeZone, fileNameTemplate, maxRowsPerFile, enabled, createdAt, day, trigger
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let destinationId = Column(CodingKeys.destinationId)
    }

    public init(
        id: String, name: String, destinationId: String, segmentIds: [String], mappings: [ColumnMapping],
        mandatory: [String], dedupKeys: [String], mode: ExportMode, frequency: ActivationFrequency, start: Date,
        endDay: String?, timeZone: String, fileNameTemplate: String, maxRowsPerFile: Int, enabled: Bool,
        createdAt: Date, day: Int? = nil, trigger: ActivationTrigger = .schedule
    ) {
        self.id = id
        self.name = name
        self.destinationId = destinationId
        self.segmentIds = segmentIds
        self.mappings = mappings
        self.mandatory = mandatory
        self.dedupKeys = dedupKeys
        self.mode = mode
        self.frequency = frequency
        self.start = start
        self.endDay = endDay
        self.timeZone = timeZone
        self.fileNameTemplate = fileNameTemplate
        self.maxRowsPerFile = maxRowsPerFile
        self.enabled = enabled
        self.createdAt = createdAt
        self.day = day
        self.trigger = trigger
    }

    /// Rows and JSON written before `day` and `trigger` existed read as a clock schedule.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            destinationId: try c.decode(String.self, forKey: .destinationId),
            segmentIds: try c.decode([String].self, forKey: .segmentIds),
            mappings: try c.decode([ColumnMapping].self, forKey: .mappings),
            mandatory: try c.decode([String].self, forKey: .mandatory),
            dedupKeys: try c.decode([String].self, forKey: .dedupKeys),
            mode: try c.decode(ExportMode.self, forKey: .mode),
            frequency: try c.decode(ActivationFrequency.self, forKey: .frequency),
            start: try c.decode(Date.self, forKey: .start), endDay: try c.decodeIfPresent(String.self, forKey: .endDay),
            timeZone: try c.decode(String.self, forKey: .timeZone),
            fileNameTemplate: try c.decode(String.self, forKey: .fileNameTemplate),
            maxRowsPerFile: try c.decode(Int.self, forKey: .maxRowsPerFile),
            enabled: try c.decode(Bool.self, forKey: .enabled), createdAt: try c.decode(Date.self, forKey: .createdAt),
            day: try c.decodeIfPresent(Int.self, forKey: .day),
            trigger: try c.decodeIfPresent(ActivationTrigger.self, forKey: .trigger) ?? .schedule)
    }
}
