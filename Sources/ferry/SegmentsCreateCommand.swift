import ArgumentParser
import Foundation
import Segmentation
import Workspace

/// `ferry segments create NAME --pql TEXT`
struct SegmentsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a segment from a PQL definition and print its id.",
        discussion: """
            Warns (on stderr; the segment is still created) about each field the imported profiles have \
            never had, with the nearest known path when there is one. `ferry profiles schema` lists the paths.
            """)

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
        let opened = try await options.openStore(creating: true)
        let workspace = opened.store
        let segment = try await WorkspaceOptions.translatingErrors {
            try await workspace.createSegment(name: name, pql: pql, description: description, id: id, now: Date())
        }
        print(segment.id)
        await warnAboutUnknownFields(workspace)
    }

    /// A typo in a path is not an error (profiles with it may come later), but it
    /// would match nobody today: say so. Never fails the command.
    private func warnAboutUnknownFields(_ workspace: any FerryStore) async {
        guard let expression = try? PQL.parse(pql), let paths = try? await workspace.profilePaths() else { return }
        for line in SchemaCheck.warnings(
            segment: name, unknown: SchemaCheck.unknownPaths(in: expression, schema: paths))
        {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
