import ArgumentParser
import Workspace

/// `ferry segments create NAME --pql TEXT`
struct SegmentsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a segment from a PQL definition and print its id.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "A unique name.")
    var name: String

    @Option(help: ArgumentHelp("The definition, e.g. 'homeAddress.countryCode = \"KR\"'.", valueName: "text"))
    var pql: String

    @Option(help: "Free text shown by `segments show`.")
    var description: String?

    @Option(help: ArgumentHelp("The segment id; a new UUID by default.", valueName: "uuid"))
    var id: String?

    func run() async throws {
        let workspace = try options.open(creating: true)
        let segment = try await WorkspaceOptions.translatingErrors {
            try await workspace.createSegment(name: name, pql: pql, description: description, id: id)
        }
        print(segment.id)
    }
}
