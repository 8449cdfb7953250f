import Foundation
import GRDB

extension Workspace {
    // MARK: Destinations

    public func insertDestination(_ destination: DestinationRecord) async throws {
        var destination = destination
        destination.name = try NameRules.checked(destination.name, kind: "destination")
        try await dbPool.write { [destination] db in
            if try DestinationRecord.filter(DestinationRecord.Columns.name == destination.name).fetchCount(db) > 0 {
                throw WorkspaceError(.destinationExists, "A destination named '\(destination.name)' already exists.")
            }
            try destination.insert(db)
        }
    }

    public func destinations() async throws -> [DestinationRecord] {
        try await dbPool.read { db in try DestinationRecord.order(DestinationRecord.Columns.name).fetchAll(db) }
    }

    /// The destination with this id, else with this name.
    public func destination(named nameOrId: String) async throws -> DestinationRecord {
        try await dbPool.read { db in try Self.destination(nameOrId, in: db) }
    }

    static func destination(_ nameOrId: String, in db: Database) throws -> DestinationRecord {
        if let found = try DestinationRecord.fetchOne(db, key: nameOrId.lowercased())
            ?? DestinationRecord.filter(DestinationRecord.Columns.name == nameOrId).fetchOne(db)
        {
            return found
        }
        throw WorkspaceError(
            .destinationNotFound,
            "No destination is named or has the id '\(nameOrId)'; `ferry destinations list` shows them.")
    }

    /// Refused while an activation sends to it, so no schedule is left pointing nowhere.
    @discardableResult
    public func deleteDestination(_ nameOrId: String) async throws -> DestinationRecord {
        try await dbPool.write { db in
            let destination = try Self.destination(nameOrId, in: db)
            let users = try ActivationRecord.filter(ActivationRecord.Columns.destinationId == destination.id).fetchAll(
                db)
            guard users.isEmpty else {
                throw WorkspaceError(
                    .destinationInUse,
                    "Destination '\(destination.name)' is used by activation(s) \(users.map { "'\($0.name)'" }.joined(separator: ", ")); delete them first."
                )
            }
            try destination.delete(db)
            return destination
        }
    }

    // MARK: Activations

    /// Refused when another activation could write the same S3 keys; see `conflictingActivation(for:in:)`.
    public func insertActivation(_ activation: ActivationRecord) async throws {
        var activation = activation
        activation.name = try NameRules.checked(activation.name, kind: "activation")
        try await dbPool.write { [activation] db in
            if try ActivationRecord.filter(ActivationRecord.Columns.name == activation.name).fetchCount(db) > 0 {
                throw WorkspaceError(.activationExists, "An activation named '\(activation.name)' already exists.")
            }
            if let other = try Self.conflictingActivation(for: activation, in: db) {
                throw Self.conflictError(activation, other, in: db)
            }
            try activation.insert(db)
        }
    }

    /// Another activation that can write the same S3 keys as `activation`, or nil; the exporter asks
    /// before each run so two activations never overwrite each other's files, whichever way they came to clash.
    public func conflictingActivation(for activation: ActivationRecord) async throws -> ActivationRecord? {
        try await dbPool.read { db in try Self.conflictingActivation(for: activation, in: db) }
    }

    /// The error for a run or a create that `conflictingActivation` refuses, naming both activations.
    public func conflictError(_ activation: ActivationRecord, _ other: ActivationRecord) async throws -> WorkspaceError
    {
        try await dbPool.read { db in Self.conflictError(activation, other, in: db) }
    }

    /// Keys are `folder/name[_N].ext`, where the folder and extension belong to the destination and
    /// the name is the file-name template expanded for a segment and a scheduled time. No macro
    /// names the activation, so two activations sending a segment to one destination with the same
    /// template produce the same key whenever their scheduled times meet (a `once` run, two daily
    /// schedules at the same hour, a manual export), and with a template without a time part, always.
    /// Templates that differ as text are taken to write different names.
    static func conflictingActivation(for activation: ActivationRecord, in db: Database) throws
        -> ActivationRecord?
    {
        let template = normalizedTemplate(activation.fileNameTemplate)
        return try ActivationRecord.filter(ActivationRecord.Columns.destinationId == activation.destinationId)
            .order(ActivationRecord.Columns.name)
            .fetchAll(db)
            .first { other in
                other.id != activation.id && normalizedTemplate(other.fileNameTemplate) == template
                    && other.segmentIds.contains(where: activation.segmentIds.contains)
            }
    }

    /// `%DATETIME%` is shorthand for the default pattern, so both spellings write the same names.
    static func normalizedTemplate(_ template: String) -> String {
        template.replacingOccurrences(of: "%DATETIME%", with: "%DATETIME(YYYYMMdd_HHmmss)%")
    }

