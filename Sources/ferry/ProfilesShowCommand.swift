import ArgumentParser
import Foundation
import Segmentation
import Workspace

/// `ferry profiles show NAMESPACE:ID`
struct ProfilesShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a profile's merged JSON, found by any of its identities.",
        discussion: """
            Prints the merged document on standard output (one JSON line, so it pipes into jq), \
            then the profile's linked identities on standard error.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Any identity of the profile, e.g. Email:ann@example.com.", valueName: "namespace:id"))
    var identity: String

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        try await WorkspaceOptions.translatingErrors {
            let linked = try await IdentitiesShowCommand.linkedProfile(identity, in: workspace)
            print(linked.profile.doc)
            let names = linked.identities.map(\.key.description).joined(separator: ", ")
            FileHandle.standardError.write(
                Data(
                    "profile \(linked.profile.qualifiedIdentity): \(linked.identities.count) identities: \(names)\n"
                        .utf8))
        }
    }
}
