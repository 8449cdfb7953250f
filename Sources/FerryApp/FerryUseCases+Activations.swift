import Export
import Foundation
import Scheduling
import Workspace

extension FerryUseCases {
    /// A saved activation and what a user should know about it.
    public struct CreatedActivation: Sendable {
        public var activation: ActivationRecord
        /// Not errors: e.g. a namespace no profile has yet.
        public var warnings: [String]
    }

    /// Checks every part of an activation now, so nothing fails at 2 a.m. that could fail here, and saves it.
    public func createActivation(_ input: ActivationInput, now: Date = Date()) async throws -> CreatedActivation {
        let checked = try await checkedActivation(input, now: now)
        try await phrased { try await store.insertActivation(checked.activation) }
        return checked
    }

    /// Changes an activation: what the patch names is replaced, everything is checked again
    /// as on create, and the id, creation time and run history stay.
    public func updateActivation(_ nameOrId: String, _ patch: ActivationPatch, now: Date = Date()) async throws
        -> CreatedActivation
    {
        let existing = try await activation(nameOrId)
        var checked = try await checkedActivation(patch.applied(to: ActivationInput(existing)), now: now)
        checked.activation.id = existing.id
        checked.activation.createdAt = existing.createdAt
        checked.activation.enabled = patch.enabled ?? existing.enabled
        let record = checked.activation
        try await phrased {
            if record.name != existing.name, let other = try? await store.activation(named: record.name),
                other.id != record.id
            {
                throw WorkspaceError(.activationExists, "An activation named '\(record.name)' already exists.")
            }
            if let other = try await store.conflictingActivation(for: record) {
                throw try await store.conflictError(record, other)
            }
            try await store.updateActivation(record)
        }
        return checked
    }

    /// The record `input` describes, with every rule checked against the store; nothing is saved.
    func checkedActivation(_ input: ActivationInput, now: Date) async throws -> CreatedActivation {
        let name: String
        do { name = try NameRules.checked(input.name, kind: "activation") } catch {
            throw AppError(.badInput, code: error.code.rawValue, error.message, field: "name")
        }
        guard !input.segments.isEmpty else { throw AppError.badInput("name at least one --segment", field: "segments") }
        guard !input.columns.isEmpty else {
            throw AppError.badInput("map at least one column with --map SOURCE[=COLUMN]", field: "columns")
        }
        guard input.maxRowsPerFile > 0 else {
            throw AppError.badInput("--max-rows-per-file must be positive", field: "maxRowsPerFile")
        }
        guard TimeZone(identifier: input.timeZone) != nil else {
            throw AppError.badInput("unknown time zone '\(input.timeZone)'", field: "timeZone")
        }
        if let end = input.endDay, Self.day(end) == nil {
            throw AppError.badInput("--end '\(end)' is not a YYYY-MM-DD day", field: "end")
        }
        if input.trigger == .afterEvaluation && input.frequency != .once {
            throw AppError.badInput(
                "--trigger after-evaluation runs after each evaluation; drop --frequency",
                field: "frequency")
        }
        let scheduleDay = try input.day.map { text in
            switch Schedule.day(parsing: text, for: input.frequency) {
            case .success(let value): return value
            case .failure(let error): throw AppError.badInput(error.description, field: "day")
            }
        }
        let startDate = input.start ?? now
        var mappings: [ColumnMapping] = []
        for entry in input.columns {
            do { _ = try ExportSource(parsing: entry.source) } catch {
                throw AppError.badInput("\(error)", field: "columns")
            }
            let column = entry.column ?? ExportSource.defaultColumnName(entry.source)
            mappings.append(ColumnMapping(source: entry.source, column: column, hashed: entry.hashed))
        }
        guard input.dedupKeys.count <= 2 else {
            throw AppError.badInput("--dedup-key takes one or two sources", field: "dedupKeys")
        }
        for source in input.mandatory + input.dedupKeys {
            do { _ = try ExportSource(parsing: source) } catch {
                throw AppError.badInput("\(error)", field: input.mandatory.contains(source) ? "mandatory" : "dedupKeys")
            }
        }
        let template: PathTemplate
        do { template = try PathTemplate(fileName: input.fileName) } catch {
            throw AppError.badInput("\(error)", field: "fileName")
        }
        return try await phrased {
            let destination = try await store.destination(named: input.destination)
            var segments: [SegmentRecord] = []
            for s in input.segments { segments.append(try await store.segment(named: s)) }
            let folder = try PathTemplate(folder: destination.folderPath)
            let settings = try DestinationSettings(destination)
            let encoder = CSVEncoder(format: settings.format)
            for mapping in mappings {
                if let reason = encoder.unwritableReason(mapping.column) {
                    throw AppError.badInput(
                        "column name '\(mapping.column)' holds \(reason), which destination '\(destination.name)' (--quote none) cannot write in its header",
                        field: "columns")
                }
            }
            for segment in segments {
                // Expanding once catches a file name over 255 characters now, not at 2 a.m.
                _ = try template.expand(
                    MacroContext(
                        segmentName: segment.name, segmentId: segment.id, destinationName: destination.name,
                        destinationId: destination.id, scheduledTime: startDate))
                try Self.checkKeyLength(
                    folder: folder, fileName: template, settings: settings, manifest: destination.manifest,
                    segment: segment, destination: destination)
            }
            // A namespace no profile has is most likely a typo; it still exports, with empty values.
            var warnings: [String] = []
            for mapping in mappings {
                guard case let .identity(namespace)? = try? ExportSource(parsing: mapping.source) else { continue }
                if try await !store.hasIdentities(inNamespace: namespace) {
                    warnings.append(
                        "no profile has identity namespace '\(namespace)'; column '\(mapping.column)' will be empty")
                }
            }
            let record = ActivationRecord(
                id: UUID().uuidString.lowercased(), name: name, destinationId: destination.id,
                segmentIds: segments.map(\.id), mappings: mappings, mandatory: input.mandatory,
                dedupKeys: input.dedupKeys, mode: input.mode, frequency: input.frequency, start: startDate,
                endDay: input.endDay, timeZone: input.timeZone, fileNameTemplate: input.fileName,
                maxRowsPerFile: input.maxRowsPerFile, enabled: true, createdAt: now, day: scheduleDay,
                trigger: input.trigger)
            return CreatedActivation(activation: record, warnings: warnings)
        }
    }

