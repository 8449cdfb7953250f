import ArgumentParser
import Foundation
import Workspace

/// `ferry segments list [--json]`
struct SegmentsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List segments.")

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        let segments = try await workspace.segments()
        if json {
            print(try SegmentsShowCommand.json(segments.map(SegmentsShowCommand.Output.init)))
        } else {
            for segment in segments {
                let failure = segment.lastFailure.map { "\tlast evaluation failed: \($0)" } ?? ""
                print("\(segment.id)\t\(segment.name)\t\(segment.pql)\(failure)")
            }
        }
    }
}
