import Foundation
import Logging
import PostgresNIO
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// A fresh database on the throwaway server `scripts/test` starts
/// (`FERRY_TEST_POSTGRES_URL`), dropped by `drop()`.
struct TestDatabase: Sendable {
    static let masterKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    /// The 15 s connect bound is for users; a loaded 2-core CI machine, with
    /// many tests opening workspaces at once, is not what it is for.
    static let environment = ["FERRY_MASTER_KEY": masterKey, "FERRY_CONNECT_TIMEOUT_SECONDS": "60"]

    let server: PostgresURL
    let url: PostgresURL

    static func serverURL() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_URL"], !text.isEmpty else {
            throw TestDatabaseError()
        }
        return try PostgresURL(text)
    }

    static func make() async throws -> TestDatabase {
        let server = try serverURL()
        let name = "ferry_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresAdmin.createDatabase(name, at: server)
        var url = server
        url.database = name
        return TestDatabase(server: server, url: url)
    }

    func open(create: Bool = true, maxConnections: Int = 4) async throws -> PostgresWorkspace {
        try await PostgresWorkspace.open(
            url: url, create: create, maxConnections: maxConnections, environment: Self.environment)
    }

    func drop() async {
        try? await PostgresAdmin.dropDatabase(url.database, at: server)
    }

    /// Closes `workspace` and drops the database.
    func close(_ workspace: PostgresWorkspace) async {
        await workspace.close()
        await drop()
    }

    /// A workspace migrated as an older Ferry left it: up to, not including, `migration`.
    func older(before migration: String) async throws -> PostgresWorkspace {
        let older = PostgresWorkspace(
            url: url, secretBox: try SecretBox(base64Key: Self.masterKey), maxConnections: 2,
            logger: Logger(label: "test"))
        let version = try #require(PostgresSchema.migrations.firstIndex { $0.name == migration })
        try await PostgresSchema.migrate(older, create: true, upTo: version)
        #expect(try await older.schemaVersion() == version)
        return older
    }

    /// Closes `older` and opens the database as this Ferry does, which migrates the rest.
    func upgrade(_ older: PostgresWorkspace) async throws -> PostgresWorkspace {
        await older.close()
        let workspace = try await open(create: false)
        #expect(try await workspace.schemaVersion() == PostgresWorkspace.currentSchemaVersion)
        return workspace
    }
}

struct TestDatabaseError: Error, CustomStringConvertible {
    var description: String {
        "FERRY_TEST_POSTGRES_URL is not set: run these tests with scripts/test, which starts a throwaway PostgreSQL"
    }
}

/// One store under test, SQLite or PostgreSQL, with what is needed to clean it up.
/// Per typed column of `workspace` whose values differ from its profiles'
/// documents, its path and how many rows differ.
func typedValuesDifferingFromDocuments(in workspace: PostgresWorkspace) async throws -> [String] {
    let columns = try await workspace.typedColumns()
    return try await workspace.withConnection { connection in
        let native = try await PostgresWorkspace.nativeLayout(on: connection, logger: workspace.logger) != .none
        var differing: [String] = []
        for (path, number) in columns {
            let value = PostgresWorkspace.extraction(of: path, from: "p.doc")
            // The text and numeric forms too, however they are kept.
            let forms =
                native
                ? """
                 OR v.s\(number) IS DISTINCT FROM \(PostgresWorkspace.textOf(value))
                 OR v.n\(number) IS DISTINCT FROM \(PostgresWorkspace.numberOf(value))
                 OR v.n\(number)::text IS DISTINCT FROM (\(PostgresWorkspace.numberOf(value)))::text
                """ : ""
            let count = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FROM profile p FULL JOIN profile_value v USING (pid)
                        WHERE v.v\(number) IS DISTINCT FROM \(value)
                            OR v.v\(number)::text IS DISTINCT FROM (\(value))::text\(forms)
                        """), logger: workspace.logger
            ).collect()[0].decode(Int.self)
            if count > 0 { differing.append("\(path): \(count) rows") }
        }
        // Each object mark is what `PQL.markValue` makes of the document, or `{}`
        // where a typed value below was set later (which reads the same).
        for (path, number) in try await PostgresWorkspace.valueLayout(on: connection, logger: workspace.logger).marks {
            let value = PostgresWorkspace.extraction(of: path, from: "p.doc")
            let below = PQL.objectMarkColumns(below: path, in: columns).map { "v.v\($0)" }
            let count = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FROM profile p FULL JOIN profile_value v USING (pid)
                        WHERE v.o\(number) IS DISTINCT FROM (\(PQL.markValue(value, below: below)))
                            AND NOT (v.o\(number) = '{}'::jsonb AND jsonb_typeof(\(value)) = 'object')
                        """), logger: workspace.logger
            ).collect()[0].decode(Int.self)
            if count > 0 { differing.append("object mark \(path): \(count) rows") }
        }
        return differing
    }
}

struct StoreUnderTest: Sendable {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgresql
        var testDescription: String { rawValue }
    }

    let store: any FerryStore
    let secretBox: SecretBox
    let folder: URL
    let cleanUp: @Sendable () async -> Void

    static func make(_ backend: Backend) async throws -> StoreUnderTest {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-pg-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            let workspace = try Workspace(directory: folder.appendingPathComponent("ws"), environment: [:])
            return StoreUnderTest(
                store: workspace, secretBox: workspace.secretBox, folder: folder,
                cleanUp: { try? FileManager.default.removeItem(at: folder) })
        case .postgresql:
            let database = try await TestDatabase.make()
            let workspace = try await database.open()
            return StoreUnderTest(
                store: workspace, secretBox: workspace.secretBox, folder: folder,
                cleanUp: {
                    await workspace.close()
                    await database.drop()
                    try? FileManager.default.removeItem(at: folder)
                })
        }
    }

    /// Writes `lines` to a file and imports it.
    func importLines(_ lines: [String], options: ImportOptions = ImportOptions()) async throws -> (
        ImportSummary, [ImportRejection]
    ) {
        let url = folder.appendingPathComponent("import-\(UUID().uuidString).jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: false, encoding: .utf8)
        let rejections = RejectionLog()
        let summary = try await store.importProfiles([.file(url.path)], options: options) { rejections.add($0) }
        return (summary, rejections.all)
    }
}

final class RejectionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ImportRejection] = []
    func add(_ item: ImportRejection) { lock.withLock { items.append(item) } }
    var all: [ImportRejection] { lock.withLock { items } }
}
