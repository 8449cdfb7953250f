import Foundation
import GRDB
import Segmentation
import Testing

@testable import Workspace

@Suite struct MemberBitmapTests {
    @Test func storedFormRoundTripsDenseSparseAndEmptySets() throws {
        var sparse = MemberBitmap()
        for pid: Int64 in [1, 63, 64, 65, 10_000, 1_000_000, 1_000_001] { sparse.insert(pid) }
        var dense = MemberBitmap()
        for pid: Int64 in stride(from: 1, to: 20_000, by: 3) { dense.insert(pid) }
        for bitmap in [sparse, dense, MemberBitmap()] {
            #expect(try MemberBitmap(data: bitmap.data) == bitmap)
        }
        // A few members of a large workspace cost their words, not the workspace's size.
        #expect(sparse.data.count < 100)
        #expect(sparse.count == 7)
        #expect(sparse.members(after: 0, limit: 10) == [1, 63, 64, 65, 10_000, 1_000_000, 1_000_001])
        #expect(sparse.members(after: 65, limit: 2) == [10_000, 1_000_000])
        #expect(sparse.member(after: 1_000_001) == nil)
    }

    @Test func setOperationsMatchSwiftSets() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let a = Set((0..<200).map { _ in Int64.random(in: 0..<2_000, using: &generator) })
            let b = Set((0..<200).map { _ in Int64.random(in: 0..<3_000, using: &generator) })
            var x = MemberBitmap()
            var y = MemberBitmap()
            a.forEach { x.insert($0) }
            b.forEach { y.insert($0) }
            func members(_ bitmap: MemberBitmap) -> Set<Int64> { Set(bitmap.members(after: -1, limit: .max)) }
            #expect(members(x.union(y)) == a.union(b))
            #expect(members(x.intersection(y)) == a.intersection(b))
            #expect(members(x.subtracting(y)) == a.subtracting(b))
            #expect(members(x.symmetricDifference(y)) == a.symmetricDifference(b))
            #expect(x.subtracting(y).count == a.subtracting(b).count)
        }
    }

    @Test func aDamagedStoredSetIsAnErrorNotACrash() {
        var bitmap = MemberBitmap()
        bitmap.insert(5)
        let data = bitmap.data
        #expect(throws: WorkspaceError.self) { try MemberBitmap(data: data.dropLast(3)) }
        #expect(throws: WorkspaceError.self) { try MemberBitmap(data: Data([9])) }
        #expect(throws: WorkspaceError.self) { try MemberBitmap(data: Data([1, 0, 0, 0, 0, 255, 255, 255, 255])) }
    }
}

