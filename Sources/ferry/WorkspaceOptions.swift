import ArgumentParser
import Foundation
import Segmentation
import Workspace

/// `--workspace DIR`, shared by every command that reads or writes profiles and segments.
struct WorkspaceOptions: ParsableArguments {
    @Option(
        name: .customLong("workspace"),
        help: ArgumentHelp(
            "The workspace folder; profiles import, segments create and destinations create start one.",
            discussion: "Defaults to $FERRY_WORKSPACE, else ./\(Workspace.defaultDirectory).",
            valueName: "dir"))
    var workspace: String?

    var directory: URL {
        let path =
            workspace ?? ProcessInfo.processInfo.environment["FERRY_WORKSPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Workspace.defaultDirectory
        return URL(fileURLWithPath: path)
    }

    func validate() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("The workspace \(directory.path) exists and is not a folder.")
        }
    }

    /// Only commands that add something (`creating`) start a workspace; any other command on a
    /// folder with no workspace fails, so a mistyped path is not answered with an empty one.
    func open(creating: Bool = false) throws -> Workspace {
        try Self.translatingErrors { try Workspace(directory: directory, create: creating) }
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
        default:
            UserMessage.describe(error).map { CLIError($0.message, exitCode: $0.exitCode) } ?? error
        }
    }
}
