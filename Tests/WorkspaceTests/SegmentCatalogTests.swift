import Foundation
import Segmentation
import Testing

@testable import Workspace

@Suite struct SegmentCatalogTests {
    @Test func createListShowAndDeleteByNameOrId() async throws {
        let temp = try await SegmentFixtures.workspace()
        let ws = temp.workspace
        let fixedId = "25768BE6-EBD5-45CC-8913-12FB3F348615"
        let luxury = try await ws.createSegment(
            name: "Luxury Audience", pql: "loyalty.points > 1000", description: "big spenders", id: fixedId)
        #expect(luxury.id == fixedId.lowercased())
        let other = try await ws.createSegment(name: "ca", pql: #"homeAddress.countryCode = "CA""#)
        #expect(UUID(uuidString: other.id) != nil)
        #expect(try await ws.segments().map(\.name) == ["Luxury Audience", "ca"])
        // Dates go through a REAL column, so they match to well under a millisecond, not bit for bit.
        for fetched in [try await ws.segment(named: "Luxury Audience"), try await ws.segment(named: fixedId)] {
            #expect(fetched.sid == luxury.sid && fetched.id == luxury.id && fetched.description == "big spenders")
            #expect(abs(fetched.createdAt.timeIntervalSince(luxury.createdAt)) < 0.001)
        }

        _ = try await ws.evaluate(now: SegmentFixtures.now)
        try await ws.deleteSegment(luxury.id)
        await #expect(throws: WorkspaceError.self) { try await ws.segment(named: "Luxury Audience") }
        // Its memberships and evaluations went with it.
        let leftovers = try await ws.dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM segmentMembers WHERE sid = ?", arguments: [luxury.sid])!
                + Int.fetchOne(db, sql: "SELECT count(*) FROM evaluation WHERE sid = ?", arguments: [luxury.sid])!
        }
        #expect(leftovers == 0)
    }

    @Test func duplicateNamesAndIdsAndBadIdsAreRefused() async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        let first = try await ws.createSegment(name: "a", pql: "x = 1")
        await #expect(throws: WorkspaceError(.segmentExists, "A segment named 'a' already exists.")) {
            try await ws.createSegment(name: "a", pql: "x = 2")
        }
        await #expect(throws: WorkspaceError.self) { try await ws.createSegment(name: "b", pql: "x = 2", id: first.id) }
        await #expect(throws: WorkspaceError.self) {
            try await ws.createSegment(name: "c", pql: "x = 2", id: "not-a-uuid")
        }
        await #expect(throws: WorkspaceError.self) { try await ws.createSegment(name: "  ", pql: "x = 2") }
        await #expect(throws: WorkspaceError.self) { try await ws.deleteSegment("nope") }
    }

    @Test func unparsablePQLIsRefusedWithPositionAndCaret() async throws {
        let temp = try TemporaryWorkspace()
        do {
            _ = try await temp.workspace.createSegment(name: "bad", pql: "homeAddress.countryCode = ")
            Issue.record("expected a PQLError")
        } catch let error as PQLError {
            #expect(error.line == 1)
            #expect(error.column == 27)
            let text = String(describing: error)
            #expect(text.contains("1:27"))
            #expect(text.contains("^"))
        }
        #expect(try await temp.workspace.segments().isEmpty)
    }

    @Test func stringAgainstANumericFieldIsATypeErrorWhenTheDataKnowsTheType() async throws {
        let temp = try await SegmentFixtures.workspace()
        await #expect(throws: PQLError.self) {
            try await temp.workspace.createSegment(name: "t", pql: #"person.birthYear = "1985""#)
        }
        // A field no profile has is not known, so nothing is refused.
        _ = try await temp.workspace.createSegment(name: "u", pql: #"person.unknownField = "x""#)
    }

    @Test func fieldKindsAreSampledFromStoredProfiles() async throws {
        let temp = try await SegmentFixtures.workspace()
        let kinds = try await temp.workspace.dbPool.read { db in try FieldKindSampler.sample(db) }
        #expect(kinds["person.birthYear"] == .number)
        #expect(kinds["loyalty.points"] == .number)
        #expect(kinds["homeAddress.countryCode"] == .string)
        #expect(kinds["person.favoriteColors"] == .array)
        #expect(kinds["loyalty"] == .object)
        #expect(kinds["vip"] == .bool)
    }

    @Test func schemaMigratesAndReopens() throws {
        let temp = try TemporaryWorkspace()
        let reopened = try Workspace(directory: temp.directory, environment: [:])
        let applied = try reopened.dbPool.read { db in try WorkspaceSchema.migrator.appliedIdentifiers(db) }
        // Every migration is applied; GRDB returns them as a set, in no order.
        #expect(Set(applied) == Set(WorkspaceSchema.migrator.migrations))
        let mode = try reopened.dbPool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