@Suite struct MemberSetUpgradeTests {
    /// A workspace whose memberships are rows, as the release before member sets
    /// wrote them, opens with the same members, statuses, times and changes.
    @Test func membershipRowsBecomeMemberSetsWithNothingLost() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-members-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(Workspace.databaseFileName).path
        let migrations = WorkspaceSchema.migrator.migrations
        let previous = try #require(migrations.firstIndex(of: "2026-12-01 member sets")).advanced(by: -1)
        let t0 = 1_700_000_000.0
        let t1 = t0 + 86_400
        do {
            let old = try DatabaseQueue(path: path)
            try WorkspaceSchema.migrator.migrate(old, upTo: migrations[previous])
            try await old.write { db in
                for (pid, name) in [(1, "stays"), (2, "joined"), (3, "left"), (4, "never")] {
                    try db.execute(
                        sql: """
                            INSERT INTO profile (pid, namespace, identity, doc, updatedAt)
                            VALUES (?, 'Email', ?, json(?), 0)
                            """,
                        arguments: [pid, name, #"{"identityMap":{"Email":[{"id":"\#(name)"}]},"n":\#(pid)}"#])
                }
                try db.execute(
                    sql: """
                        INSERT INTO segment (sid, id, name, pql, createdAt) VALUES (7, 'seg', 'seg', 'n > 0', 0);
                        INSERT INTO evaluation (id, sid, startedAt, realized, existing, exited)
                            VALUES (10, 7, \(t0), 2, 0, 0), (11, 7, \(t1), 1, 1, 1);
                        INSERT INTO membership VALUES
                            (7, 1, 'realized', \(t0), \(t0), 10),
                            (7, 2, 'realized', \(t1), \(t1), 11),
                            (7, 3, 'exited', \(t0), \(t1), 11);
                        """)
            }
            try old.close()
        }
        let workspace = try Workspace(directory: directory, environment: [:])
        var entries: [String: MemberEntry] = [:]
        try workspace.forEachMember(ofSegment: "seg") { entries[$0.identity] = $0 }
        #expect(entries.keys.sorted() == ["joined", "left", "stays"])
        #expect(entries["stays"]?.status == .realized)
        #expect(entries["stays"]?.changedInEvaluation == 10)
        #expect(entries["stays"]?.lastQualificationTime == Date(timeIntervalSince1970: t0))
        #expect(entries["joined"]?.changedInEvaluation == 11)
        #expect(entries["joined"]?.lastQualificationTime == Date(timeIntervalSince1970: t1))
        #expect(entries["left"]?.status == .exited)
        #expect(entries["left"]?.changedInEvaluation == 11)
        #expect(entries["left"]?.lastQualificationTime == Date(timeIntervalSince1970: t0))

        // A full export reads the realized members; an incremental one after
        // evaluation 10 reads what changed in 11, the exit too when asked.
        func exported(_ selection: MemberSelection) async throws -> [Int64] {
            let reader = try await workspace.exportRowReader(
                segmentSid: 7, fields: [.identity(namespace: "Email")], selection: selection)
            return try await reader.page(afterPid: 0, limit: 100).pids
        }
        #expect(try await exported(.realized) == [1, 2])
        #expect(try await exported(.changedSince(evaluationId: 10, includingExited: true)) == [2, 3])
        #expect(try await exported(.changedSince(evaluationId: 10, includingExited: false)) == [2])

        // The next evaluation carries on from the converted sets.
        let next = try #require(
            try await workspace.evaluate(now: Date(timeIntervalSince1970: t1 + 86_400)).first)
        #expect((next.realized, next.existing, next.exited) == (2, 2, 0))
    }
}

@Suite struct IncrementalEvaluationTests {
    static func line(_ id: Int, points: Int) -> String {
        #"{"identityMap":{"Email":[{"id":"p\#(id)@x.io"}]},"loyalty":{"points":\#(points)},"tag":"t\#(id % 7)"}"#
    }

    static func members(_ workspace: Workspace, _ segment: String) throws -> [String: MembershipRecord.Status] {
        var result: [String: MembershipRecord.Status] = [:]
        try workspace.forEachMember(ofSegment: segment) { result[$0.identity] = $0.status }
        return result
    }

    /// After a re-import of a few profiles, an evaluation reads only those and
    /// ends with exactly the members a full evaluation finds.
    @Test func aReevaluationReadsOnlyChangedProfilesAndAgreesWithAFullOne() async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        let t0 = SegmentFixtures.now
        _ = try await temp.importText(
            "1.jsonl", (0..<500).map { Self.line($0, points: $0 * 2) }.joined(separator: "\n"))
        _ = try await ws.createSegment(name: "big", pql: "loyalty.points >= 500")
        let first = try #require(try await ws.evaluate(now: t0).first)
        #expect(first.changedProfiles == nil)
        #expect(first.realized == 250)

        // 3 leave, 2 join, 1 new profile joins, 1 new one does not.
        let changes = [
            Self.line(400, points: 1), Self.line(401, points: 2), Self.line(402, points: 3),
            Self.line(10, points: 900), Self.line(11, points: 901), Self.line(600, points: 1000),
            Self.line(601, points: 0),
        ]
        _ = try await temp.importText("2.jsonl", changes.joined(separator: "\n"))
        let second = try #require(try await ws.evaluate(now: t0 + 86_400).first)
        #expect(second.changedProfiles == changes.count)
        #expect((second.realized, second.existing, second.exited) == (3, 247, 3))

