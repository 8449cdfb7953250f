import ArgumentParser
import Foundation
import Workspace

/// `ferry events ...`: ExperienceEvents for behavioural segments.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Import ExperienceEvents and set how long they are kept.",
        subcommands: [Import.self, Retention.self, Prune.self]
    )

    /// The opened workspace as an event store.
    static func eventStore(_ options: WorkspaceOptions, creating: Bool = false) async throws -> any EventStore {
        let opened = try await options.openStore(creating: creating)
        guard let store = opened.store as? any EventStore else {
            throw CLIError("ferry: this workspace's backend does not store events.")
        }
        return store
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import XDM ExperienceEvents from JSON Lines files; `-` reads standard input.",
            discussion: """
                Each line is one event with _id, timestamp (an ISO 8601 date-time), an identityMap and \
                optionally eventType and any other fields (commerce, productListItems, web, ...). An event \
                joins the profile that holds one of its identities; when none does, a profile is made with \
                its identityMap. An _id stored already is left as it is, so importing a file again changes \
                nothing. A bad line is reported with its line number and the others go in. The format is \
                described in docs/events.md.
                """
        )

        @OptionGroup var options: WorkspaceOptions

        @Argument(help: "Files to import; `-` for standard input.")
        var files: [String]

        @Option(help: "Rejected lines tolerated before the import stops.")
        var maxErrors = 100

        func validate() throws {
            if maxErrors < 0 { throw ValidationError("--max-errors cannot be negative.") }
        }

        func run() async throws {
            let store = try await EventsCommand.eventStore(options, creating: true)
            let summary = try await WorkspaceOptions.translatingErrors {
                try await store.importEvents(files.map(ImportInput.init(argument:)), maxErrors: maxErrors) {
                    rejection in
                    FileHandle.standardError.write(Data("\(rejection)\n".utf8))
                }
            }
            print(
                "inserted \(summary.inserted), already present \(summary.duplicates), "
                    + "profiles created \(summary.profilesCreated), rejected \(summary.rejected)")
            if summary.stoppedEarly {
                throw CLIError(
                    "ferry: stopped after more than \(maxErrors) rejected lines (--max-errors); the events imported before the stop are kept.",
                    exitCode: ExitStatus.badInput)
            }
            if summary.rejected > 0 { throw ExitCode(ExitStatus.badInput) }
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set how many days events are kept (default 30).",
            discussion: """
                Segments see only the events of the last DAYS days before the evaluation time; \
                each evaluation deletes the older ones.
                """
        )

        @OptionGroup var options: WorkspaceOptions

        @Argument(help: "Days to keep events; without it, the current setting is printed.")
        var days: Int?

        func validate() throws {
            if let days, days < 1 { throw ValidationError("the retention is at least 1 day.") }
        }

        func run() async throws {
            let store = try await EventsCommand.eventStore(options)
            try await WorkspaceOptions.translatingErrors {
                if let days { try await store.setEventRetentionDays(days) }
                print("events are kept \(try await store.eventRetentionDays()) days")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the events older than the retention now (evaluations also do this).")

        @OptionGroup var options: WorkspaceOptions

        func run() async throws {
            let store = try await EventsCommand.eventStore(options)
            let pruned = try await WorkspaceOptions.translatingErrors { try await store.pruneEvents(now: Date()) }
            print("pruned \(pruned) events, \(try await store.eventCount()) kept")
        }
    }
}
