import Export
import Foundation
import Scheduling
import Synchronization
import Workspace

/// A run as the API and console show it: counts, files and the manifest key.
public struct RunView: Codable, Sendable, Equatable {
    public var id: String
    public var activationId: String
    public var segmentId: String
    public var destinationId: String
    public var status: String
    public var mode: String
    public var scheduledTime: Date
    public var startedAt: Date
    public var finishedAt: Date?
    public var profilesReceived: Int
    public var exported: Int
    public var excludedMandatory: Int
    public var excludedDuplicate: Int
    public var files: [RunFile]
    public var manifestKey: String?
    public var error: String?
    public var attempts: Int
    public var skippedTimes: Int

    public init(_ run: RunRecord, manifest: Bool) {
        id = run.id
        activationId = run.activationId
        segmentId = run.segmentId
        destinationId = run.destinationId
        status = run.status.rawValue
        mode = run.mode.rawValue
        scheduledTime = run.scheduledTime
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        profilesReceived = run.profilesReceived
        exported = run.exported
        excludedMandatory = run.excludedMandatory
        excludedDuplicate = run.excludedDuplicate
        files = run.files
        manifestKey = manifest && run.status == .success ? ExportRunner.manifestKey(for: run) : nil
        error = run.error
        attempts = run.attempts
        skippedTimes = run.skippedTimes
    }
}

/// Which runs to list.
public struct RunFilter: Sendable {
    public var activation: String?
    public var segment: String?
    public var status: RunRecord.Status?
    public var since: Date?

    public init(activation: String? = nil, segment: String? = nil, status: RunRecord.Status? = nil, since: Date? = nil)
    {
        self.activation = activation
        self.segment = segment
        self.status = status
        self.since = since
    }

    /// A status as a filter names it.
    public static func status(parsing text: String) throws(AppError) -> RunRecord.Status {
        guard let status = RunRecord.Status(rawValue: text) else {
            throw AppError.badInput("status must be processing, success or failed", field: "status")
        }
        return status
    }
}

/// One line of `status`: an activation's segment, its next run and its health.
public struct StatusLine: Codable, Sendable, Equatable {
    public var activationId: String
    public var activation: String
    public var segmentId: String
    public var segment: String
    public var enabled: Bool
    public var nextRun: Date?
    public var lastStatus: String?
    public var lastScheduledTime: Date?
    public var lastRows: Int
    /// Minutes a due time has gone without a successful run, past the threshold.
    public var delayedMinutes: Int?
    /// A run recorded more than a day ahead, which holds back the schedule.
    public var futureRunId: String?
    public var futureRunTime: Date?

    public var healthy: Bool { delayedMinutes == nil && lastStatus != "failed" && futureRunId == nil }
}

/// What `ferry status --check` and `GET /status` report.
public struct StatusReport: Codable, Sendable, Equatable {
    public var lines: [StatusLine]
    public var unhealthy: Int
    public var healthy: Bool { unhealthy == 0 }
}

extension FerryUseCases {
    /// Runs newest first, with the monitoring filters.
    public func runs(_ filter: RunFilter, page: PageRequest) async throws -> Page<RunView> {
        let records = try await runRecords(filter, limit: page.offset + page.limit + 1)
        let slice = page.slice(records)
        return try await phrased { Page(items: try await views(slice.items), nextCursor: slice.nextCursor) }
    }

    /// The ledger's records newest first, the filters' names resolved to ids.
    public func runRecords(_ filter: RunFilter, limit: Int) async throws -> [RunRecord] {
        try await phrased {
            let activationId = try await filter.activation.asyncMap { try await store.activation(named: $0).id }
            let segmentId = try await filter.segment.asyncMap { try await store.segment(named: $0).id }
            return try await store.runs(
                activationId: activationId, status: filter.status, since: filter.since, segmentId: segmentId,
                limit: limit)
        }
    }

    /// One run as the ledger holds it.
    public func runRecord(_ id: String) async throws -> RunRecord {
        try await phrased { try await store.run(id: id.lowercased()) }
    }

    public func run(_ id: String) async throws -> RunView {
        try await phrased {
            let record = try await store.run(id: id.lowercased())
            return try await views([record])[0]
        }
    }

    func views(_ runs: [RunRecord]) async throws -> [RunView] {
        var manifest: [String: Bool] = [:]
        for id in Set(runs.map(\.destinationId)) {
            if let known = manifestFlags.flag(id) {
                manifest[id] = known
            } else if let destination = try? await store.destination(named: id) {
                manifest[id] = destination.manifest
                manifestFlags.remember(id, destination.manifest)
            }
        }
        return runs.map { RunView($0, manifest: manifest[$0.destinationId] ?? false) }
    }