        _ = try await ws.createSegment(name: "same", pql: "loyalty.points >= 500")
        let fresh = try #require(try await ws.evaluate(segmentIds: ["same"], now: t0 + 86_400).first)
        #expect(fresh.changedProfiles == nil)
        let incremental = try Self.members(ws, "big").filter { $0.value == .realized }
        #expect(incremental == (try Self.members(ws, "same")))

        // Nothing changed: nothing is read.
        let third = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + 2 * 86_400).first)
        #expect(third.changedProfiles == 0)
        #expect((third.realized, third.existing, third.exited) == (0, 250, 0))

        // A change that moves no one keeps the stored set, and still moves its version on.
        _ = try await temp.importText("3.jsonl", Self.line(10, points: 950))
        let fourth = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + 3 * 86_400).first)
        #expect(fourth.changedProfiles == 1)
        #expect((fourth.realized, fourth.existing, fourth.exited) == (0, 250, 0))
        let fifth = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + 4 * 86_400).first)
        #expect(fifth.changedProfiles == 0)
        // The next change after it is recorded against the kept set.
        _ = try await temp.importText("4.jsonl", Self.line(10, points: 1))
        let sixth = try #require(try await ws.evaluate(segmentIds: ["big"], now: t0 + 5 * 86_400).first)
        #expect((sixth.realized, sixth.existing, sixth.exited) == (0, 249, 1))
        _ = try await ws.evaluate(segmentIds: ["same"], now: t0 + 5 * 86_400)
        #expect(
            try Self.members(ws, "big").filter { $0.value == .realized }
                == (try Self.members(ws, "same")).filter { $0.value == .realized })
        #expect(try Self.members(ws, "big")["p10@x.io"] == .exited)
    }

    /// Segments SQL can't express, and member sets another evaluation
    /// replaced, are evaluated over every profile.
    @Test func swiftEvaluatedAndReplacedSetsGetAFullScan() async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        _ = try await temp.importText("1.jsonl", (0..<50).map { Self.line($0, points: $0) }.joined(separator: "\n"))
        let regex = try await ws.createSegment(name: "regex", pql: #"tag.matches("^t[12]$")"#)
        let plain = try await ws.createSegment(name: "plain", pql: "loyalty.points >= 25")
        _ = try await ws.evaluate(now: SegmentFixtures.now)
        _ = try await temp.importText("2.jsonl", Self.line(3, points: 99))
        try await ws.dbPool.write { db in
            try db.execute(sql: "UPDATE segmentMembers SET profileVersion = NULL WHERE sid = ?", arguments: [plain.sid])
        }
        let summaries = try await ws.evaluate(now: SegmentFixtures.now + 60)
        #expect(summaries.map(\.segmentName) == ["plain", "regex"])
        #expect(summaries[0].changedProfiles == nil)
        // Only a form SQL can't express reads every profile.
        let regexInSQL = PQL.swiftOnlyParts(try PQL.parse(regex.pql)).isEmpty
        #expect(summaries[1].changedProfiles == (regexInSQL ? 1 : nil))
        #expect(summaries[0].realized == 1 && summaries[0].existing == 25)
    }
}

