import ArgumentParser
import Segmentation
import Workspace

/// `ferry profiles show NAMESPACE:ID`
struct ProfilesShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a profile's merged JSON.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("The primary identity, e.g. Email:ann@example.com.", valueName: "namespace:id"))
    var identity: String

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        try await WorkspaceOptions.translatingErrors {
            let key = try Workspace.parseQualifiedIdentity(identity)
            guard let profile = try await workspace.profile(namespace: key.namespace, identity: key.identity) else {
                throw WorkspaceError(.profileNotFound, "No profile has the primary identity \(identity).")
            }
            print(profile.doc)
        }
    }
}
