import ArgumentParser
import Foundation
import Logging

/// The `ferry` command. It only parses arguments and calls the library modules.
@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Export customer segments as CSV/TSV files into your own S3 bucket.",
        discussion: """
            Every command takes --verbose, which adds info logs (run start and end, files) on stderr; \
            warnings and errors are always logged there.
            Exit codes: 0 success, 1 failure, 2 bad input (usage, names, PQL, paths), \
            3 a missing S3 permission, 4 `status --check` found a late or failed export.
            """,
        version: FerryVersion.current,
        subcommands: [
            S3Command.self,
            ProfilesCommand.self,
            IdentitiesCommand.self,
            EventsCommand.self,
            SegmentsCommand.self,
            DestinationsCommand.self,
            ActivationsCommand.self,
            ExportCommand.self,
            RunsCommand.self,
            RunCommand.self,
            ServeCommand.self,
            TokensCommand.self,
            StatusCommand.self,
            WorkspaceCommand.self,
        ]
    )

    /// Errors are turned into one sentence and an exit code here, at the edge,
    /// so no stack trace or internal type name ever reaches a user.
    static func main() async {
        #if os(Linux)
            // Upload parts are 5 MiB and more. glibc raises its mmap threshold after
            // the first such buffer is freed and then keeps later ones in the heap,
            // where freed parts stay resident; a fixed threshold hands each part
            // back to the system and keeps memory at (concurrency + 1) x part size.
            _ = glibcMallopt(mmapThreshold, 1 << 20)
        #endif
        // `--verbose` is taken out before parsing so every command accepts it.
        var arguments = Array(CommandLine.arguments.dropFirst())
        let verbose = arguments.contains("--verbose")
        arguments.removeAll { $0 == "--verbose" }
        // FERRY_LOG_LEVEL=debug goes further than --verbose, down to the PostgreSQL
        // pool's own events, for diagnosing a worker in the field. Never trace:
        // PostgresNIO traces the SCRAM exchange, from which a weak password
        // could be guessed offline.
        let asked = ProcessInfo.processInfo.environment["FERRY_LOG_LEVEL"].flatMap {
            Logger.Level(rawValue: $0.lowercased())
        }
        let level = asked.map { max($0, .debug) } ?? (verbose ? .info : .warning)
        // Logs go to stderr, so stdout stays what a script reads: info lines
        // only when asked for, warnings and errors always.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data((error.message + "\n").utf8))
            Foundation.exit(error.exitCode)
        } catch let code as ExitCode {
            // Commands that already printed their outcome (s3 check, status --check) leave with just the code.
            Foundation.exit(code.rawValue)
        } catch {
            if let described = UserMessage.describe(error) {
                FileHandle.standardError.write(Data((described.message + "\n").utf8))
                Foundation.exit(described.exitCode)
            }
            // Usage errors leave with 2 like any other bad input, not the
            // argument parser's 64, and help or --version with 0.
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = Self.message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            let line = message.replacingOccurrences(of: "Error: ", with: "")
            FileHandle.standardError.write(
                Data("ferry: \(line) (see `ferry help` for usage)\n".utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.badInput : code.rawValue)
        }
    }
}

/// Printed by `ferry --version`.
enum FerryVersion {
    static let current = "0.4.0"
}

#if os(Linux)
    /// M_MMAP_THRESHOLD in <malloc.h>; Swift's Glibc module exports neither it nor mallopt.
    private let mmapThreshold: Int32 = -3

    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
