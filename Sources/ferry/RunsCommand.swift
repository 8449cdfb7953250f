import ArgumentParser
import Foundation
import Workspace

/// `ferry runs ...`: the run ledger.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List and show export runs.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var options: WorkspaceOptions
        @Option(help: "Only runs of this activation.") var activation: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let workspace = try options.open()
            let runs = try await WorkspaceOptions.translatingErrors {
                var id: String?
                if let activation { id = try await workspace.activation(named: activation).id }
                return try await workspace.runs(activationId: id)
            }
            if json {
                print(try SegmentsShowCommand.json(runs))
                return
            }
            for run in runs {
                let excluded = run.excludedMandatory + run.excludedDuplicate
                print(
                    "\(run.id)\t\(run.status.rawValue)\t\(run.scheduledTime.formatted(.iso8601))\t\(run.segmentId)\t\(run.exported) rows\t\(excluded) excluded\t\(run.files.count) files"
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
}
