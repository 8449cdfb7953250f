import Foundation
import Workspace

/// A workspace in a fresh temporary folder, removed when the test lets go of it.
final class TemporaryWorkspace {
    let directory: URL
    let workspace: Workspace

    init(environment: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-workspace-tests-\(UUID().uuidString)")
        workspace = try Workspace(directory: directory, environment: environment)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `text` into the workspace folder and returns the file's path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url.path
    }

    /// Imports lines and returns the summary with every rejection.
    func importText(_ name: String, _ text: String, options: ImportOptions = ImportOptions()) async throws -> (
        ImportSummary, [ImportRejection]
    ) {
        let path = try file(name, text)
        var rejections: [ImportRejection] = []
        let summary = try await workspace.importProfiles([.file(path)], options: options) { rejections.append($0) }
        return (summary, rejections)
    }
}
