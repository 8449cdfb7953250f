import ArgumentParser
import FerryApp
import Foundation
import Segmentation
import Workspace

/// `--workspace DIR` or `--database URL`, shared by every command that reads
/// or writes profiles and segments.
struct WorkspaceOptions: ParsableArguments {
    @Option(
        name: .customLong("workspace"),
        help: ArgumentHelp(
            "The workspace folder; profiles import, segments create and destinations create start one.",
            discussion: "Defaults to $FERRY_WORKSPACE, else ./\(Workspace.defaultDirectory).",
            valueName: "dir"))
    var workspace: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "A shared PostgreSQL workspace instead of a folder: postgresql://user:password@host:port/db?sslmode=require.",
            discussion:
                "Defaults to $FERRY_DATABASE_URL. Needs FERRY_MASTER_KEY, the same on every worker. The password is never printed.",
            valueName: "url"))
    var database: String?

    @Option(
        name: .customLong("max-connections"),
        help: ArgumentHelp(
            "The most PostgreSQL connections this process opens (default \(OpenedStoreDefaults.maxConnections)).",
            valueName: "n"))
    var maxConnections: Int?

    /// The workspace these options name, on either backend.
    var location: StoreLocation {
        get throws {
            try Self.translatingErrors { try StoreLocator.location(database: database, workspace: workspace) }
        }
    }

    var directory: URL {
        let path =
            workspace ?? ProcessInfo.processInfo.environment["FERRY_WORKSPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Workspace.defaultDirectory
        return URL(fileURLWithPath: path)
    }

    func validate() throws {
        if let maxConnections, maxConnections < 1 {
            throw ValidationError("--max-connections must be at least 1.")
        }
        do {
            if case .postgresql = try StoreLocator.location(database: database, workspace: workspace) { return }
        } catch {
            throw ValidationError(StoreLocator.userMessage(for: error)?.message ?? "\(error)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("The workspace \(directory.path) exists and is not a folder.")
        }
    }

    /// Opens the workspace on whichever backend the options name.
    func openStore(creating: Bool = false) async throws -> OpenedStore {
        let location = try location
        return try await Self.translatingErrors {
            try await StoreLocator.open(location, creating: creating, maxConnections: maxConnections)
        }
    }

    /// The use cases over the workspace the options name, on either backend.
    func useCases(creating: Bool = false) async throws -> FerryUseCases {
        try await openStore(creating: creating).useCases()
    }

    /// Turns the library's errors into one sentence and an exit code, here at the
    /// edge, prefixed like the other commands' messages in `UserMessage`.
    static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw translate(error)
        }
    }

    static func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw translate(error)
        }
    }

    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as WorkspaceError:
            CLIError("ferry: \(error.message)", exitCode: error.isBadInput ? ExitStatus.badInput : ExitStatus.failure)
        case let error as PQLError:
            CLIError("ferry: \(error)", exitCode: ExitStatus.badInput)
        case let error as SecretBoxError:
            CLIError("ferry: \(error)", exitCode: ExitStatus.failure)
        case let error where StoreLocator.userMessage(for: error) != nil:
            StoreLocator.userMessage(for: error).map {
                CLIError("ferry: \($0.message)", exitCode: $0.isBadInput ? ExitStatus.badInput : ExitStatus.failure)
            }!
        default:
            UserMessage.describe(error).map { CLIError($0.message, exitCode: $0.exitCode) } ?? error
        }
    }
}
