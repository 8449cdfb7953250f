import Foundation
import GRDB
import Testing

@testable import Workspace

/// The workspace's own safety rules: private files, a key that is never silently replaced,
/// no workspace conjured by a read, segments in use, names, and activations that would clash.
@Suite(.serialized) struct WorkspaceHardeningTests {
    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func destination(_ workspace: Workspace, _ name: String = "d") async throws -> DestinationRecord {
        let destination = DestinationRecord(
            id: UUID().uuidString.lowercased(), name: name, bucket: "b", folderPath: "f", region: nil,
            endpoint: nil, fileType: "csv", compression: "none", manifest: false, format: "{}", accessKeyId: "k",
            sealedSecret: try workspace.secretBox.seal("s"), sealedSessionToken: nil, createdAt: Date())
        try await workspace.insertDestination(destination)
        return destination
    }

    static func activation(
        _ name: String, destination: DestinationRecord, segments: [String],
        fileName: String = "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%"
    ) -> ActivationRecord {
        ActivationRecord(
            id: UUID().uuidString.lowercased(), name: name, destinationId: destination.id, segmentIds: segments,
            mappings: [ColumnMapping(source: "identityMap.Email", column: "email")], mandatory: [], dedupKeys: [],
            mode: .full, frequency: .daily, start: Date(timeIntervalSince1970: 0), endDay: nil, timeZone: "UTC",
            fileNameTemplate: fileName, maxRowsPerFile: 10, enabled: true, createdAt: Date())
    }

    // MARK: Item 9: modes

    @Test func filesArePrivateWhateverTheUmask() async throws {
        let old = umask(0)
        defer { umask(old) }
        let temp = try TemporaryWorkspace()
        // A write makes SQLite create its -wal and -shm files.
        _ = try await temp.importText("p.jsonl", #"{"identityMap":{"Email":[{"id":"a"}]}}"#)
        let database = temp.directory.appendingPathComponent(Workspace.databaseFileName).path
        #expect(try Self.mode(temp.directory.path) == 0o700)
        #expect(try Self.mode(database) == 0o600)
        #expect(try Self.mode(database + "-wal") == 0o600)
        #expect(try Self.mode(database + "-shm") == 0o600)
        #expect(try Self.mode(temp.directory.appendingPathComponent(Workspace.keyFileName).path) == 0o600)
    }

    @Test func looseModesOfAnExistingWorkspaceAreRepairedOnOpen() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText("p.jsonl", #"{"identityMap":{"Email":[{"id":"a"}]}}"#)
        let database = temp.directory.appendingPathComponent(Workspace.databaseFileName).path
        let key = temp.directory.appendingPathComponent(Workspace.keyFileName).path
        chmod(temp.directory.path, 0o755)
        for path in [database, database + "-wal", database + "-shm", key] { chmod(path, 0o644) }
        #expect(try Self.mode(database) == 0o644)

        let reopened = try Workspace(directory: temp.directory, environment: [:])
        #expect(try Self.mode(temp.directory.path) == 0o700)
        for path in [database, database + "-wal", database + "-shm", key] {
            #expect(try Self.mode(path) == 0o600, "\(path)")
        }
        #expect(try await reopened.profileCount() == 1)
    }

    // MARK: Item 10: the key

    @Test func aMissingKeyIsNotReplacedWhileSealedSecretsExist() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await Self.destination(temp.workspace)
        let keyURL = temp.directory.appendingPathComponent(Workspace.keyFileName)
        let key = try Data(contentsOf: keyURL)
        try FileManager.default.removeItem(at: keyURL)

        let error = try #require(throws: WorkspaceError.self) {
            try Workspace(directory: temp.directory, environment: [:])
        }
        #expect(error.code == .missingKeyFile)
        #expect(error.message.contains(keyURL.path))
        #expect(error.message.contains("FERRY_MASTER_KEY"))
        #expect(!FileManager.default.fileExists(atPath: keyURL.path))

