import Export
import Foundation
import S3
import Testing
import Workspace

/// An export through a proxy that fails one request in ten still delivers
/// exactly the expected content.
@Suite struct FaultyNetworkExportTests {
    let env = TestEnvironment.shared

    @Test func tenPercentFaultsStillDeliverExactContent() async throws {
        let proxy = try await FaultProxy(upstream: env.endpoint, randomRate: 0.1, seed: 11)
        defer { proxy.stop() }
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "ferry-faulty-\(UUID().uuidString)")
        let workspace = try Workspace(directory: dir, environment: [:])
        var lines = ""
        for i in 0..<90_000 {
            lines +=
                #"{"identityMap":{"Email":[{"id":"p\#(i)@example.com","primary":true}]},"person":{"name":{"lastName":"Name\#(i)"}},"n":\#(i)}"#
                + "\n"
        }
        let file = dir.appendingPathComponent("p.jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        _ = try await workspace.importProfiles(
            [ImportInput(argument: file.path)], options: ImportOptions(), onReject: { _ in })
        let segment = try await workspace.createSegment(name: "all", pql: "n >= 0")
        let keys = env.keys("full")
        let prefix = TestEnvironment.prefix("faulty")
        let destination = DestinationRecord(
            id: UUID().uuidString.lowercased(), name: "faulty", bucket: env.bucket, folderPath: prefix,
            region: env.region,
            endpoint: proxy.endpoint, fileType: "csv", compression: "none", manifest: true,
            format: DestinationSettings.encodeFormat(.csv), accessKeyId: keys.accessKeyId,
            sealedSecret: try workspace.secretBox.seal(keys.secretAccessKey), sealedSessionToken: nil, createdAt: Date()
        )
        try await workspace.insertDestination(destination)
        let activation = ActivationRecord(
            id: UUID().uuidString.lowercased(), name: "a", destinationId: destination.id, segmentIds: [segment.id],
            mappings: [
                ColumnMapping(source: "identityMap.Email", column: "email"),
                ColumnMapping(source: "person.name.lastName", column: "last"),
            ],
            mandatory: [], dedupKeys: [], mode: .full, frequency: .once, start: Date(), endDay: nil, timeZone: "UTC",
            fileNameTemplate: PathTemplate.defaultFileName, maxRowsPerFile: 2_000, enabled: true, createdAt: Date())
        try await workspace.insertActivation(activation)
        let runner = ExportRunner(
            workspace: workspace, uploadOptions: try UploadOptions(partSize: 5 * 1024 * 1024, concurrency: 2),
            retry: RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(20)))
        let run = try await runner.run(
            activation: activation, segmentId: segment.id, scheduledTime: Date(timeIntervalSince1970: 1_795_500_000))
        #expect(run.status == .success)
        #expect(proxy.entries.contains { $0.action != "forward" })
        // Split files keep the request count high enough for faults to land on.
        #expect(run.files.count == 45)
        var rows: [Substring] = []
        for file in run.files {
            let body = try await env.client().getObject(bucket: env.bucket, key: file.key)
            rows += String(decoding: body, as: UTF8.self).split(separator: "\n").dropFirst()
        }
        #expect(rows.count == 90_000)
        #expect(Set(rows.map(String.init)) == Set((0..<90_000).map { "p\($0)@example.com,Name\($0)" }))
    }
}
