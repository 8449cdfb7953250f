import Foundation
import Testing
import Workspace

@testable import PostgresStore

/// What the PostgreSQL workspace once lacked: API tokens, the inferred
/// schema, an activation's day and trigger; the same answers on both backends.
@Suite struct StoreParityTests {
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func tokensAreKeptAsHashesAndRevoked(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let tokens = try #require(subject.store as? any TokenStore)
        let text = "ferry_example-token-text"
        let ci = TokenRecord(
            id: UUID().uuidString.lowercased(), name: "ci", tokenHash: TokenRecord.hash(text), readOnly: true,
            createdAt: Self.now)
        try await tokens.insertToken(ci)
        await #expect(throws: WorkspaceError(.tokenExists, "A token named 'ci' already exists.")) {
            try await tokens.insertToken(
                TokenRecord(
                    id: UUID().uuidString.lowercased(), name: "ci", tokenHash: TokenRecord.hash("other"),
                    readOnly: false, createdAt: Self.now))
        }
        await #expect(throws: WorkspaceError.self) {
            try await tokens.insertToken(
                TokenRecord(id: "x", name: " ", tokenHash: "h", readOnly: false, createdAt: Self.now))
        }
        let admin = TokenRecord(
            id: UUID().uuidString.lowercased(), name: "admin", tokenHash: TokenRecord.hash("admin-text"),
            readOnly: false, createdAt: Self.now)
        try await tokens.insertToken(admin)
        #expect(try await tokens.tokens() == [admin, ci])
        #expect(try await tokens.token(hash: TokenRecord.hash(text)) == ci)
        #expect(try await tokens.token(hash: text) == nil)

        let used = Self.now.addingTimeInterval(90)
        try await tokens.touchToken(id: ci.id, at: used)
        #expect(try await tokens.token(hash: ci.tokenHash)?.lastUsedAt == used)

        #expect(try await tokens.revokeToken("ci").id == ci.id)
        #expect(try await tokens.revokeToken(admin.id.uppercased()).name == "admin")
        await #expect(throws: WorkspaceError.self) { try await tokens.revokeToken("ci") }
        #expect(try await tokens.tokens().isEmpty)
    }

    @Test func theInferredSchemaIsTheSameOnBothBackends() async throws {
        let lines = [
            #"{"identityMap":{"Email":[{"id":"a","primary":true}]},"age":30,"score":1.5,"vip":true,"tags":["x"],"home":{"city":"Oslo"},"extra":{}}"#,
            #"{"identityMap":{"Email":[{"id":"b","primary":true}]},"age":"unknown","score":2,"vip":false,"home":{"city":null}}"#,
            #"{"identityMap":{"Email":[{"id":"c","primary":true}]},"age":41,"home":"nowhere","note":null}"#,
        ]
        var schemas: [[ProfileField]] = []
        for backend in StoreUnderTest.Backend.allCases {
            let subject = try await StoreUnderTest.make(backend)
            defer { Task { await subject.cleanUp() } }
            _ = try await subject.importLines(lines)
            schemas.append(try await subject.store.profileSchema())
        }
        #expect(schemas[0] == schemas[1])
        let age = try #require(schemas[1].first { $0.path == "age" })
        #expect(age.profiles == 3)
        #expect(age.types == [.make(type: "integer", profiles: 2), .make(type: "text", profiles: 1)])
        #expect(schemas[1].first { $0.path == "home" }?.types.map(\.type) == ["object", "text"])
        #expect(schemas[1].first { $0.path == "extra" }?.kind == "object")
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func activationsKeepTheirDayAndTrigger(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let destination = StoreConformanceTests().makeDestination("d", subject.secretBox)
        try await store.insertDestination(destination)
        var monthly = StoreConformanceTests().makeActivation("monthly", destination: destination.id, segment: "s")
        monthly.frequency = .monthly
        monthly.day = 31
        try await store.insertActivation(monthly)
        var afterEvaluation = StoreConformanceTests().makeActivation("after", destination: destination.id, segment: "t")
        afterEvaluation.frequency = .once
        afterEvaluation.trigger = .afterEvaluation
        try await store.insertActivation(afterEvaluation)
        #expect(try await store.activations() == [afterEvaluation, monthly])

        monthly.frequency = .weekly
        monthly.day = 2
        try await store.updateActivation(monthly)
        #expect(try await store.activation(named: "monthly") == monthly)
    }

    /// Each evaluation of a segment finishes after the one before, in the
    /// commit that changes its members: an after-evaluation activation owes
    /// one run per finish time and would skip an evaluation that seemed older.
    @Test func evaluationsOfASegmentFinishInOrder() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        _ = try await subject.importLines(StoreConformanceTests.profiles)
        let segment = try await store.createSegment(
            name: "gold", pql: #"loyalty.tier = "gold""#, description: nil, id: nil, now: Self.now)
        _ = try await store.evaluate(segmentIds: ["gold"], now: Self.now)
        let first = try #require(try await store.latestEvaluation(segmentId: segment.id)?.finishedAt)
        // A second evaluation whose clock says an hour earlier still finishes later.
        let second = try await store.evaluate(segmentIds: ["gold"], now: Self.now.addingTimeInterval(-3600))
        let latest = try #require(try await store.latestEvaluation(segmentId: segment.id))
        #expect(latest.id == second[0].evaluationId)
        #expect(try #require(latest.finishedAt) > first)
    }

    /// A transaction retried after its commit's reply was lost runs again
    /// with the same request id; it must find its own write, not add one.
    @Test func retriedBeginsAndClaimsAreIdempotent() async throws {
        let database = try await TestDatabase.make()
        let workspace = try await database.open()
        defer {
            Task {
                await workspace.close()
                await database.drop()
            }
        }
        let box = workspace.secretBox
        let destination = StoreConformanceTests().makeDestination("d", box)
        try await workspace.insertDestination(destination)
        let activation = StoreConformanceTests().makeActivation("a", destination: destination.id, segment: "s")
        try await workspace.insertActivation(activation)
        func begin(_ request: String) async throws -> RunRecord {
            try await workspace.beginRun(
                activationId: activation.id, segmentId: "s", destinationId: destination.id, scheduledTime: Self.now,
                mode: .full, now: Self.now, lease: nil, request: request)
        }
        let first = try await begin("r1")
        #expect(try await begin("r1") == first)
        #expect(first.attempts == 1)
        let second = try await begin("r2")
        #expect(second.id == first.id)
        #expect(second.attempts == 2)
        #expect(try await begin("r2").attempts == 2)

        #expect(try await workspace.claimOnce("alert|a", now: Self.now, request: "c1"))
        #expect(try await workspace.claimOnce("alert|a", now: Self.now, request: "c1"))
        #expect(try await !workspace.claimOnce("alert|a", now: Self.now, request: "c2"))
    }
}