    /// Every key a run can write must fit S3's 1,024 bytes, or the run would fail on upload, at its
    /// scheduled time rather than now. A key is `folder/name_N.ext` or the manifest's
    /// `folder/manifest-<destination id>-<run id>.json`; split numbers are counted at 10 digits.
    public static func checkKeyLength(
        folder: PathTemplate, fileName: PathTemplate, settings: DestinationSettings, manifest: Bool,
        segment: SegmentRecord, destination: DestinationRecord
    ) throws {
        func longest(_ template: PathTemplate) -> Int {
            template.longestExpansionBytes(
                segmentName: segment.name, segmentId: segment.id, destinationName: destination.name,
                destinationId: destination.id)
        }
        let folderBytes = folder.text.isEmpty ? 0 : longest(folder) + 1
        let fileBytes = longest(fileName) + "_".utf8.count + 10 + ".".utf8.count + settings.fileExtension.utf8.count
        let manifestBytes =
            manifest ? Manifest.objectName(destinationId: destination.id, runId: UUID().uuidString).utf8.count : 0
        let keyBytes = folderBytes + max(fileBytes, manifestBytes)
        if keyBytes > PathTemplate.maxKeyBytes {
            throw AppError.badInput(
                "for segment '\(segment.name)' this activation can write S3 keys of \(keyBytes) bytes, over S3's limit of \(PathTemplate.maxKeyBytes); shorten the destination's folder path, the file name or the segment name",
                field: "fileName")
        }
    }

    static func day(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withDashSeparatorInDate]
        f.timeZone = TimeZone(secondsFromGMT: 0)
        return f.date(from: text)
    }

    public func activations() async throws -> [ActivationRecord] {
        try await phrased { try await store.activations() }
    }

    public func activation(_ nameOrId: String) async throws -> ActivationRecord {
        try await phrased { try await store.activation(named: nameOrId) }
    }

    @discardableResult
    public func deleteActivation(_ nameOrId: String) async throws -> ActivationRecord {
        try await phrased { try await store.deleteActivation(nameOrId) }
    }

    /// Enables or disables an activation's scheduled runs.
    @discardableResult
    public func setActivation(_ nameOrId: String, enabled: Bool) async throws -> ActivationRecord {
        try await phrased {
            var record = try await store.activation(named: nameOrId)
            record.enabled = enabled
            try await store.updateActivation(record)
            return record
        }
    }
}
