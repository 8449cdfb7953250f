import ArgumentParser
import Export
import FerryApp
import Foundation
import S3
import Scheduling
import Workspace

/// `ferry run --due`: what cron calls. Runs every due (activation, segment) once.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run every scheduled export that is due and has not succeeded yet.",
        discussion: """
            For each enabled activation and each of its segments, runs the latest scheduled time at or \
            before now that has no successful run; earlier missed times collapse into it. A run held by \
            another process is left to it. Exits 1 when a run failed, 3 when one lacked an S3 permission.
            Example, from cron every 15 minutes: ferry run --due
            """)

    @OptionGroup var options: WorkspaceOptions
    /// Required, so a bare `ferry run` in a cron line cannot be mistaken for something else.
    enum Selection: String, EnumerableFlag {
        case due

        static func help(for value: Selection) -> ArgumentHelp? { "Run what is due (required)." }
    }

    @Flag var selection: Selection
    @OptionGroup var at: AtOption
    @Option(help: "Runs at once.") var maxConcurrentRuns: Int = 2
    @Option(help: "Part size in MiB (5 to 4095).") var partSize: Int = 16
    @OptionGroup var timeouts: S3TimeoutOptions
    @OptionGroup var lease: LeaseOptions
    @OptionGroup var alerts: AlertOptions

    func validate() throws {
        guard maxConcurrentRuns >= 1 else { throw ValidationError("--max-concurrent-runs must be at least 1") }
    }

    func run() async throws {
        let now = try at.resolve()
        let opened = try await options.openStore()
        let workspace = opened.store
        let uploadOptions = try WorkspaceOptions.translatingErrors {
            try UploadOptions(partSizeMiB: partSize)
        }
        var exporter = ExportRunner(store: workspace, secretBox: opened.secretBox, uploadOptions: uploadOptions)
        exporter.timeouts = try timeouts.value()
        var runner = DueRunner(store: workspace, exporter: exporter)
        runner.leaseDuration = lease.seconds
        try alerts.configure(&runner)
        let outcomes = try await WorkspaceOptions.translatingErrors {
            try await runner.runDue(at: now, maxConcurrent: maxConcurrentRuns)
        }
        // After the runs, so a time they just caught up on is not reported late.
        let delayed = try await WorkspaceOptions.translatingErrors {
            _ = try await runner.pruneIfDue(retentionDays: alerts.retentionDays, now: now)
            return try await runner.alertDelays(at: now)
        }
        for alert in delayed { print(alert.text) }
        let exitCode = await Self.report(outcomes, workspace: workspace)
        if outcomes.isEmpty { print("nothing due") }
        await runner.flushAlerts()
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// Prints a line per outcome and returns the exit code they call for:
    /// 3 when any run lacked a permission, 1 when any other failed, else 0.
    static func report(_ outcomes: [DueRunner.Outcome], workspace: any FerryStore) async -> Int32 {
        var exitCode: Int32 = 0
        for outcome in outcomes {
            switch outcome {
            case let .success(run):
                let segment = (try? await workspace.segment(named: run.segmentId))?.name ?? run.segmentId
                print(
                    "run \(run.id) success: \(segment), \(run.exported) rows, \(run.files.count) files, skipped \(run.skippedTimes) earlier times"
                )
            case let .failed(item, error):
                let (message, code) = UserMessage.runFailure(error)
                exitCode = max(exitCode, code)
                let segment = (try? await workspace.segment(named: item.segmentId))?.name ?? item.segmentId
                print(
                    "run of \(item.activation.name)/\(segment) at \(item.scheduledTime.formatted(.iso8601)) failed: \(message.droppingPrefix("ferry: "))"
                )
            case let .busy(item):
                let segment = (try? await workspace.segment(named: item.segmentId))?.name ?? item.segmentId
                print("run of \(item.activation.name)/\(segment) is held by another process")
            case let .superseded(item):
                let segment = (try? await workspace.segment(named: item.segmentId))?.name ?? item.segmentId
                print(
                    "run of \(item.activation.name)/\(segment) was taken over by another process after this one stalled; it wrote nothing more"
                )
            }
        }
        return exitCode
    }
}

/// `--at TIME`: the time a command takes as now. A time far ahead would hold
/// back every schedule until then, so it needs `--allow-future`.
struct AtOption: ParsableArguments {
    @Option(help: "Treat this ISO-8601 time as now (at most a day ahead of the clock without --allow-future).")
    var at: String?
    @Flag(help: "Allow --at more than a day ahead of the clock.") var allowFuture = false

    func resolve(clock: Date = Date()) throws -> Date {
        let now = try ISO8601Parsing.now(at)
        if !allowFuture, now > clock.addingTimeInterval(86_400) {
            throw CLIError(
                "ferry: --at \(at ?? "") is more than a day ahead of the clock; a run recorded there would hold back its schedule until then (say --allow-future if that is meant)",
                exitCode: ExitStatus.badInput)
        }
        return now
    }
}

/// How long a run's lease lasts without renewal; it is renewed every quarter of it.
struct LeaseOptions: ParsableArguments {
    @Option(
        name: .customLong("lease-seconds"),
        help: ArgumentHelp(
            "Seconds after which a stalled process's runs may be taken over by another process.",
            visibility: .hidden))
    var seconds: Double = 60

    func validate() throws {
        guard seconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
    }
}

extension String {
    func droppingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}

/// `ferry status`: one line per activation and segment.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each activation's next run and last result.")

    @OptionGroup var options: WorkspaceOptions
    @Option(help: "A due time with no successful run after this many minutes counts as delayed.")
    var delayAlertMinutes: Int = 150
    @Flag(
        help:
            "Exit 4 when any segment's export is delayed, its last run failed, or a run is recorded in the future (for monitors)."
    )
    var check = false
    @OptionGroup var at: AtOption

    func run() async throws {
        var app = try await options.useCases()
        app.delayThreshold = TimeInterval(max(1, delayAlertMinutes) * 60)
        let now = try at.resolve()
        let report = try await AppErrorText.translating { try await app.status(at: now) }
        for line in report.lines {
            let next = line.enabled ? line.nextRun?.formatted(.iso8601) ?? "none" : "disabled"
            let last =
                line.lastStatus.map { "\($0) \(line.lastScheduledTime?.formatted(.iso8601) ?? "")" } ?? "never run"
            var text = "\(line.activation)\t\(line.segment)\tnext \(next)\tlast \(last)\trows \(line.lastRows)"
            if let minutes = line.delayedMinutes { text += "\tDELAYED \(minutes) min" }
            // A run far ahead of now (a mistyped --at) would silently hold back every export until its time.
            if let id = line.futureRunId, let time = line.futureRunTime {
                text += "\tFUTURE RUN \(id) at \(time.formatted(.iso8601)) (`ferry runs delete \(id)`)"
            }
            print(text)
        }
        let unhealthy = report.unhealthy
        if check && unhealthy > 0 { throw ExitCode(ExitStatus.unhealthy) }
    }
}
