import ArgumentParser
import Workspace

/// `ferry profiles count`
struct ProfilesCountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "count", abstract: "Print the number of profiles.")

    @OptionGroup var options: WorkspaceOptions

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        print(try await workspace.profileCount())
    }
}
