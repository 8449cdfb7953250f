import Foundation
import Segmentation
import Testing

@testable import Workspace

/// The identity graph's pure parts: identity normalization, the
/// timestamp-ordered merge, and how a batch is planned.
@Suite struct IdentityMergePolicyTests {
    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func emailsAreTrimmedAndLowercasedOtherIdsKeptAsWritten() {
        #expect(
            IdentityKey(namespace: "Email", id: " Ann@Example.COM\t")
                == IdentityKey(namespace: "Email", id: "ann@example.com"))
        #expect(IdentityKey(namespace: "email", id: "A@B.io").id == "a@b.io")
        #expect(IdentityKey(namespace: "Phone", id: " +1 555").id == " +1 555")
        #expect(IdentityKey(namespace: "CRMID", id: "AbC").id == "AbC")
    }

    @Test func aRecordsIdentitiesArePrimaryFirstThenItsMapOnceEach() throws {
        let doc = try Self.json(
            #"{"identityMap":{"ECID":[{"id":"e1"},{"id":7},{"id":""},{"x":1}],"Email":[{"id":"A@x.io","primary":true},{"id":"a@x.io "}]}}"#
        )
        let keys = IdentityKey.all(of: doc, primary: IdentityKey(namespace: "Email", id: "A@x.io"))
        #expect(keys.map(\.description) == ["Email:a@x.io", "ECID:e1", "ECID:7"])
    }

    @Test func laterTimestampsWinPerAttributeArraysAreReplacedTiesGoToTheLaterImport() throws {
        let primary = IdentityKey(namespace: "Email", id: "a@x.io")
        let crm = ProfileFragment(
            key: primary, time: 200, sequence: 1,
            document: try Self.json(
                #"{"identityMap":{"Email":[{"id":"A@x.io","authenticatedState":"authenticated"}]},"p":{"name":"new","city":"Oslo"},"tags":[1,2]}"#
            ))
        let old = ProfileFragment(
            key: IdentityKey(namespace: "CRMID", id: "c1"), time: 100, sequence: 2,
            document: try Self.json(
                #"{"identityMap":{"CRMID":[{"id":"c1"}]},"p":{"name":"old","zip":"0150"},"tags":[3]}"#))
        let tie = ProfileFragment(
            key: IdentityKey(namespace: "ECID", id: "e1"), time: 200, sequence: 3,
            document: try Self.json(#"{"p":{"city":"Bergen"}}"#))
        let keys = [primary, IdentityKey(namespace: "CRMID", id: "c1"), IdentityKey(namespace: "ECID", id: "e1")]
        let merged = IdentityMergePolicy.merge([tie, crm, old], identities: keys, primary: primary)
        #expect(merged[path: ["p", "name"]] == .string("new"))
        #expect(merged[path: ["p", "zip"]] == .string("0150"))
        #expect(merged[path: ["p", "city"]] == .string("Bergen"))
        #expect(merged[path: ["tags"]] == .array([.int(1), .int(2)]))
        #expect(
            merged[path: ["identityMap", "Email"]]
                == .array([
                    .object([
                        "id": .string("A@x.io"), "authenticatedState": .string("authenticated"), "primary": .bool(true),
                    ])
                ]))
        #expect(merged[path: ["identityMap", "ECID"]] == .array([.object(["id": .string("e1")])]))
    }

    @Test func theSameRecordAgainUpdatesItsFragment() throws {
        var fragments: [ProfileFragment] = []
        let key = IdentityKey(namespace: "Email", id: "a@x.io")
        IdentityMergePolicy.upsert(
            ProfileFragment(key: key, time: 1, sequence: 1, document: try Self.json(#"{"a":1,"o":{"x":1}}"#)),
            into: &fragments)
        IdentityMergePolicy.upsert(
            ProfileFragment(key: key, time: 0, sequence: 2, document: try Self.json(#"{"o":{"y":2}}"#)),
            into: &fragments)
        #expect(fragments.count == 1)
        #expect(fragments[0].document == (try Self.json(#"{"a":1,"o":{"x":1,"y":2}}"#)))
        #expect(fragments[0].sequence == 2)
    }

    @Test func theRecordsOwnTimestampIsReadAsISO8601() throws {
        #expect(
            IdentityMergePolicy.timestamp(
                of: try Self.json(#"{"extSourceSystemAudit":{"lastUpdatedDate":"1970-01-02T00:00:00Z"}}"#)) == 86_400)
        #expect(
            IdentityMergePolicy.timestamp(
                of: try Self.json(#"{"extSourceSystemAudit":{"lastUpdatedDate":"yesterday"}}"#)) == nil)
        #expect(IdentityMergePolicy.timestamp(of: try Self.json(#"{}"#)) == nil)
    }

    @Test func aBatchSplitsIntoNewPeopleSameRecordUpdatesAndLinkingGroups() {
        func key(_ text: String) -> IdentityKey {
            let parts = text.split(separator: ":").map(String.init)
            return IdentityKey(namespace: parts[0], id: parts[1])
        }
        let identities = [
            [key("Email:new")],  // 0: nobody has it
            [key("Email:old")],  // 1: the same record as profile 5
            [key("Email:a"), key("ECID:x")],  // 2: links 6 and 7
            [key("Email:b")],  // 3 and 4 share an id in the batch
            [key("ECID:y"), key("Email:b")],
            [key("Email:many"), key("ECID:1"), key("ECID:2")],  // 5: more ids than the limit
        ]
        let holders = [key("Email:old"): Int64(5), key("Email:a"): 6, key("ECID:x"): 7]
        let plan = IdentityBatchPlan(
            identities: identities, holders: holders,
            ownRows: [1: (pid: 5, merged: false), 2: (pid: 6, merged: false)],
            limit: 2)
        #expect(plan.fresh == [0])
        #expect(plan.same == [1])
        #expect(
            plan.groups == [
                IdentityBatchPlan.Group(ordinals: [2], pids: [6, 7]),
                IdentityBatchPlan.Group(ordinals: [3, 4], pids: []),
                IdentityBatchPlan.Group(ordinals: [5], pids: []),
            ])
        let linking = IdentityBatchPlan.counts(
            of: [2], identities: identities, holders: holders, ownRows: [2: (pid: 6, merged: false)])
        #expect(linking == (inserted: 0, updated: 1, merged: 1))
        let pair = IdentityBatchPlan.counts(of: [3, 4], identities: identities, holders: holders, ownRows: [:])
        #expect(pair == (inserted: 1, updated: 1, merged: 0))
    }
}
