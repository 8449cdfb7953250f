import Export
import Foundation
import NIOCore
import PostgresStore
import S3
import Testing
import Workspace

/// Export runs against moto with the six-permission user, checked by
/// reading the objects back, with Python's csv module as the reader; each
/// on an in-process SQLite workspace and on a PostgreSQL one.
@Suite struct ExportIntegrationTests {
    let env = TestEnvironment.shared

    static let profiles = """
        {"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"person":{"name":{"lastName":"Lee, Jr."}},"personalEmail":{"address":"shared@x.io"},"loyalty":{"points":1200,"tier":"gold"},"homeAddress":{"countryCode":"KR"}}
        {"identityMap":{"Email":[{"id":"b@x.io","primary":true}]},"person":{"name":{"lastName":"O\\"Brien\\nLine"}},"personalEmail":{"address":"b@x.io"},"loyalty":{"points":100000,"tier":"silver"},"homeAddress":{"countryCode":"KR"}}
        {"identityMap":{"Email":[{"id":"c@x.io","primary":true}]},"personalEmail":{"address":"c@x.io"},"loyalty":{"points":5,"tier":"gold"},"homeAddress":{"countryCode":"KR"}}
        {"identityMap":{"Email":[{"id":"d@x.io","primary":true}]},"person":{"name":{"lastName":" 김 "}},"personalEmail":{"address":"d@x.io"},"loyalty":{"points":1.5,"tier":"gold"},"homeAddress":{"countryCode":"KR"}}
        {"identityMap":{"Email":[{"id":"e@x.io","primary":true}]},"person":{"name":{"lastName":"Tab\\there"}},"personalEmail":{"address":"e@x.io"},"loyalty":{"points":7,"tier":{"nested":[1,2]}},"homeAddress":{"countryCode":"KR"}}
        {"identityMap":{"Email":[{"id":"f@x.io","primary":true}]},"person":{"name":{"lastName":"Far"}},"personalEmail":{"address":"f@x.io"},"homeAddress":{"countryCode":"US"}}
        """
    /// Imported later, so it wins the dedup on personalEmail.address over a@x.io.
    static let laterProfile = """
        {"identityMap":{"Email":[{"id":"g@x.io","primary":true}]},"person":{"name":{"lastName":"Newer"}},"personalEmail":{"address":"shared@x.io"},"loyalty":{"points":2,"tier":"gold"},"homeAddress":{"countryCode":"KR"}}
        """

    struct Fixture {
        var workspace: any FerryStore
        var directory: URL
        var segment: SegmentRecord
        var destination: DestinationRecord
        var secretBox: SecretBox
        /// Closes a PostgreSQL workspace's connections.
        var close: @Sendable () async -> Void

        var runner: ExportRunner { ExportRunner(store: workspace, secretBox: secretBox) }
    }

