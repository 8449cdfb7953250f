import ArgumentParser
import FerryApp
import Foundation

/// `ferry workspace init|info`: create a workspace's schema, and say which
/// backend a command would use.
struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Create a workspace and show which backend and schema version it has.",
        discussion: """
            A workspace is a SQLite folder (--workspace, the default) or a shared PostgreSQL database \
            (--database URL or FERRY_DATABASE_URL) that any number of `ferry serve` workers can use at once.
            """,
        subcommands: [Init.self, Info.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the workspace's schema, or bring an older one up to date.")

        @OptionGroup var options: WorkspaceOptions

        func run() async throws {
            let opened = try await options.openStore(creating: true)
            defer { Task { await opened.close() } }
            let info = try await WorkspaceOptions.translatingErrors { try await opened.schemaInfo() }
            print("Ready: \(opened.location), schema version \(info.version).")
            await opened.close()
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the backend and schema version in use.")

        @OptionGroup var options: WorkspaceOptions

        @Flag(name: .customLong("json"), help: "Print one JSON object instead of lines.")
        var json = false

        func run() async throws {
            let opened = try await options.openStore()
            let info = try await WorkspaceOptions.translatingErrors { try await opened.schemaInfo() }
            let profiles = try await WorkspaceOptions.translatingErrors { try await opened.store.profileCount() }
            await opened.close()
            var fields: [(String, String)] = [
                ("backend", info.backend), ("location", "\(opened.location)"),
                ("schema_version", "\(info.version)"), ("latest_schema_version", "\(info.current)"),
                ("profiles", "\(profiles)"),
            ]
            if let server = info.server { fields.append(("server_version", server)) }
            if json {
                var object: [String: Any] = [:]
                for (key, value) in fields { object[key] = Int(value) ?? value as Any }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (key, value) in fields { print("\(key): \(value)") }
            }
        }
    }
}
