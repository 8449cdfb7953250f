import Foundation
import Segmentation
import Testing

@testable import Workspace

/// ExperienceEvents on the SQLite workspace: the documented event examples, with
/// the members each page describes on data made for them, evaluated in SQL by
/// the workspace and in Swift by the reference evaluator.
@Suite struct EventSegmentTests {
    /// 2026-06-15T12:00:00Z, a Monday.
    static let now = Date(timeIntervalSince1970: 1_781_524_800)

    static func at(_ offset: TimeInterval) -> String {
        ISO8601DateFormatter().string(from: now.addingTimeInterval(offset))
    }

    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    static let profiles: [(String, String)] = [
        ("alice", #""person":{"gender":"female"},"homeAddress":{"countryCode":"US"}"#),
        ("bob", #""person":{"gender":"male"},"homeAddress":{"countryCode":"US"}"#),
        ("carol", #""person":{"gender":"female"},"homeAddress":{"countryCode":"CA"},"workAddress":{"country":"us"}"#),
        ("dan", #""homeAddress":{"countryCode":"US"}"#),
    ]

    static func profileLines() -> String {
        profiles.map { id, rest in #"{"identityMap":{"email":[{"id":"\#(id)","primary":true}]},\#(rest)}"# }
            .joined(separator: "\n")
    }

    /// (event id, identity namespace, identity, offset from now, eventType, other fields)
    static let events: [(String, String, String, TimeInterval, String, String)] = [
        ("a1", "email", "alice", -2 * day - 2 * hour, "addToCart", ""),
        (
            "a2", "email", "alice", -2 * day, "commerce.purchases",
            #","commerce":{"item":{"price":60},"order":{"priceTotal":120,"currencyCode":"USD"}},"productListItems":[{"SKU":"PS"}]"#
        ),
        ("a3", "email", "alice", -2 * hour, "homePageView", ""),
        ("a4", "email", "alice", -3 * hour, "homePageView", ""),
        ("a5", "email", "alice", -4 * hour, "homePageView", ""),
        ("a6", "email", "alice", -5 * hour, "homePageView", ""),
        ("a7", "email", "alice", -6 * hour, "homePageView", ""),
        ("a8", "email", "alice", -1 * hour, "checkoutPageView", ""),
        ("b1", "email", "bob", -3 * day, "addToCart", #","productListItems":[{"name":"iPhone 15 pro"}]"#),
        ("b2", "email", "bob", -10 * day, "homePageView", ""),
        (
            "b3", "email", "bob", -1 * day, "commerce.purchases",
            #","commerce":{"order":{"priceTotal":30,"currencyCode":"EUR"}}"#
        ),
        // Past the 30 days of retention: pruned, and never seen.
        ("b4", "email", "bob", -60 * day, "commerce.purchases", #","commerce":{"order":{"priceTotal":900}}"#),
        (
            "c1", "email", "carol", -1 * hour, "commerce.purchases",
            #","commerce":{"order":{"priceTotal":50,"currencyCode":"USD"}},"productListItems":[{"SKU":"XX"}]"#
        ),
        ("c2", "email", "carol", -3 * hour, "directMarketing.emailClicked", ""),
        ("c3", "email", "carol", -2 * hour, "commerce.checkouts", ""),
        // No profile holds this identity: the import makes one.
        ("x1", "ECID", "c9", -1 * hour, "addToCart", ""),
    ]

    static func eventLines() -> String {
        events.map { id, namespace, identity, offset, type, rest in
            #"{"_id":"\#(id)","timestamp":"\#(at(offset))","eventType":"\#(type)","identityMap":{"\#(namespace)":[{"id":"\#(identity)"}]}\#(rest)}"#
        }.joined(separator: "\n")
    }

    /// The documented event examples, with the members the pages' descriptions give on this data.
    static let examples: [(page: String, pql: String, members: Set<String>)] = [
        ("pql/filter-functions.md", #"xEvent[productListItems[SKU="PS"]]"#, ["alice"]),
        (
            "pql/filter-functions.md", #"xEvent[productListItems[SKU="PS" or ^^.person.gender="female"]]"#,
            ["alice", "carol"]
        ),
        (
            "pql/logical-quantifiers.md",
            #"exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS""#,
            ["alice"]
        ),
        // Every event (none for dan) has a price over 50 and only "PS" items.
        (
            "pql/logical-quantifiers.md",
            #"forall E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS""#,
            ["dan"]
        ),
        (
            "pql/misc-functions.md",
            #"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)"#,
            ["alice"]
        ),
        (
            "ui/edge-segmentation.md", #"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])"#,
            ["alice", "bob", "c9"]
        ),
        (
            "ui/edge-segmentation.md",
            #"homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView")])"#,
            ["alice", "bob"]
        ),
        (
            "ui/edge-segmentation.md", #"not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView")]))"#,
            ["carol", "dan", "c9"]
        ),
        (
            "ui/edge-segmentation.md",
            #"chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 8 days before now)])"#, ["alice"]
        ),
        (
            "ui/edge-segmentation.md",
            #"homeAddress.countryCode = "US" and not(chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 8 days before now)]))"#,
            ["bob", "dan"]
        ),
        (
            "ui/edge-segmentation.md",
            #"chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )"#,
            ["alice"]
        ),
        (
            "ui/edge-segmentation.md",
            #"not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] ))"#,
            ["bob", "carol", "dan", "c9"]
        ),
        (
            "ui/edge-segmentation.md",
            #"chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 24 hours before now)]) and chain(xEvent, timestamp, [X: WHAT(eventType = "checkoutPageView") WHEN(< 24 hours before now)])"#,
            ["alice"]
        ),
        (
            "methods/streaming-segmentation.md",
            #"CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])"#,
            ["carol"]
        ),
        (
            "methods/streaming-segmentation.md",
            #"workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])"#,
            ["carol"]
        ),
        (
            "methods/streaming-segmentation.md",
            #"workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("directMarketing.emailClicked", false)) WHEN(today), C1: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])"#,
            ["carol"]
        ),
        (
            "methods/streaming-segmentation.md",
            #"CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])"#,
            ["carol"]
        ),
        (
            "ui/segment-builder (code view)",
            #"person.gender in ["male"] and CHAIN(xEvent, timestamp, [C0: WHAT(productListItems.exists(name.equals("iPhone 15 Pro", false)))])"#,
            ["bob"]
        ),
        // CHAIN of two events with and without a gap, and the negation "cart add without purchase".
        (
            "CHAIN with a gap",
            #"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart"), B: WHAT(eventType = "commerce.purchases") WHEN(<= 1 days after A)])"#,
            ["alice"]
        ),
        (
            "CHAIN without a gap",
            #"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart"), B: WHAT(eventType = "commerce.purchases")])"#,
            ["alice", "bob"]
        ),
        (
            "cart add without purchase",
            #"xEvent[eventType = "addToCart"] and not xEvent[eventType = "commerce.purchases"]"#, ["c9"]
        ),
        // Aggregation functions over events.
        (
            "pql/aggregation-functions.md",
            #"xEvent[eventType = "commerce.purchases" and timestamp occurs <= 7 days before now].sum(commerce.order.priceTotal) > 100"#,
            ["alice"]
        ),
        (
            "pql/aggregation-functions.md",
            #"xEvent[eventType = "commerce.purchases"].max(commerce.order.priceTotal) >= 50"#, ["alice", "carol"]
        ),
        (
            "pql/aggregation-functions.md",
            #"xEvent[eventType = "commerce.purchases"].min(commerce.order.priceTotal) < 100"#,
            ["bob", "carol"]
        ),
        (
            "pql/aggregation-functions.md",
            #"xEvent[eventType = "commerce.purchases"].average(commerce.order.priceTotal) = 120"#, ["alice"]
        ),
        ("pql/aggregation-functions.md", #"xEvent.count() >= 5"#, ["alice"]),
        (
            "count in a window",
            #"xEvent[eventType = "homePageView" and timestamp occurs < 8 days before now].count() >= 1"#, ["alice"]
        ),
        ("count equal to zero", #"xEvent[eventType = "homePageView"].count() = 0"#, ["carol", "dan", "c9"]),
        (
            "select ... from xEvent", #"(select X from xEvent where X.eventType = "addToCart").count() >= 1"#,
            ["alice", "bob", "c9"]
        ),
        // Time windows.
        ("this month", #"xEvent[timestamp occurs this month].count() > 0"#, ["alice", "bob", "carol", "c9"]),
        ("today", #"xEvent[timestamp occurs today]"#, ["alice", "carol", "c9"]),
        (
            "occurs between", #"xEvent[timestamp occurs between date(2026, 6, 12) and date(2026, 6, 13)]"#,
            ["alice", "bob"]
        ),
        ("retention hides old events", #"xEvent[timestamp occurs before date(2026, 5, 1)]"#, []),
        // `_id` and `timestamp` as values: the workspace stores these documents
        // without them (EventDocumentLead) and gives them back from its columns.
        ("an event's _id", #"xEvent[_id = "b3"]"#, ["bob"]),
        (
            "an event's timestamp as text",
            #"exists E from xEvent where E.timestamp = "\#(at(-2 * hour))" and E.eventType = "commerce.checkouts""#,
            ["carol"]
        ),
        // An event condition that reads a profile attribute, and one through a bound name.
        (
            "profile attribute in an event condition", #"xEvent[eventType = "addToCart" and ^.person.gender = "male"]"#,
            ["bob"]
        ),
        (
            "profile attribute beside a bound event",
            #"exists E from xEvent where E.eventType = "homePageView" and homeAddress.countryCode = "US""#,
            ["alice", "bob"]
        ),
    ]

    /// The workspace with the profiles and events imported.
    static func workspace() async throws -> TemporaryWorkspace {
        let temporary = try TemporaryWorkspace()
        _ = try await temporary.importText("profiles.jsonl", profileLines())
        let path = try temporary.file("events.jsonl", eventLines())
        var rejections: [ImportRejection] = []
        let summary = try await temporary.workspace.importEvents([.file(path)], maxErrors: 10) {
            rejections.append($0)
        }
        #expect(rejections.isEmpty, "\(rejections)")
        #expect(summary.inserted == events.count && summary.profilesCreated == 1)
        return temporary
    }

    static func members(_ workspace: Workspace, _ segment: String) throws -> Set<String> {
        var found: Set<String> = []
        try workspace.forEachMember(ofSegment: segment, status: .realized) { found.insert($0.identity) }
        return found
    }

    /// What the Swift evaluator says, on the same data read back as documents.
    static func swiftMembers(_ expression: PQLExpression) throws -> Set<String> {
        let retainedSince = now.timeIntervalSince1970 - 30 * day
        var identities = profiles.map { $0.0 }
        identities.append("c9")
        var found: Set<String> = []
        for identity in identities {
            let profile =
                try profiles.first { $0.0 == identity }.map {
                    try JSONValue.parse(#"{"identityMap":{"email":[{"id":"\#($0.0)"}]},\#($0.1)}"#)
                } ?? JSONValue.object([:])
            let mine = try events.filter {
                $0.2 == identity && now.timeIntervalSince1970 + $0.3 >= retainedSince
            }.sorted { $0.3 < $1.3 }.map { id, namespace, identity, offset, type, rest in
                try JSONValue.parse(
                    #"{"_id":"\#(id)","timestamp":"\#(at(offset))","eventType":"\#(type)","identityMap":{"\#(namespace)":[{"id":"\#(identity)"}]}\#(rest)}"#
                )
            }
            if PQL.evaluate(expression, on: profile, events: mine, now: now) { found.insert(identity) }
        }
        return found
    }

    @Test func documentedEventExamplesSelectTheirMembersInSQLAndInSwift() async throws {
        let temporary = try await Self.workspace()
        let workspace = temporary.workspace
        for (index, example) in Self.examples.enumerated() {
            _ = try await workspace.createSegment(name: "e\(index)", pql: example.pql)
        }
        let summaries = try await workspace.evaluate(now: Self.now)
        for (index, example) in Self.examples.enumerated() {
            let expression = try PQL.parse(example.pql)
            let sql = try Self.members(workspace, "e\(index)")
            #expect(sql == example.members, "\(example.page): \(example.pql) (workspace)")
            #expect(try Self.swiftMembers(expression) == example.members, "\(example.page): \(example.pql) (Swift)")
        }
        // Nested lists of an event and case-insensitive tests are the forms left to Swift.
        let usedSQL = Dictionary(uniqueKeysWithValues: summaries.map { ($0.segmentName, $0.usedSQL) })
        let inSwift = Self.examples.indices.filter { usedSQL["e\($0)"] != true }.map { Self.examples[$0].pql }
        #expect(
            inSwift.allSatisfy { $0.contains("productListItems") || $0.contains(", false)") },
            "\(inSwift.joined(separator: " | "))")
        #expect(try await workspace.eventCount() == Self.events.count - 1, "the event past retention is pruned")
    }

    @Test func importingAgainChangesNothingAndBadLinesAreReportedByLine() async throws {
        let temporary = try await Self.workspace()
        let workspace = temporary.workspace
        let profiles = try await workspace.profileCount()
        let lines = [
            Self.eventLines().split(separator: "\n")[0], "not json", #"{"timestamp":"2026-06-01T00:00:00Z"}"#,
            #"{"_id":"n1","timestamp":"yesterday","identityMap":{"email":[{"id":"alice"}]}}"#,
            #"{"_id":"n2","timestamp":"2026-06-01","identityMap":{"email":[{"id":"alice"}]}}"#,
            #"{"_id":"n3","timestamp":"2026-06-01T00:00:00Z","eventType":7,"identityMap":{"email":[{"id":"alice"}]}}"#,
            #"{"_id":"n4","timestamp":"2026-06-01T00:00:00Z","identityMap":{}}"#,
            #"{"_id":"n5","timestamp":"2026-06-01T00:00:00Z","identityMap":{"email":[{"id":"alice"}]}}"#,
        ].joined(separator: "\n")
        let path = try temporary.file("again.jsonl", Self.eventLines() + "\n" + lines)
        var rejections: [ImportRejection] = []
        let summary = try await workspace.importEvents([.file(path)], maxErrors: 100) { rejections.append($0) }
        #expect(summary.inserted == 1 && summary.duplicates == Self.events.count + 1 && summary.profilesCreated == 0)
        let base = Self.events.count
        #expect(rejections.map(\.line) == [base + 2, base + 3, base + 4, base + 5, base + 6, base + 7])
        #expect(rejections[0].reason.hasPrefix("broken JSON"))
        #expect(rejections[1].reason.hasPrefix("no _id"))
        #expect(rejections[3].reason.contains("not an ISO 8601 date-time"))
        #expect(rejections[4].reason == "eventType must be text")
        #expect(rejections[5].reason.hasPrefix("no identity"))
        #expect(try await workspace.profileCount() == profiles)
    }

    @Test func membersEnterWithNewEventsAndExitWhenTheirEventsAgeOut() async throws {
        let temporary = try await Self.workspace()
        let workspace = temporary.workspace
        let recent = #"chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 8 days before now)])"#
        _ = try await workspace.createSegment(name: "recent", pql: recent)
        _ = try await workspace.evaluate(now: Self.now)
        #expect(try Self.members(workspace, "recent") == ["alice"])
        // A new event for bob: he enters at the next evaluation.
        let path = try temporary.file(
            "more.jsonl",
            #"{"_id":"b9","timestamp":"\#(Self.at(-1 * Self.hour))","eventType":"homePageView","identityMap":{"email":[{"id":"bob"}]}}"#
        )
        _ = try await workspace.importEvents([.file(path)], maxErrors: 0) { _ in }
        let second = try #require(try await workspace.evaluate(now: Self.now).first)
        #expect(second.realized == 1 && second.changedProfiles == nil, "event segments take the full scan")
        #expect(try Self.members(workspace, "recent") == ["alice", "bob"])
        // Nine days later their views are older than 8 days: both exit.
        let later = try #require(try await workspace.evaluate(now: Self.now.addingTimeInterval(9 * Self.day)).first)
        #expect(later.exited == 2 && later.existing == 0)
        var exited: Set<String> = []
        try workspace.forEachMember(ofSegment: "recent", status: .exited) { exited.insert($0.identity) }
        #expect(exited == ["alice", "bob"])
    }

    @Test func retentionIsAWorkspaceSettingAndPrunes() async throws {
        let temporary = try await Self.workspace()
        let workspace = temporary.workspace
        #expect(try await workspace.eventRetentionDays() == 30)
        try await workspace.setEventRetentionDays(2)
        #expect(try await workspace.eventRetentionDays() == 2)
        _ = try await workspace.createSegment(name: "carts", pql: #"xEvent[eventType = "addToCart"]"#)
        _ = try await workspace.evaluate(now: Self.now)
        // Bob's cart add was 3 days ago; alice's 2 days and 2 hours ago.
        #expect(try Self.members(workspace, "carts") == ["c9"])
        #expect(try await workspace.eventCount() == 12)
        await #expect(throws: WorkspaceError.self) { try await workspace.setEventRetentionDays(0) }
    }
}