    func makeFixture(
        _ backend: Backend, folderPath: String, fileType: String = "csv", compression: String = "none",
        user: String = "full"
    ) async throws -> Fixture {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "ferry-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let workspace: any FerryStore
        let secretBox: SecretBox
        var close: @Sendable () async -> Void = {}
        switch backend {
        case .sqlite:
            let sqlite = try Workspace(directory: dir.appendingPathComponent("ws"), environment: [:])
            (workspace, secretBox) = (sqlite, sqlite.secretBox)
        case .postgresql:
            let postgres = try await PostgresWorkspace.open(
                url: try PostgresURL(PostgresWorkersTests.freshDatabase()), create: true, maxConnections: 4,
                environment: [
                    "FERRY_MASTER_KEY": PostgresWorkersTests.masterKey,
                    "FERRY_CONNECT_TIMEOUT_SECONDS": PostgresWorkersTests.connectTimeout,
                ])
            (workspace, secretBox) = (postgres, postgres.secretBox)
            close = { await postgres.close() }
        }
        for (index, text) in [Self.profiles, Self.laterProfile].enumerated() {
            let file = dir.appendingPathComponent("p\(index).jsonl")
            try text.write(to: file, atomically: true, encoding: .utf8)
            _ = try await workspace.importProfiles(
                [ImportInput(argument: file.path)], options: ImportOptions(), onReject: { _ in })
            try await Task.sleep(for: .milliseconds(20))
        }
        let segment = try await workspace.createSegment(
            name: "Korea ../Members", pql: #"homeAddress.countryCode = "KR""#, description: nil, id: nil, now: Date())
        let keys = env.keys(user)
        let format = fileType == "tsv" ? CSVFormat.tsv : CSVFormat.csv
        let destination = DestinationRecord(
            id: UUID().uuidString.lowercased(), name: "acme", bucket: env.bucket, folderPath: folderPath,
            region: env.region,
            endpoint: env.endpoint, fileType: fileType, compression: compression, manifest: true,
            format: DestinationSettings.encodeFormat(format), accessKeyId: keys.accessKeyId,
            sealedSecret: try secretBox.seal(keys.secretAccessKey), sealedSessionToken: nil, createdAt: Date()
        )
        try await workspace.insertDestination(destination)
        return Fixture(
            workspace: workspace, directory: dir, segment: segment, destination: destination, secretBox: secretBox,
            close: close)
    }

    func activation(_ f: Fixture, maxRows: Int = 5_000_000, dedup: [String] = [], mandatory: [String] = [])
        -> ActivationRecord
    {
        ActivationRecord(
            id: UUID().uuidString.lowercased(), name: "a-\(UUID().uuidString.prefix(6))",
            destinationId: f.destination.id,
            segmentIds: [f.segment.id],
            mappings: [
                ColumnMapping(source: "identityMap.Email", column: "email"),
                ColumnMapping(source: "person.name.lastName", column: "person_name_lastName"),
                ColumnMapping(source: "loyalty.points", column: "points"),
                ColumnMapping(source: "loyalty.tier", column: "tier"),
                ColumnMapping(source: "segmentMembership.status", column: "status"),
            ],
            mandatory: mandatory, dedupKeys: dedup, mode: .full, frequency: .once, start: Date(), endDay: nil,
            timeZone: "Asia/Seoul", fileNameTemplate: PathTemplate.defaultFileName, maxRowsPerFile: maxRows,
            enabled: true,
            createdAt: Date())
    }

    /// Reads bytes the way a downstream tool would: Python's csv module (and
    /// pandas when present) must agree with each other on every value.
    func readWithPython(_ bytes: [UInt8], delimiter: String = ",", gzip: Bool = false) async throws -> [[String]] {
        let file = NSTemporaryDirectory() + "ferry-read-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let script = """
            import csv, gzip, io, json, sys
            raw = open(sys.argv[1], 'rb').read()
            if sys.argv[3] == '1': raw = gzip.decompress(raw)
            text = raw.decode('utf-8')
            rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=sys.argv[2]))
            try:
                import pandas
                frame = pandas.read_csv(io.StringIO(text), sep=sys.argv[2], dtype=str, keep_default_na=False)
                assert [list(frame.columns)] + frame.values.tolist() == rows, 'pandas disagrees with csv'
            except ImportError:
                pass
            print(json.dumps(rows))
            """
        let data = try await runPython(["-c", script, file, delimiter, gzip ? "1" : "0"])
        return try JSONDecoder().decode([[String]].self, from: data)
    }

    @Test(arguments: Backend.allCases)
    func fullExportWritesMacroKeysSplitFilesAndAManifest(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("export")
        let f = try await makeFixture(backend, folderPath: prefix + "%SEGMENT_NAME%/%DATETIME(YYYY-MM-dd)%")
        let act = activation(f, maxRows: 2, dedup: ["personalEmail.address"], mandatory: ["person.name.lastName"])
        try await f.workspace.insertActivation(act)
        let scheduled = Date(timeIntervalSince1970: 1_795_500_000)  // 2026-11-24T06:00:00Z, 15:00 in Seoul
        let run = try await f.runner.run(
            activation: act, segmentId: f.segment.id, scheduledTime: scheduled)
        #expect(run.status == .success)
        // Six KR members: c@ lacks lastName, a@ loses the dedup to the newer g@.
        #expect(run.profilesReceived == 6)
        #expect(run.excludedMandatory == 1)
        #expect(run.excludedDuplicate == 1)
        #expect(run.exported == 4)

        let folder = prefix + "Korea .._Members/2026-11-24"
        let base = "\(folder)/acme_\(f.segment.id)_20261124_150000"
        #expect(run.files.map(\.key) == ["\(base).csv", "\(base)_2.csv"])
        let client = env.client()
        let listed = try await client.listObjects(bucket: env.bucket, prefix: prefix).map(\.key).sorted()
        let manifestKey = "\(folder)/manifest-\(f.destination.id)-\(run.id).json"
        #expect(listed == ["\(base).csv", "\(base)_2.csv", manifestKey].sorted())

        var rows: [[String]] = []
        for (i, file) in run.files.enumerated() {
            let bytes = try await client.getObject(bucket: env.bucket, key: file.key)
            let table = try await readWithPython(bytes)
            #expect(table[0] == ["email", "person_name_lastName", "points", "tier", "status"])
            #expect(table.count - 1 == file.rows)
            #expect(file.rows == (i == 0 ? 2 : 2))
            rows += table.dropFirst()
        }
        #expect(
            rows.sorted { $0[0] < $1[0] } == [
                ["b@x.io", "O\"Brien\nLine", "100000", "silver", "realized"],
                ["d@x.io", " 김 ", "1.5", "gold", "realized"],
                ["e@x.io", "Tab\there", "7", #"{"nested":[1,2]}"#, "realized"],
                ["g@x.io", "Newer", "2", "gold", "realized"],
            ])

        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(try await client.getObject(bucket: env.bucket, key: manifestKey)))
        #expect(manifest.flowRunId == run.id)
        #expect(manifest.scheduledTime == "2026-11-24T06:00:00Z")
        #expect(manifest.exportResults.map(\.rows) == [2, 2])
        #expect(manifest.exportResults.allSatisfy { $0.sinkPath == "/" + folder && $0.segmentId == f.segment.id })
        #expect(manifest.exportResults.map(\.sha256) == run.files.map(\.sha256))

        // The same scheduled time again: same run, same keys, nothing extra.
        let again = try await f.runner.run(
            activation: act, segmentId: f.segment.id, scheduledTime: scheduled)
        #expect(again.id == run.id)
        #expect(again.attempts == 2)
        #expect(again.files == run.files)
        #expect(try await client.listObjects(bucket: env.bucket, prefix: prefix).map(\.key).sorted() == listed)
        await f.close()
    }

    @Test(arguments: Backend.allCases)
    func gzippedTSVIsReadableAndNamedTxtGz(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("tsv")
        let f = try await makeFixture(backend, folderPath: prefix, fileType: "tsv", compression: "gzip")
        let act = activation(f)
        try await f.workspace.insertActivation(act)
        let run = try await f.runner.run(
            activation: act, segmentId: f.segment.id, scheduledTime: Date(timeIntervalSince1970: 1_795_500_000))
        #expect(run.files.count == 1)
        #expect(run.files[0].key.hasSuffix(".txt.gz"))
        let bytes = try await env.client().getObject(bucket: env.bucket, key: run.files[0].key)
        let table = try await readWithPython(bytes, delimiter: "\t", gzip: true)
        #expect(table.count == 7)
        #expect(Set(table.dropFirst().map { $0[0] }) == ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "g@x.io"])
        // A missing value is written empty by default.
        #expect(table.first { $0[0] == "c@x.io" }?[1] == "")
        await f.close()
    }

    @Test(arguments: Backend.allCases)
    func exactMembersOfALargerSegmentAcrossManyFiles(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("many")
        let f = try await makeFixture(backend, folderPath: prefix)
        var lines = ""
        for i in 0..<2500 {
            lines +=
                #"{"identityMap":{"Email":[{"id":"u\#(i)@x.io","primary":true}]},"homeAddress":{"countryCode":"\#(i % 3 == 0 ? "KR" : "JP")"}}"#
                + "\n"
        }
        let file = f.directory.appendingPathComponent("many.jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        _ = try await f.workspace.importProfiles(
            [ImportInput(argument: file.path)], options: ImportOptions(), onReject: { _ in })
        _ = try await f.workspace.evaluate(segmentIds: [f.segment.id])
        let act = activation(f, maxRows: 300)
        try await f.workspace.insertActivation(act)
        let run = try await f.runner.run(
            activation: act, segmentId: f.segment.id, scheduledTime: Date(timeIntervalSince1970: 1_795_500_000))
        let expected = Set((0..<2500).filter { $0 % 3 == 0 }.map { "u\($0)@x.io" }).union(
            ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "g@x.io"])
        #expect(run.exported == expected.count)
        #expect(run.files.count == (expected.count + 299) / 300)
        var seen: [String] = []
        for file in run.files {
            let table = try await readWithPython(try await env.client().getObject(bucket: env.bucket, key: file.key))
            seen += table.dropFirst().map { $0[0] }
        }
        #expect(seen.count == expected.count)
        #expect(Set(seen) == expected)
        await f.close()
    }

    @Test(arguments: Backend.allCases)
    func lostPutObjectFailsTheRunNamingTheAction(_ backend: Backend) async throws {
        let f = try await makeFixture(backend, folderPath: TestEnvironment.prefix("denied"), user: "no-s3:PutObject")
        let act = activation(f)
        try await f.workspace.insertActivation(act)
        await #expect(throws: (any Error).self) {
            try await f.runner.run(
                activation: act, segmentId: f.segment.id, scheduledTime: Date())
        }
        let run = try #require(try await f.workspace.runs(activationId: act.id, limit: 10).first)
        #expect(run.status == .failed)
        #expect(run.error?.contains("AccessDenied") == true || run.error?.contains("denied") == true)
        #expect(run.error?.contains("s3:PutObject") == true)
        await f.close()
    }
}
