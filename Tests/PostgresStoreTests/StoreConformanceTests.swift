import Foundation
import Segmentation
import Testing
import Workspace

/// The store's contract, run on both backends through the protocols alone.
@Suite struct StoreConformanceTests {
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    static let profiles = [
        #"{"identityMap":{"Email":[{"id":"ann","primary":true}]},"loyalty":{"points":1200,"tier":"gold"},"person":{"name":{"firstName":"Ann"}}}"#,
        #"{"identityMap":{"Email":[{"id":"joe","primary":true}]},"loyalty":{"points":300,"tier":"silver"}}"#,
        #"{"identityMap":{"Email":[{"id":"sara","primary":true}]},"loyalty":{"points":5000,"tier":"gold"},"vip":true}"#,
        #"{"identityMap":{"CRMID":[{"id":"c5"}]},"loyalty":{"points":20000.5,"tier":"platinum"}}"#,
    ]

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func importsMergeByIdentityAndRejectBadLines(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let (first, firstRejects) = try await subject.importLines(Self.profiles + ["{broken"])
        #expect(first.inserted == 4)
        #expect(first.updated == 0)
        #expect(first.rejected == 1)
        #expect(firstRejects.first?.line == 5)
        #expect(try await store.profileCount() == 4)

        // The same identity twice in one batch, and a deep merge over the stored profile.
        let (second, _) = try await subject.importLines([
            #"{"identityMap":{"Email":[{"id":"ann","primary":true}]},"loyalty":{"tier":"silver"}}"#,
            #"{"identityMap":{"Email":[{"id":"ann","primary":true}]},"person":{"name":{"lastName":"Lee"}},"vip":null}"#,
            #"{"identityMap":{"Email":[{"id":"new","primary":true}]}}"#,
        ])
        #expect(second.inserted == 1)
        #expect(second.updated == 2)
        let ann = try #require(try await store.profile(namespace: "Email", identity: "ann"))
        let document = try JSONValue.parse(ann.doc)
        #expect(document[path: ["loyalty", "tier"]] == .string("silver"))
        #expect(document[path: ["loyalty", "points"]]?.doubleValue == 1200)
        #expect(document[path: ["person", "name", "firstName"]] == .string("Ann"))
        #expect(document[path: ["person", "name", "lastName"]] == .string("Lee"))
        #expect(document[path: ["vip"]] == .null)
        #expect(try await store.profile(namespace: "Email", identity: "nobody") == nil)
        #expect(try await store.hasIdentities(inNamespace: "CRMID"))
        #expect(try await !store.hasIdentities(inNamespace: "Phone"))
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func evaluationsRealizeAndExitMembers(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        _ = try await subject.importLines(Self.profiles)
        let gold = try await store.createSegment(
            name: "gold", pql: #"loyalty.tier = "gold""#, description: "top", id: nil, now: Self.now)
        let big = try await store.createSegment(
            name: "big", pql: "loyalty.points > 1000", description: nil, id: nil, now: Self.now)
        await #expect(throws: WorkspaceError.self) {
            try await store.createSegment(name: "gold", pql: "vip = true", description: nil, id: nil, now: Self.now)
        }
        await #expect(throws: PQLError.self) {
            try await store.createSegment(name: "bad", pql: "loyalty.tier = ", description: nil, id: nil, now: Self.now)
        }
        #expect(try await store.segments().map(\.name) == ["big", "gold"])
        #expect(try await store.segment(named: gold.id).name == "gold")

        let first = try await store.evaluate(segmentIds: [], now: Self.now)
        #expect(first.map(\.segmentName) == ["big", "gold"])
        #expect(first.map(\.realized) == [3, 2])
        #expect(try await members(of: gold, in: store) == ["ann", "sara"])
        #expect(try await members(of: big, in: store) == ["ann", "c5", "sara"])

        _ = try await subject.importLines([
            #"{"identityMap":{"Email":[{"id":"sara","primary":true}]},"loyalty":{"tier":"silver"}}"#,
            #"{"identityMap":{"Email":[{"id":"joe","primary":true}]},"loyalty":{"tier":"gold"}}"#,
        ])
        let later = Self.now.addingTimeInterval(3600)
        let second = try await store.evaluate(segmentIds: ["gold"], now: later)
        #expect(second.count == 1)
        #expect(second[0].realized == 1)
        #expect(second[0].existing == 1)
        #expect(second[0].exited == 1)
        #expect(second[0].evaluationId > first.map(\.evaluationId).max()!)
        #expect(try await members(of: gold, in: store) == ["ann", "joe"])
        let exited = try await store.memberPage(of: gold, status: .exited, afterPid: 0, limit: 10)
        #expect(exited.map(\.identity) == ["sara"])
        #expect(exited.first?.changedInEvaluation == second[0].evaluationId)
        let latest = try #require(try await store.latestEvaluation(segmentId: gold.id))
        #expect(latest.id == second[0].evaluationId)
        #expect(latest.realized == 1)
        #expect(latest.exited == 1)

        try await store.deleteSegment("big")
        #expect(try await store.segments().map(\.name) == ["gold"])
    }

