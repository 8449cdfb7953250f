import Export
import Foundation
import Logging
import Workspace

/// Runs what a schedule says is due: for every enabled activation and each
/// of its segments, the latest scheduled time at or before `at` that has no
/// successful run. Older missed times collapse into that one run, so a user
/// never gets a burst of stale files after downtime.
public struct DueRunner: Sendable {
    public struct Item: Sendable, Equatable {
        public var activation: ActivationRecord
        public var segmentId: String
        public var scheduledTime: Date
        public var skippedTimes: Int

        var leaseKey: String { "\(activation.id)|\(segmentId)|\(scheduledTime.timeIntervalSince1970)" }
    }

    public enum Outcome: Sendable {
        case success(RunRecord)
        case failed(Item, String)
        /// Another process holds this run's lease.
        case busy(Item)
    }

    public let workspace: Workspace
    public var exporter: ExportRunner
    public var logger: Logger
    /// Attempts at one scheduled time before it is left `failed`.
    public var maxAttempts = 5
    /// A failed run waits 30 s, 60 s, 120 s... (at most 30 min) before the next try.
    public var retryBase: TimeInterval = 30
    public var leaseDuration: TimeInterval = 60
    public let holder: String
    /// A scheduled time without a successful run this long after it fell due
    /// is reported as delayed, as in the reference (150 minutes).
    public var delayThreshold: TimeInterval = 150 * 60
    /// Receives every alert; a sink must not throw into the run it reports on.
    public var onAlert: @Sendable (RunAlert) async -> Void = { _ in }

