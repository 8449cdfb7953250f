import Foundation
import Scheduling
import Workspace

/// What `ferry serve` does between requests: wakes at each scheduled time
/// (or every `pollSeconds`, to see new activations) and runs what is due.
public struct Scheduler: Sendable {
    public var runner: DueRunner
    public var maxConcurrentRuns = 2
    public var pollSeconds = 60
    public var retentionDays = 90
    /// Told each round's outcomes, e.g. to print them.
    public var report: @Sendable ([DueRunner.Outcome]) async -> Void = { _ in }

    public init(runner: DueRunner) {
        self.runner = runner
    }

    /// Runs until the task is cancelled. Cancelling stops in-flight uploads at
    /// their next await; their upload ids and run rows stay recorded, so the
    /// next start resumes them.
    public func run() async {
        while !Task.isCancelled {
            if let outcomes = try? await runner.runDue(at: Date(), maxConcurrent: maxConcurrentRuns) {
                await report(outcomes)
            }
            _ = try? await runner.pruneIfDue(retentionDays: retentionDays)
            _ = try? await runner.alertDelays(at: Date())
            let now = Date()
            var wake = now.addingTimeInterval(TimeInterval(pollSeconds))
            for activation in (try? await runner.store.activations()) ?? [] where activation.enabled {
                if let next = DueRunner.schedule(for: activation)?.next(after: now), next < wake { wake = next }
            }
            try? await Task.sleep(for: .seconds(max(1, wake.timeIntervalSince(now))))
        }
        await runner.flushAlerts()
    }
}
