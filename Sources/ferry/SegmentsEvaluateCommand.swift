import ArgumentParser
import Foundation
import Workspace

/// `ferry segments evaluate [NAME|ID ...]`
struct SegmentsEvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate segments over all profiles and update their members.",
        discussion: "Evaluates every segment when none is named, like the reference's daily batch job.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Segment names or ids; all segments when none.", valueName: "name|id"))
    var segments: [String] = []

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        let summaries = try await WorkspaceOptions.translatingErrors {
            try await workspace.evaluate(segmentIds: segments)
        }
        for summary in summaries {
            if let failure = summary.failure {
                print("\(summary.segmentName): not evaluated: \(failure); its members are unchanged")
                continue
            }
            let seconds = String(format: "%.3f", summary.seconds)
            print(
                "\(summary.segmentName): realized \(summary.realized), existing \(summary.existing), exited \(summary.exited), purged \(summary.purged) in \(seconds)s\(summary.usedSQL ? "" : " (evaluated in Swift)")\(summary.changedProfiles.map { " (incremental: \($0) changed profiles)" } ?? "")"
            )
        }
        let failed = summaries.filter { $0.failure != nil }.map(\.segmentName)
        if !failed.isEmpty {
            throw CLIError(
                "\(failed.count) of \(summaries.count) segments could not be evaluated: \(failed.joined(separator: ", "))."
            )
        }
    }
}
