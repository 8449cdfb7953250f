import ArgumentParser
import Foundation
import Workspace

/// `ferry profiles import FILE...`
struct ProfilesImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import profiles from JSON Lines or CSV files; `-` reads standard input.",
        discussion: """
            JSON Lines: the primary identity is the identityMap id flagged "primary": true, \
            else the first id of the alphabetically first namespace. CSV: a header of dotted \
            paths; values are typed (numbers, true/false; empty means absent); the identity is \
            --identity-field in --namespace. A record whose identity exists is merged into it, \
            newer values winning field by field; records sharing any identity make one profile, \
            merged by timestamp (docs/identities.md). A bad line is rejected with its reason, never altered. \
            Profiles are committed in batches of 10,000: a killed import keeps the batches before it, \
            and running it again completes it. On PostgreSQL, an import into a workspace holding no \
            profiles is one transaction instead: killed, it keeps nothing. \
            The format is described in docs/profiles.md.
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "Files to import; `-` for standard input.")
    var files: [String]

    @Option(help: "jsonl or csv; by default taken from each file's extension.")
    var format: ImportFormat?

    @Option(help: "Namespace of the identity taken from --identity-field.")
    var namespace: String?

    @Option(help: ArgumentHelp("Dotted path of the identity value.", valueName: "path"))
    var identityField: String?

    @Option(help: "Rejected lines tolerated before the import stops.")
    var maxErrors = 100

    @Option(
        help: "Most identities one profile keeps linked; past it the oldest links are dropped (docs/identities.md).")
    var identityLimit = ImportOptions.defaultIdentityLimit

    func validate() throws {
        if (namespace == nil) != (identityField == nil) {
            throw ValidationError("--namespace and --identity-field go together.")
        }
        if maxErrors < 0 {
            throw ValidationError("--max-errors cannot be negative.")
        }
        if identityLimit < 1 {
            throw ValidationError("--identity-limit must be at least 1.")
        }
    }

    func run() async throws {
        let opened = try await options.openStore(creating: true)
        let workspace = opened.store
        let importOptions = ImportOptions(
            format: format, namespace: namespace, identityField: identityField, maxErrors: maxErrors,
            identityLimit: identityLimit)
        let summary = try await WorkspaceOptions.translatingErrors {
            try await workspace.importProfiles(files.map(ImportInput.init(argument:)), options: importOptions) {
                rejection in
                FileHandle.standardError.write(Data("\(rejection)\n".utf8))
            }
        }
        var line = "inserted \(summary.inserted), updated \(summary.updated), rejected \(summary.rejected)"
        // Only when the identity graph did something, so the common line stays as scripts know it.
        if summary.merged > 0 || summary.identitiesDropped > 0 {
            line += ", merged \(summary.merged), identity links dropped \(summary.identitiesDropped)"
        }
        print(line)
        if summary.stoppedEarly {
            throw CLIError(
                "ferry: stopped after more than \(maxErrors) rejected lines (--max-errors); the profiles imported before the stop are kept.",
                exitCode: ExitStatus.badInput)
        }
    }
}

extension ImportFormat: ExpressibleByArgument {}
