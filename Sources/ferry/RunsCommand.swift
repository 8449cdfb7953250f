import ArgumentParser
import Foundation
import Workspace

/// `ferry runs ...`: the run ledger.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List and show export runs.", subcommands: [List.self, Show.self, Prune.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var options: WorkspaceOptions
        @Option(help: "Only runs of this activation.") var activation: String?
        @Option(help: "processing, success or failed.") var status: String?
        @Option(help: "Only runs started at or after this ISO-8601 time.") var since: String?
        @Option(help: "Only runs of this segment.") var segment: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let workspace = try options.open()
            let statusFilter = try status.map { text -> RunRecord.Status in
                guard let value = RunRecord.Status(rawValue: text) else {
                    throw CLIError(
                        "ferry: --status must be processing, success or failed", exitCode: ExitStatus.badInput)
                }
                return value
            }
            let sinceDate = try ISO8601Parsing.option("--since", since)
            let runs = try await WorkspaceOptions.translatingErrors {
                var id: String?
                if let activation { id = try await workspace.activation(named: activation).id }
                var segmentId: String?
                if let segment { segmentId = try await workspace.segment(named: segment).id }
                return try await workspace.runs(
                    activationId: id, status: statusFilter, since: sinceDate, segmentId: segmentId)
            }
            if json {
                print(try SegmentsShowCommand.json(runs))
                return
            }
            for run in runs {
                let excluded = run.excludedMandatory + run.excludedDuplicate
                print(
                    "\(run.id)\t\(run.status.rawValue)\t\(run.scheduledTime.formatted(.iso8601))\t\(run.segmentId)\t\(run.exported) rows\t\(excluded) excluded\t\(run.files.count) files\tlag \(Int(run.lag))s\tattempts \(run.attempts)\tskipped \(run.skippedTimes)"
                        + (run.error.map { "\t\($0)" } ?? ""))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run as JSON.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Run id.") var id: String
        @Flag(help: "Print JSON (the default).") var json = false

        func run() async throws {
            let workspace = try options.open()
            let run = try await WorkspaceOptions.translatingErrors { try await workspace.run(id: id) }
            print(try SegmentsShowCommand.json(run))
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove old runs; each segment's latest run and latest successful run always stay.")
        @OptionGroup var options: WorkspaceOptions
        @Option(help: "Remove runs scheduled more than this many days ago.") var olderThanDays: Int = 90

        func run() async throws {
            guard olderThanDays >= 1 else {
                throw CLIError("ferry: --older-than-days must be at least 1", exitCode: ExitStatus.badInput)
            }
            let workspace = try options.open()
            let cutoff = Date().addingTimeInterval(-Double(olderThanDays) * 86_400)
            let removed = try await WorkspaceOptions.translatingErrors {
                try await workspace.pruneRuns(scheduledBefore: cutoff)
            }
            print("removed \(removed) run\(removed == 1 ? "" : "s") scheduled before \(cutoff.formatted(.iso8601))")
        }
    }
}
