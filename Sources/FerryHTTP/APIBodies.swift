import Export
import FerryApp
import Foundation
import Workspace

/// `POST /destinations`. The secrets are taken here and never returned.
struct DestinationCreateBody: Decodable {
    var name: String
    var bucket: String
    var folderPath: String?
    var region: String?
    var endpoint: String?
    var fileType: String?
    var compression: String?
    var nested: Bool?
    var manifest: Bool?
    var delimiter: String?
    var quote: String?
    var escape: String?
    var nullValue: String?
    var emptyValue: String?
    /// Absent with a role ARN: Ferry assumes the role with its own credentials.
    var accessKeyId: String?
    var secretAccessKey: String?
    var sessionToken: String?
    /// An ASCII-armored OpenPGP public key.
    var pgpPublicKey: String?
    var roleArn: String?
    var externalId: String?
    var sessionName: String?
    var sse: String?
    var kmsKeyId: String?
    var skipValidation: Bool?

    var input: DestinationInput {
        var input = DestinationInput(
            name: name, bucket: bucket, accessKeyId: accessKeyId ?? "", secretAccessKey: secretAccessKey ?? "")
        input.folderPath = folderPath ?? ""
        input.region = region
        input.endpoint = endpoint
        input.fileType = fileType ?? input.fileType
        input.compression = compression ?? input.compression
        input.manifest = manifest ?? false
        input.delimiter = delimiter
        input.quote = quote ?? input.quote
        input.escape = escape ?? input.escape
        input.nullValue = nullValue ?? input.nullValue
        input.emptyValue = emptyValue ?? input.emptyValue
        input.sessionToken = sessionToken
        input.nested = nested ?? false
        input.pgpPublicKey = pgpPublicKey.map { Array($0.utf8) }
        input.roleArn = roleArn
        input.externalId = externalId
        input.sessionName = sessionName
        input.sse = sse
        input.kmsKeyId = kmsKeyId
        input.skipValidation = skipValidation ?? false
        return input
    }
}

/// What destination create and test answer: the destination and its six permissions.
struct DestinationCheckedBody: Encodable {
    var destination: DestinationView
    var permissions: [PermissionResult]?
}

struct SegmentCreateBody: Decodable {
    var name: String
    var pql: String
    var description: String?
}

struct ActivationCreateBody: Decodable {
    struct Column: Decodable {
        var source: String
        var column: String?
        var hashed: Bool?
    }

    var name: String
    var destination: String
    var segments: [String]
    var columns: [Column]
    var mandatory: [String]?
    var dedupKeys: [String]?
    var mode: ExportMode?
    var frequency: ActivationFrequency?
    var day: String?
    var trigger: ActivationTrigger?
    var start: Date?
    var end: String?
    var timeZone: String?
    var fileName: String?
    var maxRowsPerFile: Int?

    var input: ActivationInput {
        var input = ActivationInput(
            name: name, destination: destination, segments: segments,
            columns: columns.map { .init(source: $0.source, column: $0.column, hashed: $0.hashed ?? false) })
        input.mandatory = mandatory ?? []
        input.dedupKeys = dedupKeys ?? []
        input.mode = mode ?? .full
        input.frequency = frequency ?? .once
        input.day = day
        input.trigger = trigger ?? .schedule
        input.start = start
        input.endDay = end
        input.timeZone = timeZone ?? input.timeZone
        input.fileName = fileName ?? input.fileName
        input.maxRowsPerFile = maxRowsPerFile ?? input.maxRowsPerFile
        return input
    }
}

struct ActivationCreatedBody: Encodable {
    var activation: ActivationRecord
    var warnings: [String]
}

/// `PATCH /activations/{id}`: each field given replaces the saved one; `end: null` removes the end day.
struct ActivationPatchBody: Decodable {
    var name: String?
    var destination: String?
    var segments: [String]?
    var columns: [ActivationCreateBody.Column]?
    var mandatory: [String]?
    var dedupKeys: [String]?
    var mode: ExportMode?
    var frequency: ActivationFrequency?
    var day: String?
    var trigger: ActivationTrigger?
    var start: Date?
    var end: String?
    var clearEnd = false
    var timeZone: String?
    var fileName: String?
    var maxRowsPerFile: Int?
    var enabled: Bool?

