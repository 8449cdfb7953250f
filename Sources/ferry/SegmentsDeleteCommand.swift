import ArgumentParser
import Workspace

/// `ferry segments delete NAME|ID`
struct SegmentsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a segment with its memberships and evaluations.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Segment name or id.", valueName: "name|id"))
    var segment: String

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        let deleted = try await WorkspaceOptions.translatingErrors { try await workspace.deleteSegment(segment) }
        print("deleted \(deleted.name) (\(deleted.id))")
    }
}
