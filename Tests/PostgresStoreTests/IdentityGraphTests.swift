import Foundation
import Segmentation
import Testing
import Workspace

/// The identity graph on both backends: records that share an identity make
/// one profile, merged by the timestamp-ordered policy.
@Suite struct IdentityGraphTests {
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    static func line(_ ids: [String: [String]], _ fields: String = "", primary: String? = nil) -> String {
        let map = ids.keys.sorted().map { namespace in
            let entries = ids[namespace]!.map { id in
                id == primary ? #"{"id":"\#(id)","primary":true}"# : #"{"id":"\#(id)"}"#
            }
            return #""\#(namespace)":[\#(entries.joined(separator: ","))]"#
        }
        return #"{"identityMap":{\#(map.joined(separator: ","))}\#(fields.isEmpty ? "" : ",")\#(fields)}"#
    }

    func document(_ store: any FerryStore, _ namespace: String, _ id: String) async throws -> JSONValue {
        let profile = try #require(try await store.profile(namespace: namespace, identity: id))
        return try JSONValue.parse(profile.doc)
    }

    func linked(_ store: any FerryStore, _ namespace: String, _ id: String) async throws -> [String] {
        let linked = try #require(try await store.linkedProfile(IdentityKey(namespace: namespace, id: id)))
        return linked.identities.map(\.key.description).sorted()
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func aChainOfLinksMakesOneProfile(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let (first, _) = try await subject.importLines([
            Self.line(["Email": ["ann@x.io"]], #""crm":{"tier":"gold"}"#),
            Self.line(["ECID": ["111"]], #""web":{"visits":3}"#),
            Self.line(["Phone": ["+1 555 0100"]], #""sms":{"optIn":true}"#),
        ])
        #expect(first.inserted == 3)
        #expect(try await store.profileCount() == 3)
        // Email-ECID, then ECID-Phone: a chain through the graph.
        let (second, _) = try await subject.importLines([
            Self.line(["Email": ["ann@x.io"], "ECID": ["111"]], primary: "111")
        ])
        #expect(second.merged == 1)
        let (third, _) = try await subject.importLines([
            Self.line(["ECID": ["111"], "Phone": ["+1 555 0100"]], #""sms":{"optIn":false}"#, primary: "+1 555 0100")
        ])
        #expect(third.merged == 1)
        #expect(try await store.profileCount() == 1)
        let expected = ["ECID:111", "Email:ann@x.io", "Phone:+1 555 0100"]
        for (namespace, id) in [("Email", "ann@x.io"), ("ECID", "111"), ("Phone", "+1 555 0100")] {
            #expect(try await linked(store, namespace, id) == expected)
            let merged = try await document(store, namespace, id)
            #expect(merged[path: ["crm", "tier"]] == .string("gold"))
            #expect(merged[path: ["web", "visits"]]?.doubleValue == 3)
            #expect(merged[path: ["sms", "optIn"]] == .bool(false))
            // The merged identityMap lists every linked id.
            let emails = merged[path: ["identityMap", "Email"]]
            #expect(emails == .array([.object(["id": .string("ann@x.io"), "primary": .bool(true)])]))
            #expect(merged[path: ["identityMap", "ECID"]] == .array([.object(["id": .string("111")])]))
        }
        // Importing a record of the chain again changes nothing but that record's own fields.
        let (again, _) = try await subject.importLines([Self.line(["ECID": ["111"]], #""web":{"visits":4}"#)])
        #expect(again.inserted == 0)
        #expect(again.updated == 1)
        #expect(try await store.profileCount() == 1)
        #expect(try await document(store, "Phone", "+1 555 0100")[path: ["web", "visits"]]?.doubleValue == 4)
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func aRecordLinkingTwoProfilesInOneBatchMergesThem(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let (summary, _) = try await subject.importLines([
            Self.line(["Email": ["a@x.io"]], #""a":1"#),
            Self.line(["CRMID": ["c1"]], #""c":1"#),
            Self.line(["Email": ["b@x.io"]], #""b":1"#),
            Self.line(["Email": ["a@x.io"], "CRMID": ["c1"]], #""link":true"#),
        ])
        // Counted as if imported one by one: three new profiles, then an
        // update (the record's primary identity is CRMID:c1) that absorbs one.
        #expect(summary.inserted == 3)
        #expect(summary.updated == 1)
        #expect(summary.merged == 1)
        #expect(try await store.profileCount() == 2)
        let merged = try await document(store, "CRMID", "c1")
        #expect(merged[path: ["a"]]?.doubleValue == 1)
        #expect(merged[path: ["c"]]?.doubleValue == 1)
        #expect(merged[path: ["link"]] == .bool(true))
        #expect(try await linked(store, "Email", "a@x.io") == ["CRMID:c1", "Email:a@x.io"])
        #expect(try await linked(store, "Email", "b@x.io") == ["Email:b@x.io"])
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func theLaterTimestampWinsEachAttributeAndArraysAreReplaced(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        func stamp(_ day: String) -> String { #""extSourceSystemAudit":{"lastUpdatedDate":"\#(day)T00:00:00Z"}"# }
        _ = try await subject.importLines([
            Self.line(
                ["Email": ["ann@x.io"]],
                #"\#(stamp("2026-03-01")),"person":{"name":"New","city":"Oslo"},"tags":["a","b"]"#)
        ])
        // Imported later, but written earlier: it loses wherever both have a value.
        _ = try await subject.importLines([
            Self.line(
                ["CRMID": ["c9"], "Email": ["ann@x.io"]],
                #"\#(stamp("2026-01-01")),"person":{"name":"Old","zip":"0150"},"tags":["z"]"#, primary: "c9")
        ])
        let merged = try await document(store, "CRMID", "c9")
        #expect(merged[path: ["person", "name"]] == .string("New"))
        #expect(merged[path: ["person", "city"]] == .string("Oslo"))
        #expect(merged[path: ["person", "zip"]] == .string("0150"))
        #expect(merged[path: ["tags"]] == .array([.string("a"), .string("b")]))
        // Equal timestamps: the later import wins; its array replaces the other's.
        _ = try await subject.importLines([
            Self.line(["ECID": ["e1"], "CRMID": ["c9"]], #"\#(stamp("2026-03-01")),"tags":["c"]"#, primary: "e1")
        ])
        let tied = try await document(store, "ECID", "e1")
        #expect(tied[path: ["tags"]] == .array([.string("c")]))
        #expect(tied[path: ["person", "name"]] == .string("New"))
        // Without a timestamp of its own, a record is as new as its import.
        _ = try await subject.importLines([Self.line(["ECID": ["e1"]], #""person":{"name":"Now"}"#)])
        #expect(try await document(store, "Email", "ann@x.io")[path: ["person", "name"]] == .string("Now"))
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func emailsCompareTrimmedAndLowercasedPhonesAsGiven(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        _ = try await subject.importLines([
            Self.line(["Email": ["Ann@Example.COM"]], #""a":1"#),
            Self.line(["Email": [" ann@example.com"]], #""b":2"#),
            Self.line(["Phone": ["+15550100"]], #""p":1"#),
            Self.line(["Phone": ["+1 555 0100"]], #""p":2"#),
        ])
        #expect(try await store.profileCount() == 3)
        let ann = try await document(store, "Email", "ANN@example.com ")
        #expect(ann[path: ["a"]]?.doubleValue == 1)
        #expect(ann[path: ["b"]]?.doubleValue == 2)
        #expect(try await linked(store, "Phone", "+15550100") == ["Phone:+15550100"])
        #expect(try await store.profile(namespace: "Phone", identity: "+1555 0100") == nil)
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func pastTheLimitTheOldestLinksAreDroppedAndCounted(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let options = ImportOptions(identityLimit: 3)
        _ = try await subject.importLines(
            [Self.line(["CRMID": ["c1"], "ECID": ["e1"]], primary: "c1")], options: options)
        _ = try await subject.importLines(
            [Self.line(["CRMID": ["c1"], "ECID": ["e2"]], primary: "c1")], options: options)
        #expect(try await linked(store, "CRMID", "c1") == ["CRMID:c1", "ECID:e1", "ECID:e2"])
        let (summary, _) = try await subject.importLines(
            [Self.line(["CRMID": ["c1"], "ECID": ["e3"]], primary: "c1")], options: options)
        #expect(summary.identitiesDropped == 1)
        // e1 was linked first, so it goes; the profile's own identity never does.
        #expect(try await linked(store, "CRMID", "c1") == ["CRMID:c1", "ECID:e2", "ECID:e3"])
        #expect(try await store.linkedProfile(IdentityKey(namespace: "ECID", id: "e1")) == nil)
        // A shared device id no longer merges everyone: e1 alone starts a new profile.
        _ = try await subject.importLines([Self.line(["ECID": ["e1"]], #""x":1"#)], options: options)
        #expect(try await store.profileCount() == 2)
        // A record with more ids than the limit keeps the limit's worth.
        let (wide, _) = try await subject.importLines(
            [Self.line(["Email": ["w@x.io"], "ECID": ["w1", "w2", "w3", "w4"]], primary: "w@x.io")], options: options)
        #expect(wide.identitiesDropped == 2)
        #expect(try await linked(store, "Email", "w@x.io").count == 3)
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func membershipsFollowAMerge(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        _ = try await subject.importLines([
            Self.line(["Email": ["keep@x.io"]], #""tier":"silver""#),
            Self.line(["ECID": ["gone"]], #""web":{"cart":true}"#),
            Self.line(["Email": ["other@x.io"]], #""tier":"silver""#),
        ])
        let carts = try await store.createSegment(
            name: "carts", pql: "web.cart = true", description: nil, id: nil, now: Self.now)
        _ = try await store.evaluate(segmentIds: [], now: Self.now)
        let before = try await store.memberPage(of: carts, status: .realized, afterPid: 0, limit: 10)
        #expect(before.map(\.identity) == ["gone"])
        _ = try await subject.importLines([Self.line(["Email": ["keep@x.io"], "ECID": ["gone"]], primary: "keep@x.io")])
        // The absorbed profile's membership is the kept profile's, before any evaluation.
        let moved = try await store.memberPage(of: carts, status: .realized, afterPid: 0, limit: 10)
        #expect(moved.map(\.identity) == ["keep@x.io"])
        #expect(moved.map(\.pid) == [before[0].pid - 1])
        // The kept profile still qualifies (it has web.cart) when evaluated again.
        let summary = try await store.evaluate(segmentIds: ["carts"], now: Self.now.addingTimeInterval(60))
        #expect(summary[0].exited == 0)
        #expect(
            try await store.memberPage(of: carts, status: .realized, afterPid: 0, limit: 10).map(\.identity) == [
                "keep@x.io"
            ])
        #expect(try await store.memberPage(of: carts, status: .exited, afterPid: 0, limit: 10).isEmpty)
    }

    @Test(arguments: StoreUnderTest.Backend.allCases)
    func eventsFollowAMerge(_ backend: StoreUnderTest.Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { Task { await subject.cleanUp() } }
        let store = subject.store
        let events = try #require(store as? any EventStore)
        _ = try await subject.importLines([
            Self.line(["Email": ["keep@x.io"]], #""tier":"gold""#),
            Self.line(["ECID": ["device"]]),
        ])
        let file = subject.folder.appendingPathComponent("events.jsonl")
        try
            #"{"_id":"ev1","timestamp":"2026-11-24T10:00:00Z","eventType":"commerce.purchases","identityMap":{"ECID":[{"id":"device"}]}}"#
            .write(to: file, atomically: false, encoding: .utf8)
        _ = try await events.importEvents([.file(file.path)], maxErrors: 0) { _ in }
        let buyers = try await store.createSegment(
            name: "buyers", pql: #"xEvent[eventType = "commerce.purchases"].count() > 0 and tier = "gold""#,
            description: nil, id: nil, now: Self.now)
        _ = try await store.evaluate(segmentIds: [], now: Self.now)
        // Before the merge, no one profile has both the purchase and the tier.
        #expect(try await store.memberPage(of: buyers, status: .realized, afterPid: 0, limit: 10).isEmpty)
        _ = try await subject.importLines([
            Self.line(["Email": ["keep@x.io"], "ECID": ["device"]], primary: "keep@x.io")
        ])
        _ = try await store.evaluate(segmentIds: [], now: Self.now.addingTimeInterval(60))
        let members = try await store.memberPage(of: buyers, status: .realized, afterPid: 0, limit: 10)
        #expect(members.map(\.identity) == ["keep@x.io"])
        #expect(try await events.eventCount() == 1)
    }
}
