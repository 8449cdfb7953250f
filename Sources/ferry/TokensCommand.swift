import ArgumentParser
import FerryApp
import Foundation

/// `ferry tokens ...`: bearer tokens for the HTTP API and the web console.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke API tokens for `ferry serve --http`.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once; only its hash is stored.",
            discussion: """
                Send it as `Authorization: Bearer <token>`, or paste it into the console's login page. \
                A --read-only token can read everything and change nothing (403).
                Example: ferry tokens create ci --read-only
                """)
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The token's name, to list and revoke it by.") var name: String
        @Flag(help: "The token may read but not change anything.") var readOnly = false

        func run() async throws {
            let app = try await options.useCases(creating: true)
            let (view, text) = try await AppErrorText.translating {
                try await app.createToken(name: name, readOnly: readOnly)
            }
            print(text)
            FileHandle.standardError.write(
                Data(
                    "token \(view.name) (\(view.readOnly ? "read-only" : "read-write")) created; it is shown only this once\n"
                        .utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their text).")
        @OptionGroup var options: WorkspaceOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let app = try await options.useCases()
            let tokens = try await AppErrorText.translating { try await app.tokens() }
            if json {
                print(try SegmentsShowCommand.json(tokens))
                return
            }
            for token in tokens {
                let used = token.lastUsedAt.map { $0.formatted(.iso8601) } ?? "never used"
                print("\(token.name)\t\(token.id)\t\(token.readOnly ? "read-only" : "read-write")\t\(used)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; it stops working at once.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Token name or id.") var name: String

        func run() async throws {
            let app = try await options.useCases()
            let token = try await AppErrorText.translating { try await app.revokeToken(name) }
            print("revoked token \(token.name) (\(token.id))")
        }
    }
}

/// The application layer's errors as the CLI states them: one sentence and an exit code.
enum AppErrorText {
    static func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AppError {
            throw cliError(error)
        } catch {
            throw WorkspaceOptions.translate(error)
        }
    }

    static func cliError(_ error: AppError) -> CLIError {
        let code: Int32 =
            switch error.kind {
            case .badInput, .notFound, .conflict: ExitStatus.badInput
            case .missingPermission: ExitStatus.missingPermissions
            case .busy, .upstream, .failure: ExitStatus.failure
            }
        return CLIError("ferry: \(error.detail ?? error.message)", exitCode: code)
    }
}