@Suite struct SegmentOfSegmentsTests {
    @Test func inSegmentReadsTheNamedSegmentsNewMembersInTheSameEvaluation() async throws {
        let temp = try TemporaryWorkspace()
        let ws = temp.workspace
        _ = try await temp.importText(
            "1.jsonl",
            (0..<70).map { IncrementalEvaluationTests.line($0, points: $0 * 10) }.joined(separator: "\n"))
        // Created before the segment it names exists? No: references must resolve.
        await #expect(throws: WorkspaceError.self) {
            try await ws.createSegment(name: "early", pql: #"inSegment("big")"#)
        }
        let big = try await ws.createSegment(name: "big", pql: "loyalty.points >= 500")
        _ = try await ws.createSegment(name: "big-t1", pql: #"inSegment("big") and tag = "t1""#)
        _ = try await ws.createSegment(name: "big-t1-regex", pql: #"inSegment("\#(big.id)") and tag.matches("^t1$")"#)
        _ = try await ws.createSegment(name: "not-big", pql: #"not inSegment("big")"#)
        let summaries = try await ws.evaluate(now: SegmentFixtures.now)
        let realized = Dictionary(uniqueKeysWithValues: summaries.map { ($0.segmentName, $0.realized) })
        let expectedBigT1 = (50..<70).filter { $0 % 7 == 1 }.count
        #expect(realized["big"] == 20)
        #expect(realized["big-t1"] == expectedBigT1)
        #expect(realized["big-t1-regex"] == expectedBigT1)
        #expect(realized["not-big"] == 50)

        // A segment another one names can't go, and a cycle can't form.
        await #expect(throws: WorkspaceError.self) { try await ws.deleteSegment("big") }
        await #expect(throws: WorkspaceError.self) {
            try await ws.createSegment(name: "self", pql: #"inSegment("self")"#)
        }
    }
}

@Suite struct EvaluationFailureTests {
    /// Ten profiles with 0 to 9 points, and a segment of the five with 5 or more.
    static func tenProfilesAndAFineSegment() async throws -> TemporaryWorkspace {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText(
            "1.jsonl", (0..<10).map { IncrementalEvaluationTests.line($0, points: $0) }.joined(separator: "\n"))
        _ = try await temp.workspace.createSegment(name: "fine", pql: "loyalty.points >= 5")
        return temp
    }

    /// A segment whose SQL SQLite refuses fails alone, in a short sentence;
    /// the segments beside it in the same scan are still evaluated.
    @Test func aSegmentThatCannotBeEvaluatedFailsAlone() async throws {
        let temp = try await Self.tenProfilesAndAFineSegment()
        let ws = temp.workspace
        _ = try await ws.createSegment(name: "broken", pql: "zzz = 1")
        // A catalog entry whose column is missing: the compiled SQL names it.
        try await ws.dbPool.write { db in
            try db.execute(sql: #"INSERT INTO profileField (col, path, kinds) VALUES (99, '["zzz"]', 'integer')"#)
        }
        let summaries = try await ws.evaluate(now: SegmentFixtures.now)
        let byName = Dictionary(uniqueKeysWithValues: summaries.map { ($0.segmentName, $0) })
        #expect(byName["fine"]?.failure == nil)
        #expect(byName["fine"]?.realized == 5)
        let failure = try #require(byName["broken"]?.failure)
        #expect(failure.count < 200 && !failure.contains("SELECT"), "\(failure)")
        #expect(try await ws.latestEvaluation(segmentId: "broken") == nil)
        // The failure stays on the segment for `segments list`/`show` until an evaluation succeeds.
        let broken = try await ws.segment(named: "broken")
        #expect(broken.lastFailure == failure)
        #expect(broken.lastFailedAt == SegmentFixtures.now)
        #expect(try await ws.segment(named: "fine").lastFailure == nil)
        try await ws.dbPool.write { db in try db.execute(sql: "DELETE FROM profileField WHERE col = 99") }
        let again = try await ws.evaluate(segmentIds: ["broken"], now: SegmentFixtures.now)
        #expect(again.first?.failure == nil)
        #expect(try await ws.segment(named: "broken").lastFailure == nil)
        #expect(try await ws.segment(named: "broken").lastFailedAt == nil)
    }

    /// A definition stored before the parser refused it fails alone too, instead of
    /// stopping every segment's evaluation.
    @Test func aDefinitionThatNoLongerParsesFailsAlone() async throws {
        let temp = try await Self.tenProfilesAndAFineSegment()
        let ws = temp.workspace
        _ = try await ws.createSegment(name: "old", pql: "loyalty.points >= 1")
        try await ws.dbPool.write { db in
            try db.execute(sql: "UPDATE segment SET pql = 'loyalty.points >= ' WHERE name = 'old'")
        }
        let summaries = try await ws.evaluate(now: SegmentFixtures.now)
        let byName = Dictionary(uniqueKeysWithValues: summaries.map { ($0.segmentName, $0) })
        #expect(byName["fine"]?.realized == 5)
        let failure = try #require(byName["old"]?.failure)
        #expect(failure.hasPrefix("its PQL no longer parses"), "\(failure)")
        #expect(try await ws.segment(named: "old").lastFailure == failure)
    }
}