    enum CodingKeys: String, CodingKey {
        case name, destination, segments, columns, mandatory, dedupKeys, mode, frequency, day, trigger, start, end
        case timeZone, fileName, maxRowsPerFile, enabled
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        destination = try c.decodeIfPresent(String.self, forKey: .destination)
        segments = try c.decodeIfPresent([String].self, forKey: .segments)
        columns = try c.decodeIfPresent([ActivationCreateBody.Column].self, forKey: .columns)
        mandatory = try c.decodeIfPresent([String].self, forKey: .mandatory)
        dedupKeys = try c.decodeIfPresent([String].self, forKey: .dedupKeys)
        mode = try c.decodeIfPresent(ExportMode.self, forKey: .mode)
        frequency = try c.decodeIfPresent(ActivationFrequency.self, forKey: .frequency)
        day = try c.decodeIfPresent(String.self, forKey: .day)
        trigger = try c.decodeIfPresent(ActivationTrigger.self, forKey: .trigger)
        start = try c.decodeIfPresent(Date.self, forKey: .start)
        // A present null is a request to remove the end day; an absent key leaves it.
        if c.contains(.end), try c.decodeNil(forKey: .end) {
            clearEnd = true
        } else {
            end = try c.decodeIfPresent(String.self, forKey: .end)
        }
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone)
        fileName = try c.decodeIfPresent(String.self, forKey: .fileName)
        maxRowsPerFile = try c.decodeIfPresent(Int.self, forKey: .maxRowsPerFile)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
    }

    var patch: ActivationPatch {
        var patch = ActivationPatch()
        patch.name = name
        patch.destination = destination
        patch.segments = segments
        patch.columns = columns?.map { .init(source: $0.source, column: $0.column, hashed: $0.hashed ?? false) }
        patch.mandatory = mandatory
        patch.dedupKeys = dedupKeys
        patch.mode = mode
        patch.frequency = frequency
        patch.day = day
        patch.trigger = trigger
        patch.start = start
        patch.endDay = end
        patch.clearEndDay = clearEnd
        patch.timeZone = timeZone
        patch.fileName = fileName
        patch.maxRowsPerFile = maxRowsPerFile
        patch.enabled = enabled
        return patch
    }
}

/// What a dry run would write for one segment.
struct DryRunBody: Encodable {
    struct File: Encodable {
        var key: String
        var rows: Int
        var bytes: Int64
    }

    var segmentId: String
    var segmentName: String
    var bucket: String
    var received: Int
    var exported: Int
    var excludedMandatory: Int
    var excludedDuplicate: Int
    var files: [File]
    var manifestKey: String?
    var sample: [String]

    init(_ report: DryRunReport) {
        segmentId = report.segmentId
        segmentName = report.segmentName
        bucket = report.bucket
        received = report.received
        exported = report.exported
        excludedMandatory = report.excludedMandatory
        excludedDuplicate = report.excludedDuplicate
        files = report.files.map { File(key: $0.key, rows: $0.rows, bytes: $0.bytes) }
        manifestKey = report.manifestKey
        sample = report.sample
    }
}

struct DryRunResultBody: Encodable {
    var results: [DryRunBody]
}

struct ExportBody: Decodable {
    var segment: String?
    var at: Date?
}

/// One segment's outcome of "export now".
struct ExportOutcomeBody: Encodable {
    var segmentId: String
    /// success, failed, or busy when another process is exporting it.
    var outcome: String
    var run: RunView?
    var error: ErrorDetail?

    struct ErrorDetail: Encodable {
        var code: String
        var message: String
    }
}

struct ExportResultBody: Encodable {
    var results: [ExportOutcomeBody]
}

struct PageBody<Item: Encodable & Sendable>: Encodable {
    var items: [Item]
    var nextCursor: String?

    init(_ page: Page<Item>) {
        items = page.items
        nextCursor = page.nextCursor
    }
}

struct ProfileBody: Encodable {
    var namespace: String
    var id: String
    var updatedAt: Date
}

/// `GET /estimate?pql=`: how many profiles the definition selects now; null when only saving tells.
struct EstimateBody: Encodable {
    var estimatedSize: Int?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Written as null rather than left out, so a client sees "unknown", not a missing field.
        try container.encode(estimatedSize, forKey: .estimatedSize)
    }

    enum CodingKeys: String, CodingKey { case estimatedSize }
}