    public init(workspace: Workspace, exporter: ExportRunner, logger: Logger = Logger(label: "ferry.scheduler")) {
        self.workspace = workspace
        self.exporter = exporter
        self.logger = logger
        self.holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    public static func schedule(for activation: ActivationRecord) -> Schedule? {
        guard let frequency = Schedule.Frequency(activation.frequency) else { return nil }
        return Schedule(
            start: activation.start, frequency: frequency, endDay: activation.endDay,
            timeZone: TimeZone(identifier: activation.timeZone) ?? TimeZone(secondsFromGMT: 0)!)
    }

    /// What should run now, without running it.
    public func dueItems(at: Date, now: Date = Date()) async throws -> [Item] {
        var items: [Item] = []
        for activation in try await workspace.activations() where activation.enabled {
            guard let schedule = Self.schedule(for: activation),
                let due = schedule.latestDue(atOrBefore: at)
            else { continue }
            for segmentId in activation.segmentIds {
                let lastSuccess = try await workspace.lastSuccessfulRun(
                    activationId: activation.id, segmentId: segmentId)
                if let lastSuccess, lastSuccess.scheduledTime >= due.time { continue }
                if let existing = try await workspace.run(
                    activationId: activation.id, segmentId: segmentId, scheduledTime: due.time),
                    existing.status == .failed
                {
                    guard existing.attempts < maxAttempts else { continue }
                    let wait = min(retryBase * pow(2, Double(existing.attempts - 1)), 1800)
                    if let finished = existing.finishedAt, now < finished.addingTimeInterval(wait) { continue }
                }
                let previousIndex = lastSuccess.flatMap { schedule.index(of: $0.scheduledTime) } ?? -1
                items.append(
                    Item(
                        activation: activation, segmentId: segmentId, scheduledTime: due.time,
                        skippedTimes: max(0, due.index - previousIndex - 1)))
            }
        }
        return items
    }

    /// Runs the due items, at most `maxConcurrent` at once; failures are
    /// recorded and the rest go on.
    public func runDue(at: Date, maxConcurrent: Int = 2) async throws -> [Outcome] {
        let items = try await dueItems(at: at)
        return await withTaskGroup(of: Outcome.self) { group in
            var outcomes: [Outcome] = []
            var inFlight = 0
            for item in items {
                if inFlight >= maxConcurrent, let outcome = await group.next() {
                    outcomes.append(outcome)
                    inFlight -= 1
                }
                group.addTask { await self.run(item) }
                inFlight += 1
            }
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// One item under its lease, which a heartbeat keeps alive while the export runs.
    func run(_ item: Item) async -> Outcome {
        let key = item.leaseKey
        breakLeaseOfDeadHolder(key)
        guard (try? workspace.acquireLease(key, holder: holder, duration: leaseDuration)) == true else {
            logger.info(
                "run busy", metadata: ["activation": "\(item.activation.name)", "segment": "\(item.segmentId)"])
            return .busy(item)
        }
        defer { workspace.releaseLease(key, holder: holder) }
        // A run that finished in another process between listing and leasing is not repeated.
        if let done = try? await workspace.lastSuccessfulRun(
            activationId: item.activation.id, segmentId: item.segmentId),
            done.scheduledTime >= item.scheduledTime
        {
            return .success(done)
        }
        let heartbeat = Task { [workspace, holder, leaseDuration] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(leaseDuration / 4))
                try? workspace.renewLease(key, holder: holder, duration: leaseDuration)
            }
        }
        defer { heartbeat.cancel() }
        let segmentName = await self.segmentName(item.segmentId)
        await onAlert(
            RunAlert(
                kind: .started, activation: item.activation.name, segment: segmentName,
                scheduledTime: item.scheduledTime))
        logger.info(
            "run start",
            metadata: [
                "activation": "\(item.activation.name)", "segment": "\(item.segmentId)",
                "scheduledTime": "\(item.scheduledTime.formatted(.iso8601))", "skipped": "\(item.skippedTimes)",
            ])
        do {
            try await evaluateIfStale(segmentId: item.segmentId)
            let run = try await exporter.run(
                activation: item.activation, segmentId: item.segmentId, scheduledTime: item.scheduledTime,
                skippedTimes: item.skippedTimes)
            logger.info(
                "run end",
                metadata: [
                    "run": "\(run.id)", "status": "success", "rows": "\(run.exported)",
                    "files": "\(run.files.count)", "lagSeconds": "\(Int(run.lag))",
                ])
            var alert = RunAlert(
                kind: .succeeded, activation: item.activation.name, segment: segmentName,
                scheduledTime: item.scheduledTime)
            alert.runId = run.id
            alert.rows = run.exported
            alert.files = run.files.count
            alert.attempt = run.attempts
            await onAlert(alert)
            return .success(run)
        } catch {
            let message = String(describing: error)
            logger.error(
                "run end",
                metadata: ["activation": "\(item.activation.name)", "status": "failed", "error": "\(message)"])
            let recorded = try? await workspace.run(
                activationId: item.activation.id, segmentId: item.segmentId, scheduledTime: item.scheduledTime)
            var alert = RunAlert(
                kind: .failed, activation: item.activation.name, segment: segmentName,
                scheduledTime: item.scheduledTime)
            alert.runId = recorded?.id
            alert.attempt = recorded?.attempts ?? 1
            alert.willRetry = (recorded?.attempts ?? 1) < maxAttempts
            alert.error = message
            await onAlert(alert)
            return .failed(item, message)
        }
    }

    /// Every (activation, segment) whose latest due time has no successful
    /// run more than `delayThreshold` after it fell due.
    public func delayedItems(at now: Date) async throws -> [(item: Item, minutes: Int)] {
        var delayed: [(item: Item, minutes: Int)] = []
        for activation in try await workspace.activations() where activation.enabled {
            guard let due = Self.schedule(for: activation)?.latestDue(atOrBefore: now),
                now.timeIntervalSince(due.time) > delayThreshold
            else { continue }
            for segmentId in activation.segmentIds {
                let last = try await workspace.lastSuccessfulRun(activationId: activation.id, segmentId: segmentId)
                if let last, last.scheduledTime >= due.time { continue }
                let item = Item(activation: activation, segmentId: segmentId, scheduledTime: due.time, skippedTimes: 0)
                delayed.append((item, Int(now.timeIntervalSince(due.time) / 60)))
            }
        }
        return delayed
    }

    /// Sends one delay alert per late scheduled time, however many processes
    /// watch the workspace and however often they look.
    @discardableResult
    public func alertDelays(at now: Date) async throws -> [RunAlert] {
        var sent: [RunAlert] = []
        for (item, minutes) in try await delayedItems(at: now) {
            guard try await workspace.claimOnce("delayed|" + item.leaseKey, now: now) else { continue }
            var alert = RunAlert(
                kind: .delayed, activation: item.activation.name, segment: await segmentName(item.segmentId),
                scheduledTime: item.scheduledTime)
            alert.delayMinutes = minutes
            logger.warning(
                "run delayed",
                metadata: [
                    "activation": "\(item.activation.name)", "segment": "\(alert.segment)",
                    "scheduledTime": "\(item.scheduledTime.formatted(.iso8601))", "minutes": "\(minutes)",
                ])
            await onAlert(alert)
            sent.append(alert)
        }
        return sent
    }

    /// Removes runs older than `days` (keeping what the scheduler still
    /// reads), at most once a calendar day across all processes.
    @discardableResult
    public func pruneIfDue(retentionDays: Int, now: Date = Date()) async throws -> Int? {
        let day = Int(now.timeIntervalSince1970 / 86_400)
        guard try await workspace.claimOnce("prune|\(day)", now: now) else { return nil }
        let removed = try await workspace.pruneRuns(
            scheduledBefore: now.addingTimeInterval(-Double(retentionDays) * 86_400))
        if removed > 0 { logger.info("runs pruned", metadata: ["removed": "\(removed)", "days": "\(retentionDays)"]) }
        return removed
    }

    func segmentName(_ segmentId: String) async -> String {
        (try? await workspace.segment(named: segmentId))?.name ?? segmentId
    }

    /// A holder on this machine whose process is gone (killed with SIGKILL)
    /// cannot renew; its lease is taken over at once instead of after expiry.
    func breakLeaseOfDeadHolder(_ key: String) {
        guard let current = try? workspace.leaseHolder(key) else { return }
        let parts = current.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]),
            pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
        else { return }
        workspace.releaseLease(key, holder: current)
    }

    /// Evaluates first unless an evaluation is newer than the segment's previous run.
    func evaluateIfStale(segmentId: String) async throws {
        let evaluation = try await workspace.latestEvaluation(segmentId: segmentId)
        let previous = try await workspace.lastRun(segmentId: segmentId)
        if let evaluation, let finished = evaluation.finishedAt, finished > (previous?.startedAt ?? .distantPast) {
            return
        }
        _ = try await workspace.evaluate(segmentIds: [segmentId])
    }
}