    /// "Export file now": one run per segment of the activation (or just `segment`),
    /// scheduled at `scheduledTime`, so the same time rewrites the same keys.
    public func exportNow(_ activation: String, segment: String? = nil, at scheduledTime: Date? = nil) async throws
        -> [DueRunner.Outcome]
    {
        let (record, segmentIds) = try await exportTargets(activation, segment: segment)
        let scheduled = Self.exportTime(scheduledTime)
        let runner = dueRunner()
        var outcomes: [DueRunner.Outcome] = []
        for segmentId in segmentIds {
            outcomes.append(await runner.runNow(activation: record, segmentId: segmentId, scheduledTime: scheduled))
        }
        return outcomes
    }

    /// What "export now" would write, per segment, found by evaluating and encoding as a run
    /// would; nothing reaches S3 and no run is recorded, so it needs no S3 permission.
    public func dryRun(_ activation: String, segment: String? = nil, at scheduledTime: Date? = nil) async throws
        -> [DryRunReport]
    {
        let (record, segmentIds) = try await exportTargets(activation, segment: segment)
        let scheduled = Self.exportTime(scheduledTime)
        return try await phrased {
            var reports: [DryRunReport] = []
            for segmentId in segmentIds {
                reports.append(
                    try await exporter.dryRun(activation: record, segmentId: segmentId, scheduledTime: scheduled))
            }
            return reports
        }
    }

    /// Whole seconds by default, so names with seconds and the ledger agree.
    static func exportTime(_ given: Date?) -> Date {
        given ?? Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    /// The activation and the segments an export covers: all of them, or the one named.
    func exportTargets(_ activation: String, segment: String?) async throws -> (ActivationRecord, [String]) {
        try await phrased {
            let record = try await store.activation(named: activation)
            guard let segment else { return (record, record.segmentIds) }
            let wanted = try await store.segment(named: segment).id
            guard record.segmentIds.contains(wanted) else {
                throw AppError.badInput(
                    "segment '\(segment)' is not part of activation '\(record.name)'", field: "segment")
            }
            return (record, [wanted])
        }
    }

    /// Each activation's segments with their next run and last result; a
    /// line is unhealthy when delayed, failed, or held back by a future run.
    public func status(at now: Date = Date()) async throws -> StatusReport {
        try await phrased {
            var delayed: [String: Int] = [:]
            for (item, minutes) in try await dueRunner().delayedItems(at: now) {
                delayed[item.activation.id + "|" + item.segmentId] = minutes
            }
            var names: [String: String] = [:]
            for segment in try await store.segments() { names[segment.id] = segment.name }
            var lines: [StatusLine] = []
            for activation in try await store.activations() {
                let next = activation.enabled ? DueRunner.schedule(for: activation)?.next(after: now) : nil
                for segmentId in activation.segmentIds {
                    let runs = try await store.runs(
                        activationId: activation.id, status: nil, since: nil, segmentId: segmentId, limit: 1000)
                    let last = runs.first
                    let future = runs.first { $0.scheduledTime > now.addingTimeInterval(86_400) }
                    lines.append(
                        StatusLine(
                            activationId: activation.id, activation: activation.name, segmentId: segmentId,
                            segment: names[segmentId] ?? segmentId, enabled: activation.enabled, nextRun: next,
                            lastStatus: last?.status.rawValue, lastScheduledTime: last?.scheduledTime,
                            lastRows: last?.exported ?? 0, delayedMinutes: delayed[activation.id + "|" + segmentId],
                            futureRunId: future?.id, futureRunTime: future?.scheduledTime))
                }
            }
            return StatusReport(lines: lines, unhealthy: lines.filter { !$0.healthy }.count)
        }
    }

    /// Whether the store answers at all, for `/readyz`.
    public func ready() async -> Bool {
        (try? await store.activations()) != nil
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

/// Whether each destination writes a manifest, by id. A destination is never changed
/// once saved (only deleted, and ids are never reused), so a flag read once stays
/// true, and the busy run list need not read every destination per request.
final class ManifestFlags: Sendable {
    private let flags = Mutex<[String: Bool]>([:])

    func flag(_ destinationId: String) -> Bool? { flags.withLock { $0[destinationId] } }

    func remember(_ destinationId: String, _ manifest: Bool) {
        flags.withLock { $0[destinationId] = manifest }
    }
}
