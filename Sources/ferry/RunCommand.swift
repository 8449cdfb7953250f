import ArgumentParser
import Export
import Foundation
import S3
import Scheduling
import Workspace

/// `ferry run --due`: what cron calls. Runs every due (activation, segment) once.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run every scheduled export that is due and has not succeeded yet.")

    @OptionGroup var options: WorkspaceOptions
    @Flag(help: "Run what is due (required; kept explicit for cron lines).") var due = false
    @Option(help: "Treat this ISO-8601 time as now.") var at: String?
    @Option(help: "Runs at once.") var maxConcurrentRuns: Int = 2
    @Option(help: "Part size in MiB.") var partSize: Int = 16
    @OptionGroup var alerts: AlertOptions

    func run() async throws {
        guard due else { throw CLIError("ferry: say --due to run what is due", exitCode: ExitStatus.badInput) }
        let now = try ISO8601Parsing.now(at)
        let workspace = try options.open()
        let uploadOptions = try WorkspaceOptions.translatingErrors {
            try UploadOptions(partSize: partSize * 1024 * 1024)
        }
        var runner = DueRunner(
            workspace: workspace, exporter: ExportRunner(workspace: workspace, uploadOptions: uploadOptions))
        try alerts.configure(&runner)
        let outcomes = try await WorkspaceOptions.translatingErrors {
            try await runner.runDue(at: now, maxConcurrent: max(1, maxConcurrentRuns))
        }
        // After the runs, so a time they just caught up on is not reported late.
        let delayed = try await WorkspaceOptions.translatingErrors {
            _ = try await runner.pruneIfDue(retentionDays: alerts.retentionDays, now: now)
            return try await runner.alertDelays(at: now)
        }
        for alert in delayed { print(alert.text) }
        var failed = 0
        for outcome in outcomes {
            switch outcome {
            case let .success(run):
                print(
                    "run \(run.id) success: \(run.exported) rows, \(run.files.count) files, skipped \(run.skippedTimes) earlier times"
                )
            case let .failed(item, message):
                failed += 1
                print(
                    "run of \(item.activation.name)/\(item.segmentId) at \(item.scheduledTime.formatted(.iso8601)) failed: \(message)"
                )
            case let .busy(item):
                print("run of \(item.activation.name)/\(item.segmentId) is held by another process")
            }
        }
        if outcomes.isEmpty { print("nothing due") }
        if failed > 0 { throw ExitCode(ExitStatus.failure) }
    }
}

/// `ferry serve`: wakes at each scheduled time and runs what is due.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run scheduled exports as they fall due, until SIGTERM or SIGINT.")

    @OptionGroup var options: WorkspaceOptions
    @Option(help: "Runs at once.") var maxConcurrentRuns: Int = 2
    @Option(help: "Longest sleep between checks, in seconds; new activations are seen within it.")
    var pollSeconds: Int = 60
    @OptionGroup var alerts: AlertOptions

    func run() async throws {
        let workspace = try options.open()
        var runner = DueRunner(workspace: workspace, exporter: ExportRunner(workspace: workspace))
        try alerts.configure(&runner)
        let work = Task { [runner, alerts] in
            while !Task.isCancelled {
                _ = try? await runner.runDue(at: Date(), maxConcurrent: max(1, maxConcurrentRuns))
                _ = try? await runner.pruneIfDue(retentionDays: alerts.retentionDays)
                _ = try? await runner.alertDelays(at: Date())
                let now = Date()
                var wake = now.addingTimeInterval(TimeInterval(pollSeconds))
                for activation in (try? await workspace.activations()) ?? [] where activation.enabled {
                    if let next = DueRunner.schedule(for: activation)?.next(after: now), next < wake { wake = next }
                }
                try? await Task.sleep(for: .seconds(max(1, wake.timeIntervalSince(now))))
            }
        }
        // Cancelling stops in-flight uploads at their next await; their upload
        // ids and run rows stay recorded, so the next start resumes them.
        let signals = [SIGTERM, SIGINT].map { signo -> DispatchSourceSignal in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo)
            source.setEventHandler { work.cancel() }
            source.resume()
            return source
        }
        _ = await work.result
        signals.forEach { $0.cancel() }
        print("ferry serve stopped")
    }
}

/// `ferry status`: one line per activation and segment.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each activation's next run and last result.")

    @OptionGroup var options: WorkspaceOptions
    @Option(help: "A due time with no successful run after this many minutes counts as delayed.")
    var delayAlertMinutes: Int = 150
    @Flag(help: "Exit 4 when any segment's export is delayed or its last run failed (for monitors).")
    var check = false
    @Option(help: "Treat this ISO-8601 time as now.") var at: String?

    func run() async throws {
        let workspace = try options.open()
        var runner = DueRunner(workspace: workspace, exporter: ExportRunner(workspace: workspace))
        runner.delayThreshold = TimeInterval(max(1, delayAlertMinutes) * 60)
        let now = try ISO8601Parsing.now(at)
        let unhealthy = try await WorkspaceOptions.translatingErrors {
            var delayed: [String: Int] = [:]
            for (item, minutes) in try await runner.delayedItems(at: now) {
                delayed[item.activation.id + "|" + item.segmentId] = minutes
            }
            var unhealthy = 0
            for activation in try await workspace.activations() {
                let next =
                    activation.enabled
                    ? DueRunner.schedule(for: activation)?.next(after: now)?.formatted(.iso8601) ?? "none" : "disabled"
                for segmentId in activation.segmentIds {
                    let segment = (try? await workspace.segment(named: segmentId))?.name ?? segmentId
                    let last = try await workspace.runs(
                        activationId: activation.id, status: nil, since: nil, segmentId: segmentId, limit: 1
                    ).first
                    let lastText =
                        last.map { "\($0.status.rawValue) \($0.scheduledTime.formatted(.iso8601))" } ?? "never run"
                    var line =
                        "\(activation.name)\t\(segment)\tnext \(next)\tlast \(lastText)\trows \(last?.exported ?? 0)"
                    let minutes = delayed[activation.id + "|" + segmentId]
                    if let minutes { line += "\tDELAYED \(minutes) min" }
                    if minutes != nil || last?.status == .failed { unhealthy += 1 }
                    print(line)
                }
            }
            return unhealthy
        }
        if check && unhealthy > 0 { throw ExitCode(ExitStatus.unhealthy) }
    }
}