    func members(of segment: SegmentRecord, in store: any SegmentStore) async throws -> [String] {
        var ids: [String] = []
        var after: Int64 = 0
        while case let page = try await store.memberPage(of: segment, status: .realized, afterPid: after, limit: 2),
            let last = page.last
        {
            ids += page.map(\.identity)
            after = last.pid
        }
        return ids.sorted()
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func theCatalogRefusesClashesAndDanglingReferences(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let segment = try await store.createSegment(
            name: "all", pql: "true", description: nil, id: nil, now: Self.now)
        let destination = makeDestination("bucket-one", subject.secretBox)
        try await store.insertDestination(destination)
        await #expect(throws: WorkspaceError(.destinationExists, "A destination named 'bucket-one' already exists.")) {
            try await store.insertDestination(makeDestination("bucket-one", subject.secretBox))
        }
        let stored = try await store.destination(named: "bucket-one")
        #expect(stored == destination)
        #expect(try subject.secretBox.openString(stored.sealedSecret) == "secret")

        let activation = makeActivation("daily", destination: destination.id, segment: segment.id)
        try await store.insertActivation(activation)
        #expect(try await store.activation(named: activation.id) == activation)
        let clash = makeActivation("again", destination: destination.id, segment: segment.id)
        await #expect(throws: WorkspaceError.self) { try await store.insertActivation(clash) }
        #expect(try await store.conflictingActivation(for: clash)?.id == activation.id)

        var changed = activation
        changed.enabled = false
        changed.segmentIds = [segment.id, "other"]
        try await store.updateActivation(changed)
        #expect(try await store.activations() == [changed])

        await #expect(throws: WorkspaceError.self) { try await store.deleteDestination("bucket-one") }
        await #expect(throws: WorkspaceError.self) { try await store.deleteSegment("all") }
        try await store.deleteActivation("daily")
        try await store.deleteDestination(destination.id)
        #expect(try await store.destinations().isEmpty)
        await #expect(throws: WorkspaceError.self) { try await store.destination(named: "bucket-one") }
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func aLapsedLeaseCannotWriteOverItsSuccessor(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let (activation, destination) = try await makeActivationInStore(subject)
        let key = "\(activation.id)|s|1"
        let now = Date()
        let first = try #require(try await store.acquireLease(key, holder: "w1", duration: 60, now: now))
        #expect(try await store.acquireLease(key, holder: "w2", duration: 60, now: now) == nil)
        #expect(try await store.leaseHolder(key, now: now) == "w1")
        #expect(try await store.renewLease(first, duration: 60, now: now))

        var run = try await store.beginRun(
            activationId: activation.id, segmentId: "s", destinationId: destination.id, scheduledTime: now,
            mode: .full, now: now, lease: first)
        // w1 stalls past its lease; w2 takes the run over.
        let second = try #require(
            try await store.acquireLease(key, holder: "w2", duration: 60, now: now.addingTimeInterval(120)))
        #expect(second.token == first.token + 1)
        run.status = .success
        await #expect(throws: LeaseLostError.self) { try await store.saveRun(run, lease: first) }
        await #expect(throws: LeaseLostError.self) { try await store.checkLease(first) }
        await #expect(throws: LeaseLostError.self) {
            try await store.recordUpload(runId: run.id, key: "k", uploadId: "u", lease: first)
        }
        await #expect(throws: LeaseLostError.self) {
            try await store.recordFile(
                runId: run.id, file: RunFile(key: "k", rows: 1, bytes: 1, sha256: "x"), lease: first)
        }
        #expect(try await !store.renewLease(first, duration: 60, now: now))
        #expect(try await store.run(id: run.id).status == .processing)
        try await store.saveRun(run, lease: second)
        #expect(try await store.run(id: run.id).status == .success)

        await store.releaseLease(second)
        #expect(try await store.leaseHolder(key, now: now) == nil)
        let third = try #require(try await store.acquireLease(key, holder: "w3", duration: 60, now: now))
        try await store.expireLease(key, heldBy: "w3")
        #expect(try await store.acquireLease(key, holder: "w1", duration: 60, now: now)?.token == third.token + 1)

        #expect(try await store.claimOnce("alert|x", now: now))
        #expect(try await !store.claimOnce("alert|x", now: now))
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func theRunLedgerKeepsOneRunPerScheduledTime(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let (activation, destination) = try await makeActivationInStore(subject)
        let day = 86_400.0
        func begin(_ days: Double) async throws -> RunRecord {
            try await store.beginRun(
                activationId: activation.id, segmentId: "s", destinationId: destination.id,
                scheduledTime: Self.now.addingTimeInterval(days * day), mode: .incremental,
                now: Self.now.addingTimeInterval(days * day + 1), lease: nil)
        }
        var first = try await begin(0)
        let retry = try await begin(0)
        #expect(retry.id == first.id)
        #expect(retry.attempts == 2)
        first = retry
        first.status = .success
        first.evaluationId = 7
        first.files = [RunFile(key: "a.csv", rows: 3, bytes: 30, sha256: "abc")]
        first.finishedAt = Self.now.addingTimeInterval(5)
        try await store.saveRun(first, lease: nil)
        #expect(try await store.run(id: first.id) == first)
        #expect(
            try await store.run(activationId: activation.id, segmentId: "s", scheduledTime: Self.now)?.id == first.id)

        var second = try await begin(1)
        second.status = .failed
        second.error = "boom"
        try await store.saveRun(second, lease: nil)
        let third = try await begin(2)
        #expect(
            try await store.runs(activationId: activation.id, limit: 10).map(\.id) == [third.id, second.id, first.id])
        #expect(
            try await store.runs(activationId: nil, status: .failed, since: nil, segmentId: "s", limit: 10).map(\.id)
                == [second.id])
        #expect(
            try await store.lastSuccessfulRun(
                activationId: activation.id, segmentId: "s", scheduledAtOrBefore: .distantFuture)?.id == first.id)
        #expect(try await store.lastRun(segmentId: "s")?.id == third.id)
        #expect(
            try await store.lastExportedEvaluationId(
                activationId: activation.id, segmentId: "s", excludingRun: third.id)
                == 7)

        try await store.recordUpload(runId: third.id, key: "k", uploadId: "u1", lease: nil)
        #expect(try await store.recordedUpload(runId: third.id, key: "k") == "u1")
        try await store.clearUpload(runId: third.id, key: "k")
        #expect(try await store.recordedUpload(runId: third.id, key: "k") == nil)
        let file = RunFile(key: "k", rows: 10, bytes: 100, sha256: "ff")
        try await store.recordFile(runId: third.id, file: file, lease: nil)
        #expect(try await store.recordedFile(runId: third.id, key: "k") == file)

        // The latest run and the latest success stay; the failed one in between goes.
        #expect(try await store.pruneRuns(scheduledBefore: Self.now.addingTimeInterval(10 * day)) == 1)
        await #expect(throws: WorkspaceError.self) { try await store.run(id: second.id) }
        var done = third
        done.status = .failed
        try await store.saveRun(done, lease: nil)
        #expect(try await store.deleteRun(id: third.id).id == third.id)
        #expect(try await store.recordedFile(runId: third.id, key: "k") == nil)
    }

    func makeDestination(_ name: String, _ box: SecretBox) -> DestinationRecord {
        DestinationRecord(
            id: UUID().uuidString.lowercased(), name: name, bucket: "b", folderPath: "f", region: "us-east-1",
            endpoint: nil, fileType: "csv", compression: "none", manifest: false, format: "{}", accessKeyId: "AKIA",
            sealedSecret: try! box.seal("secret"), sealedSessionToken: nil,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000), pgpPublicKey: Data([0x99, 0x01, 0x0D]),
            pgpFingerprint: "E0FC46C0C8959BDD49D43AD3E83F75EF1C743EAE",
            roleArn: "arn:aws:iam::123456789012:role/ferry", externalId: "ext-1", roleSessionName: "ferry",
            sse: "aws:kms", kmsKeyId: "alias/ferry")
    }

    func makeActivation(_ name: String, destination: String, segment: String) -> ActivationRecord {
        ActivationRecord(
            id: UUID().uuidString.lowercased(), name: name, destinationId: destination, segmentIds: [segment],
            mappings: [ColumnMapping(source: "personalEmail.address", column: "email", hashed: true)],
            mandatory: ["email"], dedupKeys: [], mode: .full, frequency: .daily,
            start: Date(timeIntervalSince1970: 1_700_000_000), endDay: "2027-01-01", timeZone: "UTC",
            fileNameTemplate: "%SEGMENT_NAME%_%DATETIME%", maxRowsPerFile: 1000, enabled: true,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    func makeActivationInStore(_ subject: StoreUnderTest) async throws -> (ActivationRecord, DestinationRecord) {
        let destination = makeDestination("d", subject.secretBox)
        try await subject.store.insertDestination(destination)
        let activation = makeActivation("a", destination: destination.id, segment: "s")
        try await subject.store.insertActivation(activation)
        return (activation, destination)
    }
}
