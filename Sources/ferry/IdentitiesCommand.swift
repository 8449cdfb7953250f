import ArgumentParser
import Foundation
import Workspace

/// `ferry identities ...`
struct IdentitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identities", abstract: "Read the identity graph: which identities make one profile.",
        subcommands: [IdentitiesShowCommand.self])
}

/// `ferry identities show NAMESPACE:ID`
struct IdentitiesShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print every identity linked to the profile of NAMESPACE:ID, oldest link first.",
        discussion: """
            One line per identity: NAMESPACE:ID, the time it was linked (UTC), and `primary` for the \
            identity the profile is stored under. Emails are shown as compared: trimmed and lowercased.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Any identity of the profile, e.g. Email:ann@example.com.", valueName: "namespace:id"))
    var identity: String

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        try await WorkspaceOptions.translatingErrors {
            let linked = try await IdentitiesShowCommand.linkedProfile(identity, in: workspace)
            let primary = IdentityKey(namespace: linked.profile.namespace, id: linked.profile.identity)
            let format = Date.ISO8601FormatStyle()
            for link in linked.identities {
                let time = Date(timeIntervalSince1970: link.linkedAt).formatted(format)
                print("\(link.key)\t\(time)\(link.key == primary ? "\tprimary" : "")")
            }
        }
    }
}

extension IdentitiesShowCommand {
    /// The profile that `text` (`NAMESPACE:ID`, any of its identities) points to.
    static func linkedProfile(_ text: String, in store: any FerryStore) async throws -> LinkedProfile {
        let key = try Workspace.parseQualifiedIdentity(text)
        guard let linked = try await store.linkedProfile(IdentityKey(namespace: key.namespace, id: key.identity)) else {
            throw WorkspaceError(.profileNotFound, "No profile has the identity \(text).")
        }
        return linked
    }
}
