import Foundation
import Segmentation
import Testing

@testable import Workspace

/// The sample files in examples/ import cleanly and read the way docs/profiles.md says.
@Suite struct ExampleProfilesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    @Test func theSampleFilesImportWithoutARejection() async throws {
        let temp = try TemporaryWorkspace()
        var rejections: [ImportRejection] = []
        let jsonl = try await temp.workspace.importProfiles(
            [.file(Self.examples.appendingPathComponent("profiles.jsonl").path)], options: ImportOptions()
        ) { rejections.append($0) }
        #expect(jsonl == ImportSummary(inserted: 5))
        let csv = try await temp.workspace.importProfiles(
            [.file(Self.examples.appendingPathComponent("profiles.csv").path)],
            options: ImportOptions(namespace: "Email", identityField: "email")
        ) { rejections.append($0) }
        #expect(csv == ImportSummary(inserted: 2, updated: 1))
        #expect(rejections.isEmpty)

        let minji = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "minji.kim@example.com")).doc)
        #expect(minji.value(atDottedPath: "loyalty.tier") == .string("platinum"))
        #expect(minji.value(atDottedPath: "person.name.firstName") == .string("Minji"))
        let tom = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "tom.brown@example.com")).doc)
        #expect(tom.value(atDottedPath: "zip") == .string("02134"))
        #expect(tom.value(atDottedPath: "homeAddress.city") == .string("Portland, OR"))
        let sora = try #require(try await temp.workspace.profile(namespace: "Email", identity: "sora.choi@example.com"))
        #expect(sora.doc.contains(#""crmNumber":12345678901234567890"#))
    }
}
