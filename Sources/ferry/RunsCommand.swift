import ArgumentParser
import FerryApp
import Foundation
import Workspace

/// `ferry runs ...`: the run ledger.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List, show and remove export runs.",
        subcommands: [List.self, Show.self, Delete.self, Prune.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var options: WorkspaceOptions
        @Option(help: "Only runs of this activation.") var activation: String?
        @Option(help: "processing, success or failed.") var status: String?
        @Option(help: "Only runs started at or after this ISO-8601 time.") var since: String?
        @Option(help: "Only runs of this segment.") var segment: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let app = opened.useCases()
            let runs = try await AppErrorText.translating {
                let filter = RunFilter(
                    activation: activation, segment: segment, status: try status.map(RunFilter.status(parsing:)),
                    since: try ISO8601Parsing.option("--since", since))
                return try await app.runRecords(filter, limit: 1000)
            }
            if json {
                print(try SegmentsShowCommand.json(runs))
                return
            }
            var names: [String: String] = [:]
            var activations: [String: String] = [:]
            for segment in (try? await workspace.segments()) ?? [] { names[segment.id] = segment.name }
            for activation in (try? await workspace.activations()) ?? [] {
                activations[activation.id] = activation.name
            }
            if !runs.isEmpty {
                print(
                    "RUN\tSTATUS\tSCHEDULED\tACTIVATION\tSEGMENT\tROWS\tEXCLUDED\tFILES\tLAG\tATTEMPTS\tSKIPPED\tERROR\tWORKER"
                )
            }
            // Which worker ran each run; a PostgreSQL workspace records it.
            let workers = (try? await opened.workers(ofRuns: runs.map(\.id))) ?? [:]
            for run in runs {
                let excluded = run.excludedMandatory + run.excludedDuplicate
                let fields = [
                    run.id, run.status.rawValue, run.scheduledTime.formatted(.iso8601),
                    activations[run.activationId] ?? run.activationId, names[run.segmentId] ?? run.segmentId,
                    "\(run.exported)", "\(excluded)", "\(run.files.count)", "\(Int(run.lag))s", "\(run.attempts)",
                    "\(run.skippedTimes)", run.error ?? "", workers[run.id] ?? "",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run as JSON.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Run id.") var id: String
        @Flag(help: "Print JSON (the default).") var json = false

        func run() async throws {
            let app = try await options.useCases()
            let run = try await AppErrorText.translating { try await app.runRecord(id) }
            print(try SegmentsShowCommand.json(run))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove one run from the ledger, e.g. one recorded at a mistyped --at time.",
            discussion: "The files it wrote stay in the bucket. A run still processing is refused.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Run id (`ferry runs list` shows them).") var id: String

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let run = try await WorkspaceOptions.translatingErrors { try await workspace.deleteRun(id: id) }
            print("removed run \(run.id) scheduled at \(run.scheduledTime.formatted(.iso8601))")
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
            let opened = try await options.openStore()
            let workspace = opened.store
            let cutoff = Date().addingTimeInterval(-Double(olderThanDays) * 86_400)
            let removed = try await WorkspaceOptions.translatingErrors {
                try await workspace.pruneRuns(scheduledBefore: cutoff)
            }
            print("removed \(removed) run\(removed == 1 ? "" : "s") scheduled before \(cutoff.formatted(.iso8601))")
        }
    }
}
