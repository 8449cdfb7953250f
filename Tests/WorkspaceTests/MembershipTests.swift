import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

@Suite struct MembershipTests {
    static func profile(_ id: String, points: Int) -> String {
        #"{"identityMap":{"Email":[{"id":"\#(id)"}]},"loyalty":{"points":\#(points)},"tag":"t"}"#
    }

    static func statuses(_ workspace: Workspace, _ segment: String) throws -> [String: MembershipRecord.Status] {
        var result: [String: MembershipRecord.Status] = [:]
        try workspace.forEachMember(ofSegment: segment) { result[$0.identity] = $0.status }
        return result
    }

    static let day: TimeInterval = 86_400

    @Test(arguments: [
        "loyalty.points >= 200",
        // `matches` calls back into Swift from SQL.
        #"loyalty.points >= 200 and tag.matches("^t")"#,
    ])
    func transitionsAcrossEvaluationsWithChangedData(pql: String) async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        let t0 = SegmentFixtures.now
        _ = try await temp.importText(
            "1.jsonl",
            [Self.profile("a", points: 100), Self.profile("b", points: 200), Self.profile("c", points: 300)].joined(
                separator: "\n"))
        let segment = try await ws.createSegment(name: "big", pql: pql)

        let first = try #require(try await ws.evaluate(now: t0).first)
        #expect((first.realized, first.existing, first.exited) == (2, 0, 0))
        #expect(try Self.statuses(ws, "big") == ["b": .realized, "c": .realized])

        _ = try await temp.importText(
            "2.jsonl", [Self.profile("a", points: 250), Self.profile("b", points: 50)].joined(separator: "\n"))
        let second = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + Self.day).first)
        #expect((second.realized, second.existing, second.exited) == (1, 1, 1))
        #expect(try Self.statuses(ws, "big") == ["a": .realized, "b": .exited, "c": .realized])

        // Members record when and in which evaluation their status changed.
        var byId: [String: MemberEntry] = [:]
        try ws.forEachMember(ofSegment: "big") { byId[$0.identity] = $0 }
        #expect(byId["c"]?.changedInEvaluation == first.evaluationId)
        #expect(byId["c"]?.lastQualificationTime == Date(timeIntervalSince1970: t0.timeIntervalSince1970))
        #expect(byId["a"]?.changedInEvaluation == second.evaluationId)
        #expect(byId["a"]?.lastQualificationTime == t0 + Self.day)
        #expect(byId["b"]?.changedInEvaluation == second.evaluationId)
        #expect(byId["b"]?.status == .exited)
        // An exited member keeps the time it had qualified.
        #expect(byId["b"]?.lastQualificationTime == t0)
        _ = segment

        // Nothing changed: everyone stays where they are.
        let third = try #require(try await ws.evaluate(segmentIds: [segment.id], now: t0 + 2 * Self.day).first)
        #expect((third.realized, third.existing, third.exited) == (0, 2, 0))

        // An exited member that qualifies again is realized again.
        _ = try await temp.importText("3.jsonl", Self.profile("b", points: 900))
        let fourth = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + 3 * Self.day).first)
        #expect((fourth.realized, fourth.existing, fourth.exited) == (1, 2, 0))
        #expect(try Self.statuses(ws, "big") == ["a": .realized, "b": .realized, "c": .realized])

        let latest = try #require(try await ws.latestEvaluation(segmentId: segment.id))
        #expect(latest.id == fourth.evaluationId)
        #expect((latest.realized, latest.existing, latest.exited) == (1, 2, 0))
        #expect(latest.usedSQL == fourth.usedSQL)
    }

    @Test func exitedMembershipsArePurgedAfterThirtyDays() async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        let t0 = SegmentFixtures.now
        _ = try await temp.importText(
            "1.jsonl", [Self.profile("a", points: 500), Self.profile("b", points: 500)].joined(separator: "\n"))
        _ = try await ws.createSegment(name: "big", pql: "loyalty.points >= 200")
        _ = try await ws.evaluate(now: t0)
        _ = try await temp.importText("2.jsonl", Self.profile("b", points: 1))
        let exit = try #require(try await ws.evaluate(now: t0 + Self.day).first)
        #expect(exit.exited == 1)

        let day30 = try #require(try await ws.evaluate(now: t0 + 30 * Self.day).first)
        #expect(day30.purged == 0)
        #expect(try Self.statuses(ws, "big") == ["a": .realized, "b": .exited])

        let day32 = try #require(try await ws.evaluate(now: t0 + 32 * Self.day).first)
        #expect(day32.purged == 1)
        #expect(try Self.statuses(ws, "big") == ["a": .realized])
        var exited: [MemberEntry] = []
        try ws.forEachMember(ofSegment: "big", status: .exited) { exited.append($0) }
        #expect(exited.isEmpty)
    }

    @Test func evaluatingAllSegmentsRecordsEachEvaluation() async throws {
        let temp = try await SegmentFixtures.workspace()
        let ws = temp.workspace
        _ = try await ws.createSegment(name: "ca", pql: #"homeAddress.countryCode = "CA""#)
        _ = try await ws.createSegment(name: "june", pql: "person.birthDate.getMonth() = 6")
        let summaries = try await ws.evaluate(now: SegmentFixtures.now)
        #expect(summaries.map(\.segmentName) == ["ca", "june"])
        #expect(summaries.map(\.realized) == [2, 1])
        // Each evaluation records which way it went.
        let june = try PQL.parse("person.birthDate.getMonth() = 6")
        #expect(summaries.map(\.usedSQL) == [true, PQL.swiftOnlyParts(june).isEmpty])
        let count = try await ws.dbPool.read { db in try EvaluationRecord.fetchCount(db) }
        #expect(count == 2)
    }
}