        // The key given as FERRY_MASTER_KEY opens the stored secret.
        let withMaster = try Workspace(
            directory: temp.directory, environment: ["FERRY_MASTER_KEY": key.base64EncodedString()])
        let stored = try await withMaster.destination(named: "d")
        #expect(try withMaster.secretBox.openString(stored.sealedSecret) == "s")
    }

    @Test func aMissingKeyIsMadeAgainWhenNothingIsSealed() throws {
        let temp = try TemporaryWorkspace()
        let keyURL = temp.directory.appendingPathComponent(Workspace.keyFileName)
        try FileManager.default.removeItem(at: keyURL)
        _ = try Workspace(directory: temp.directory, environment: [:])
        #expect(FileManager.default.fileExists(atPath: keyURL.path))
    }

    // MARK: Item 23: no workspace

    @Test func openingWithoutCreateRefusesAMissingWorkspace() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-none-\(UUID().uuidString)")
        let error = try #require(throws: WorkspaceError.self) {
            try Workspace(directory: missing, create: false, environment: [:])
        }
        #expect(error.code == .noWorkspace)
        #expect(error.message.hasPrefix("No workspace at \(missing.path)"))
        #expect(!FileManager.default.fileExists(atPath: missing.path))

        // An existing workspace opens without create.
        let temp = try TemporaryWorkspace()
        _ = try Workspace(directory: temp.directory, create: false, environment: [:])
    }

    // MARK: Item 16: segments in use

    @Test func aSegmentAnActivationExportsCannotBeDeleted() async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let segment = try await workspace.createSegment(name: "kr", pql: #"country = "KR""#)
        let destination = try await Self.destination(workspace)
        try await workspace.insertActivation(Self.activation("daily", destination: destination, segments: [segment.id]))

        let error = try await #require(throws: WorkspaceError.self) { try await workspace.deleteSegment("kr") }
        #expect(error.code == .segmentInUse)
        #expect(error.message.contains("'daily'"))
        #expect(try await workspace.segments().count == 1)

        try await workspace.deleteActivation("daily")
        try await workspace.deleteSegment("kr")
        #expect(try await workspace.segments().isEmpty)
    }

    // MARK: Item 17: names

    @Test(arguments: [
        "red\u{1B}[31m", "tab\there", "line\nbreak", "gold\u{202E}lanif", "isolate\u{2066}x", "mark\u{200F}",
        "c1\u{9B}",
        "sep\u{2028}x", "  ",
    ])
    func namesThatCanRewriteATerminalAreRefused(_ name: String) async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let segment = try await #require(throws: WorkspaceError.self) {
            try await workspace.createSegment(name: name, pql: "a = 1")
        }
        #expect(segment.code == .badName)
        let destination = try await #require(throws: WorkspaceError.self) {
            try await Self.destination(workspace, name)
        }
        #expect(destination.code == .badName)
        let good = try await Self.destination(workspace)
        let activation = try await #require(throws: WorkspaceError.self) {
            try await workspace.insertActivation(Self.activation(name, destination: good, segments: ["s"]))
        }
        #expect(activation.code == .badName)
        #expect(try await workspace.activations().isEmpty)
    }

    @Test func ordinaryUnicodeNamesAreFine() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.workspace.createSegment(name: "서울 VIP 👩‍👩‍👧 עברית", pql: "a = 1")
        _ = try await Self.destination(temp.workspace, "Ads — Zürich")
    }

    // MARK: Item 15: activations that would write the same keys

    @Test func aSecondActivationWritingTheSameKeysIsRefusedNamingTheFirst() async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let destination = try await Self.destination(workspace)
        let other = try await Self.destination(workspace, "other")
        let daily = Self.activation("daily", destination: destination, segments: ["s1", "s2"])
        try await workspace.insertActivation(daily)

        // The README's daily-and-ads example: one destination, one segment, the default file name.
        let ads = Self.activation("ads", destination: destination, segments: ["s2"])
        let error = try await #require(throws: WorkspaceError.self) { try await workspace.insertActivation(ads) }
        #expect(error.code == .activationConflict)
        #expect(error.message.contains("'daily'"))
        #expect(error.message.contains("'ads'"))
        // %DATETIME% is the default pattern spelled short: still the same keys.
        let short = Self.activation(
            "short", destination: destination, segments: ["s1"], fileName: "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME%")
        await #expect(throws: WorkspaceError.self) { try await workspace.insertActivation(short) }

        // A different name, another segment or another destination writes other keys.
        try await workspace.insertActivation(
            Self.activation(
                "ads", destination: destination, segments: ["s2"],
                fileName: "ads_%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%"))
        try await workspace.insertActivation(Self.activation("s3", destination: destination, segments: ["s3"]))
        try await workspace.insertActivation(Self.activation("elsewhere", destination: other, segments: ["s1"]))
        #expect(try await workspace.conflictingActivation(for: daily) == nil)
    }

    @Test func theRunTimeCheckFindsAClashThatGotInAnotherWay() async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let destination = try await Self.destination(workspace)
        let daily = Self.activation("daily", destination: destination, segments: ["s"])
        try await workspace.insertActivation(daily)
        // Written behind insertActivation's back, as an older Ferry would have allowed.
        let ads = Self.activation("ads", destination: destination, segments: ["s"])
        try await workspace.dbPool.write { db in try ads.insert(db) }

        let clash = try await workspace.conflictingActivation(for: ads)
        #expect(clash?.name == "daily")
        #expect(try await workspace.conflictingActivation(for: daily)?.name == "ads")
        let message = try await workspace.conflictError(ads, try #require(clash)).message
        #expect(message.contains("'daily'") && message.contains("'ads'"))
    }
}
