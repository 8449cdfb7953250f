import Foundation
import Segmentation
import Workspace

/// A small fixed data set whose segment answers are checked by hand.
enum SegmentFixtures {
    /// 2026-11-25T00:00:00Z: `now` and `today` in every evaluation of these tests.
    static let now = Date(timeIntervalSince1970: 1_795_564_800)

    static let profiles = [
        #"{"identityMap":{"Email":[{"id":"ann","primary":true}]},"person":{"name":{"firstName":"Ann","lastName":"Lee"},"birthYear":1985,"birthDate":"1985-06-15","favoriteColors":["red","blue"]},"homeAddress":{"countryCode":"KR","city":"Seoul"},"loyalty":{"points":1200,"tier":"gold"},"personalEmail":{"address":"ann.lee@example.com"},"vip":true}"#,
        #"{"identityMap":{"Email":[{"id":"joe","primary":true}]},"person":{"name":{"firstName":"Joe","lastName":"Smith"},"birthYear":1990,"birthDate":"1990-02-01","favoriteColors":["green"]},"homeAddress":{"countryCode":"US","city":"Austin"},"loyalty":{"points":300,"tier":"silver"},"personalEmail":{"address":"JOE2010@gmail.com"},"vip":false}"#,
        #"{"identityMap":{"Email":[{"id":"min","primary":true}]},"person":{"name":{"firstName":"Min","lastName":"Kim"},"birthYear":1972,"birthDate":"1972-11-30","favoriteColors":[]},"homeAddress":{"countryCode":"CA","city":"Toronto"},"personalEmail":{"address":"min@example.org"}}"#,
        #"{"identityMap":{"Email":[{"id":"sara","primary":true}]},"person":{"name":{"firstName":"Sara","lastName":"Garcia"},"birthDate":"2016-03-03","favoriteColors":["red","green","blue"]},"homeAddress":{"countryCode":"CA","city":"Montreal"},"loyalty":{"points":5000,"tier":"gold"},"vip":true}"#,
        #"{"identityMap":{"CRMID":[{"id":"c5"}]},"person":{"name":{"firstName":"Joey"}},"homeAddress":{"countryCode":null},"loyalty":{"points":20000.5,"tier":"platinum"}}"#,
    ]

    static func workspace() async throws -> TemporaryWorkspace {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText("fixtures.jsonl", profiles.joined(separator: "\n"))
        return temp
    }

    /// Realized members' ids (namespace dropped: the ids are unique here).
    static func members(_ workspace: Workspace, _ segment: String) throws -> Set<String> {
        var ids: Set<String> = []
        try workspace.forEachMember(ofSegment: segment, status: .realized) { ids.insert($0.identity) }
        return ids
    }
}
