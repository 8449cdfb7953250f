import Export
import Foundation
import Logging
import Synchronization
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
        case failed(Item, any Error)
        /// Another process holds this run's lease.
        case busy(Item)
        /// This process's lease lapsed (it was stopped or starved) and another
        /// process took the run over; nothing more was written by this one.
        case superseded(Item)
    }

    /// The scheduler reads and writes only through the store's seams, so it
    /// runs the same on any backend.
    public let store: any Catalog & SegmentStore & RunLedger & LeaseStore
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
    let pendingAlerts = PendingTasks()

    public init(
        store: any Catalog & SegmentStore & RunLedger & LeaseStore, exporter: ExportRunner,
        logger: Logger = Logger(label: "ferry.scheduler")
    ) {
        self.store = store
        self.exporter = exporter
        self.logger = logger
        self.holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    /// The clock schedule; nil for an activation run by its segment's evaluations.
    public static func schedule(for activation: ActivationRecord) -> Schedule? {
        guard activation.trigger == .schedule else { return nil }
        let timeZone = TimeZone(identifier: activation.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        return Schedule(
            start: activation.start,
            frequency: Schedule.Frequency(
                activation.frequency, day: activation.day, start: activation.start, timeZone: timeZone),
            endDay: activation.endDay, timeZone: timeZone)
    }

    /// The run an after-evaluation activation owes a segment: one per
    /// completed evaluation since its start, scheduled at the evaluation's end,
    /// so the run ledger's one-run-per-time rule makes it at most once.
    /// Only the latest evaluation is owed; older ones collapse into it.
    func evaluationDue(_ activation: ActivationRecord, segmentId: String) async throws -> Date? {
        guard activation.trigger == .afterEvaluation,
            let finished = try await store.latestEvaluation(segmentId: segmentId)?.finishedAt,
            finished >= activation.start
        else { return nil }
        if let end = activation.endDay.flatMap({
            Schedule(
                start: activation.start, frequency: .once, endDay: $0,
                timeZone: TimeZone(identifier: activation.timeZone) ?? .gmt
            ).end
        }),
            finished >= end
        {
            return nil
        }
        return finished
    }

    /// What should run now, without running it.
    public func dueItems(at: Date, now: Date = Date()) async throws -> [Item] {
        var items: [Item] = []
        for activation in try await store.activations() where activation.enabled {
            if activation.trigger == .afterEvaluation {
                for segmentId in activation.segmentIds {
                    guard let time = try await evaluationDue(activation, segmentId: segmentId), time <= at,
                        try await owed(activation, segmentId: segmentId, time: time, at: at, now: now)
                    else { continue }
                    items.append(
                        Item(activation: activation, segmentId: segmentId, scheduledTime: time, skippedTimes: 0))
                }
                continue
            }
            guard let schedule = Self.schedule(for: activation),
                let due = schedule.latestDue(atOrBefore: at)
            else { continue }
            for segmentId in activation.segmentIds {
                let lastSuccess = try await store.lastSuccessfulRun(
                    activationId: activation.id, segmentId: segmentId, scheduledAtOrBefore: at)
                if let lastSuccess, lastSuccess.scheduledTime >= due.time { continue }
                if let existing = try await store.run(
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

    /// True when `time` has no successful run yet and a failed one may be tried again now.
    private func owed(_ activation: ActivationRecord, segmentId: String, time: Date, at: Date, now: Date) async throws
        -> Bool
    {
        if let last = try await store.lastSuccessfulRun(
            activationId: activation.id, segmentId: segmentId, scheduledAtOrBefore: at), last.scheduledTime >= time
        {
            return false
        }
        if let existing = try await store.run(activationId: activation.id, segmentId: segmentId, scheduledTime: time),
            existing.status == .failed
        {
            guard existing.attempts < maxAttempts else { return false }
            let wait = min(retryBase * pow(2, Double(existing.attempts - 1)), 1800)
            if let finished = existing.finishedAt, now < finished.addingTimeInterval(wait) { return false }
        }
        return true
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

    /// Exports one segment of an activation now, under the same lease as a
    /// scheduled run of that time, so `ferry export` and `run --due` never
    /// write the same run at once.
    public func runNow(activation: ActivationRecord, segmentId: String, scheduledTime: Date) async -> Outcome {
        await run(
            Item(activation: activation, segmentId: segmentId, scheduledTime: scheduledTime, skippedTimes: 0),
            scheduled: false)
    }

    /// One item under its lease, which a heartbeat keeps alive while the export runs.
    /// Any error stays in this run: it is recorded and reported, never thrown.
    func run(_ item: Item, scheduled: Bool = true) async -> Outcome {
        let key = item.leaseKey
        await breakLeaseOfDeadHolder(key)
        let lease: RunLease
        do {
            guard let acquired = try await store.acquireLease(key, holder: holder, duration: leaseDuration, now: Date())
            else {
                logger.info(
                    "run held by another process",
                    metadata: ["activation": "\(item.activation.name)", "segment": "\(item.segmentId)"])
                return .busy(item)
            }
            lease = acquired
        } catch {
            return .failed(item, error)
        }
        // A run that finished in another process between listing and leasing is not repeated.
        if scheduled,
            let done = try? await store.lastSuccessfulRun(
                activationId: item.activation.id, segmentId: item.segmentId, scheduledAtOrBefore: item.scheduledTime),
            done.scheduledTime >= item.scheduledTime
        {
            await store.releaseLease(lease)
            return .success(done)
        }
        let outcome = await runLeased(item, lease: lease)
        await store.releaseLease(lease)
        return outcome
    }

    private func runLeased(_ item: Item, lease: RunLease) async -> Outcome {
        let segmentName = await self.segmentName(item.segmentId)
        // Alerts are sent off the run's path: a slow webhook never holds it up.
        sendAlert(
            RunAlert(
                kind: .started, activation: item.activation.name, segment: segmentName,
                scheduledTime: item.scheduledTime))
        logger.info(
            "run start",
            metadata: [
                "activation": "\(item.activation.name)", "segment": "\(item.segmentId)",
                "scheduledTime": "\(item.scheduledTime.formatted(.iso8601))", "skipped": "\(item.skippedTimes)",
                "lease": "\(lease.token)",
            ])
        do {
            let run = try await withLeaseKeptAlive(lease) {
                // A run started by an evaluation exports that evaluation; evaluating
                // again would start another run.
                if item.activation.trigger == .schedule { try await evaluateIfStale(segmentId: item.segmentId) }
                return try await exporter.run(
                    activation: item.activation, segmentId: item.segmentId, scheduledTime: item.scheduledTime,
                    skippedTimes: item.skippedTimes, lease: lease)
            }
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
            sendAlert(alert)
            return .success(run)
        } catch where ExportRunner.isLeaseLost(error) {
            // Another process owns the run now; its result is the one that counts.
            logger.warning(
                "run taken over by another process",
                metadata: ["activation": "\(item.activation.name)", "segment": "\(item.segmentId)"])
            return .superseded(item)
        } catch {
            // An error that came from writing after a takeover (the upload was
            // completed by the new holder, say) is the new holder's business.
            if await leaseLost(lease) {
                logger.warning(
                    "run taken over by another process",
                    metadata: ["activation": "\(item.activation.name)", "segment": "\(item.segmentId)"])
                return .superseded(item)
            }
            let message = String(describing: error)
            logger.error(
                "run end",
                metadata: ["activation": "\(item.activation.name)", "status": "failed", "error": "\(message)"])
            let recorded = try? await store.run(
                activationId: item.activation.id, segmentId: item.segmentId, scheduledTime: item.scheduledTime)
            var alert = RunAlert(
                kind: .failed, activation: item.activation.name, segment: segmentName,
                scheduledTime: item.scheduledTime)
            alert.runId = recorded?.id
            alert.attempt = recorded?.attempts ?? 1
            alert.willRetry = (recorded?.attempts ?? 1) < maxAttempts
            alert.error = message
            sendAlert(alert)
            return .failed(item, error)
        }
    }

    /// True only when a newer holder is known to have the run.
    private func leaseLost(_ lease: RunLease) async -> Bool {
        do {
            try await store.checkLease(lease)
            return false
        } catch {
            return error is LeaseLostError
        }
    }

    /// Runs `body` while renewing the lease every quarter of its duration.
    /// When a renewal finds that another process has taken the run, `body`
    /// is cancelled and `LeaseLostError` is thrown.
    func withLeaseKeptAlive<T: Sendable>(_ lease: RunLease, _ body: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { [store, leaseDuration] in
                while true {
                    try await Task.sleep(for: .seconds(leaseDuration / 4))
                    // A failed renewal (a busy database) is tried again at the next
                    // beat; only a newer holder ends the run.
                    if (try? await store.renewLease(lease, duration: leaseDuration, now: Date())) == false {
                        throw LeaseLostError(runKey: lease.runKey, token: lease.token)
                    }
                }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }

    /// Hands an alert to the sink in its own task. A process that exits
    /// first waits for pending alerts in `flushAlerts()`.
    func sendAlert(_ alert: RunAlert) {
        pendingAlerts.start { [onAlert] in await onAlert(alert) }
    }

    /// Waits for alerts still being sent (each sink bounds its own time).
    public func flushAlerts() async {
        for task in pendingAlerts.drain() { await task.value }
    }

    /// Every (activation, segment) whose latest due time has no successful
    /// run more than `delayThreshold` after it fell due.
    public func delayedItems(at now: Date) async throws -> [(item: Item, minutes: Int)] {
        var delayed: [(item: Item, minutes: Int)] = []
        for activation in try await store.activations() where activation.enabled {
            guard let due = Self.schedule(for: activation)?.latestDue(atOrBefore: now),
                now.timeIntervalSince(due.time) > delayThreshold
            else { continue }
            for segmentId in activation.segmentIds {
                let last = try await store.lastSuccessfulRun(
                    activationId: activation.id, segmentId: segmentId, scheduledAtOrBefore: .distantFuture)
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
            guard try await store.claimOnce("delayed|" + item.leaseKey, now: now) else { continue }
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
            sendAlert(alert)
            sent.append(alert)
        }
        return sent
    }

    /// Removes runs older than `days` (keeping what the scheduler still
    /// reads), at most once a calendar day across all processes.
    @discardableResult
    public func pruneIfDue(retentionDays: Int, now: Date = Date()) async throws -> Int? {
        let day = Int(now.timeIntervalSince1970 / 86_400)
        guard try await store.claimOnce("prune|\(day)", now: now) else { return nil }
        let removed = try await store.pruneRuns(
            scheduledBefore: now.addingTimeInterval(-Double(retentionDays) * 86_400))
        if removed > 0 { logger.info("runs pruned", metadata: ["removed": "\(removed)", "days": "\(retentionDays)"]) }
        return removed
    }

    func segmentName(_ segmentId: String) async -> String {
        (try? await store.segment(named: segmentId))?.name ?? segmentId
    }

    /// A holder on this machine whose process is gone (killed with SIGKILL)
    /// cannot renew; its lease is taken over at once instead of after expiry.
    func breakLeaseOfDeadHolder(_ key: String) async {
        guard let current = try? await store.leaseHolder(key, now: Date()) else { return }
        let parts = current.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]),
            pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
        else { return }
        try? await store.expireLease(key, heldBy: current)
    }

    /// Evaluates first unless an evaluation is newer than the segment's previous run.
    func evaluateIfStale(segmentId: String) async throws {
        let evaluation = try await store.latestEvaluation(segmentId: segmentId)
        let previous = try await store.lastRun(segmentId: segmentId)
        if let evaluation, let finished = evaluation.finishedAt, finished > (previous?.startedAt ?? .distantPast) {
            return
        }
        _ = try await store.evaluate(segmentIds: [segmentId], now: Date())
    }
}

/// Alert tasks in flight, so a process can wait for them before it exits.
final class PendingTasks: Sendable {
    private let tasks = Mutex<[UUID: Task<Void, Never>]>([:])

    /// Starts `work` and keeps it listed until it ends.
    func start(_ work: @escaping @Sendable () async -> Void) {
        let id = UUID()
        tasks.withLock { list in
            list[id] = Task { [weak self] in
                await work()
                _ = self?.tasks.withLock { $0.removeValue(forKey: id) }
            }
        }
    }

    func drain() -> [Task<Void, Never>] {
        tasks.withLock { Array($0.values) }
    }
}
