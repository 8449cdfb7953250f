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
    var manifest: Bool?
    var delimiter: String?
    var quote: String?
    var escape: String?
    var nullValue: String?
    var emptyValue: String?
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String?
    var skipValidation: Bool?

    var input: DestinationInput {
        var input = DestinationInput(
            name: name, bucket: bucket, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)
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

struct ActivationPatchBody: Decodable {
    var enabled: Bool
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
