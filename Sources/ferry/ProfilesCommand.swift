import ArgumentParser

/// `ferry profiles`: load and inspect customer profiles.
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Import and inspect customer profiles.",
        subcommands: [
            ProfilesImportCommand.self, ProfilesCountCommand.self, ProfilesShowCommand.self, ProfilesSchemaCommand.self,
        ]
    )
}