    static func conflictError(_ activation: ActivationRecord, _ other: ActivationRecord, in db: Database)
        -> WorkspaceError
    {
        let shared = activation.segmentIds.first(where: other.segmentIds.contains) ?? ""
        let segmentName = (try? SegmentRecord.filter(SegmentRecord.Columns.id == shared).fetchOne(db))?.name ?? shared
        return WorkspaceError(
            .activationConflict,
            "Activation '\(activation.name)' would overwrite the files of activation '\(other.name)': both send segment '\(segmentName)' to the same destination with the file name \"\(other.fileNameTemplate)\"; give one a different --file-name, e.g. with its name in it."
        )
    }

    public func activations() async throws -> [ActivationRecord] {
        try await dbPool.read { db in try ActivationRecord.order(ActivationRecord.Columns.name).fetchAll(db) }
    }

    public func activation(named nameOrId: String) async throws -> ActivationRecord {
        try await dbPool.read { db in try Self.activation(nameOrId, in: db) }
    }

    static func activation(_ nameOrId: String, in db: Database) throws -> ActivationRecord {
        if let found = try ActivationRecord.fetchOne(db, key: nameOrId.lowercased())
            ?? ActivationRecord.filter(ActivationRecord.Columns.name == nameOrId).fetchOne(db)
        {
            return found
        }
        throw WorkspaceError(
            .activationNotFound,
            "No activation is named or has the id '\(nameOrId)'; `ferry activations list` shows them.")
    }

    public func updateActivation(_ activation: ActivationRecord) async throws {
        try await dbPool.write { db in try activation.update(db) }
    }

    @discardableResult
    public func deleteActivation(_ nameOrId: String) async throws -> ActivationRecord {
        try await dbPool.write { db in
            let activation = try Self.activation(nameOrId, in: db)
            try activation.delete(db)
            return activation
        }
    }

    // MARK: Runs

    /// Starts the run of (activation, segment, scheduled time), or takes up the
    /// existing one for that time, so a retry reuses its id and keys.
    public func beginRun(
        activationId: String, segmentId: String, destinationId: String, scheduledTime: Date, mode: ExportMode,
        now: Date = Date(), lease: RunLease? = nil
    ) async throws -> RunRecord {
        try await dbPool.write { db in
            try Self.verify(lease, in: db)
            if var existing =
                try RunRecord
                .filter(
                    RunRecord.Columns.activationId == activationId && RunRecord.Columns.segmentId == segmentId
                        && RunRecord.Columns.scheduledTime == scheduledTime.timeIntervalSince1970
                )
                .fetchOne(db)
            {
                existing.attempts += 1
                existing.status = .processing
                existing.startedAt = now
                existing.finishedAt = nil
                existing.error = nil
                try existing.update(db)
                return existing
            }
            let run = RunRecord(
                id: UUID().uuidString.lowercased(), activationId: activationId, segmentId: segmentId,
                destinationId: destinationId, scheduledTime: scheduledTime, startedAt: now, mode: mode)
            try run.insert(db)
            return run
        }
    }

    /// Under a lease, the save is refused once another process has taken the run over.
    public func saveRun(_ run: RunRecord, lease: RunLease? = nil) async throws {
        try await dbPool.write { db in
            try Self.verify(lease, in: db)
            try run.update(db)
        }
    }

    /// Runs newest first, optionally for one activation.
    public func runs(activationId: String? = nil, limit: Int = 1000) async throws -> [RunRecord] {
        try await dbPool.read { db in
            var request = RunRecord.order(RunRecord.Columns.startedAt.desc)
            if let activationId { request = request.filter(RunRecord.Columns.activationId == activationId) }
            return try request.limit(limit).fetchAll(db)
        }
    }

    public func run(id: String) async throws -> RunRecord {
        try await dbPool.read { db in
            guard let run = try RunRecord.fetchOne(db, key: id.lowercased()) else {
                throw WorkspaceError(.runNotFound, "No run has the id '\(id)'; `ferry runs list` shows them.")
            }
            return run
        }
    }

    public func recordUpload(runId: String, key: String, uploadId: String, lease: RunLease? = nil) async throws {
        try await dbPool.write { db in
            try Self.verify(lease, in: db)
            try RunUploadRecord(runId: runId, key: key, uploadId: uploadId).save(db)
        }
    }

    public func recordedUpload(runId: String, key: String) async throws -> String? {
        try await dbPool.read { db in
            try RunUploadRecord.fetchOne(db, key: ["runId": runId, "key": key])?.uploadId
        }
    }

    public func clearUpload(runId: String, key: String) async throws {
        try await dbPool.write { db in
            _ = try RunUploadRecord.deleteOne(db, key: ["runId": runId, "key": key])
        }
    }
}
