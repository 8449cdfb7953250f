import Foundation
import Testing
import Workspace

/// The store's seams, exercised through the protocols alone so the same
/// checks can run on another backend.
@Suite struct StoreSeamTests {
    @Test func memberPagesWalkEveryMemberOnceInPidOrder() async throws {
        let temp = try await SegmentFixtures.workspace()
        try await checkMemberPages(temp.workspace)
    }

    func checkMemberPages(_ store: some SegmentStore) async throws {
        let segment = try await store.createSegment(
            name: "gold", pql: #"loyalty.tier = "gold""#, description: nil, id: nil, now: SegmentFixtures.now)
        _ = try await store.evaluate(segmentIds: [segment.id], now: SegmentFixtures.now)
        var seen: [MemberEntry] = []
        var after: Int64 = 0
        while case let page = try await store.memberPage(of: segment, status: .realized, afterPid: after, limit: 1),
            let last = page.last
        {
            #expect(page.count == 1)
            seen += page
            after = last.pid
        }
        #expect(seen.map(\.pid) == seen.map(\.pid).sorted())
        #expect(seen.map(\.identity).sorted() == ["ann", "sara"])
        #expect(try await store.memberPage(of: segment, status: .exited, afterPid: 0, limit: 10).isEmpty)
    }

    @Test func identityNamespacesAreKnownFromPrimaryAndMappedIdentities() async throws {
        let temp = try await SegmentFixtures.workspace()
        let store: some ProfileStore = temp.workspace
        #expect(try await store.hasIdentities(inNamespace: "Email"))
        #expect(try await store.hasIdentities(inNamespace: "CRMID"))
        #expect(try await !store.hasIdentities(inNamespace: "Phone"))
        // A namespace found only beside another profile's primary identity counts too.
        _ = try await temp.importText(
            "phone.jsonl", #"{"identityMap":{"Email":[{"id":"pat","primary":true}],"Phone":[{"id":"+100"}]}}"#)
        #expect(try await store.hasIdentities(inNamespace: "Phone"))
    }

    @Test func anIncrementalRunStartsFromTheLastSuccessfulRunsEvaluation() async throws {
        let temp = try TemporaryWorkspace()
        try await checkLastExportedEvaluation(temp.workspace, secretBox: temp.workspace.secretBox)
    }

    func checkLastExportedEvaluation(_ store: some Catalog & RunLedger, secretBox: SecretBox) async throws {
        let destination = DestinationRecord(
            id: UUID().uuidString.lowercased(), name: "d", bucket: "b", folderPath: "f", region: nil, endpoint: nil,
            fileType: "csv", compression: "none", manifest: false, format: "{}", accessKeyId: "k",
            sealedSecret: try secretBox.seal("s"), sealedSessionToken: nil, createdAt: Date())
        try await store.insertDestination(destination)
        let activation = ActivationRecord(
            id: UUID().uuidString.lowercased(), name: "a", destinationId: destination.id, segmentIds: ["s"],
            mappings: [], mandatory: [], dedupKeys: [], mode: .incremental, frequency: .daily,
            start: Date(timeIntervalSince1970: 0), endDay: nil, timeZone: "UTC", fileNameTemplate: "x",
            maxRowsPerFile: 10, enabled: true, createdAt: Date())
        try await store.insertActivation(activation)

        func run(hoursAgo: Double, _ status: RunRecord.Status, evaluation: Int64?) async throws -> RunRecord {
            var run = try await store.beginRun(
                activationId: activation.id, segmentId: "s", destinationId: destination.id,
                scheduledTime: Date().addingTimeInterval(-hoursAgo * 3600), mode: .incremental, now: Date(),
                lease: nil)
            run.status = status
            run.evaluationId = evaluation
            try await store.saveRun(run, lease: nil)
            return run
        }
        func last(excluding run: RunRecord) async throws -> Int64? {
            try await store.lastExportedEvaluationId(activationId: activation.id, segmentId: "s", excludingRun: run.id)
        }

        let first = try await run(hoursAgo: 5, .success, evaluation: 7)
        #expect(try await last(excluding: first) == nil)
        let second = try await run(hoursAgo: 4, .success, evaluation: 9)
        _ = try await run(hoursAgo: 3, .failed, evaluation: 11)
        _ = try await run(hoursAgo: 2, .success, evaluation: nil)
        let current = try await run(hoursAgo: 1, .processing, evaluation: nil)
        #expect(try await last(excluding: current) == 9)
        // A retry of a run that succeeded starts from the one before it, not from itself.
        #expect(try await last(excluding: second) == 7)
    }
}
