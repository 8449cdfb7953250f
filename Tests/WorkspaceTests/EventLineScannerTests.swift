import Foundation
import Testing

@testable import Workspace

/// The events import's one-pass scanner must read a line as the tree parse
/// does, or leave it to the tree parse: every line here, and thousands of
/// mutations of them, give the same event or the same rejection either way.
@Suite struct EventLineScannerTests {
    static let common = [
        #"{"_id":"e0","timestamp":"2026-10-18T11:36:17.141Z","eventType":"web.webpagedetails.pageViews","identityMap":{"Email":[{"id":"u82886@example.com"}]},"web":{"webPageDetails":{"name":"p6"}}}"#,
        #"{"_id":"e3","timestamp":"2026-11-03T10:32:11.197Z","eventType":"commerce.productListAdds","identityMap":{"Email":[{"id":"u66085@example.com"}]},"productListItems":[{"SKU":"S369"}]}"#,
        #"{"_id":"e9","timestamp":"2026-11-03T10:32:11Z","eventType":"commerce.purchases","identityMap":{"Email":[{"id":"a@x.io"}]},"commerce":{"order":{"priceTotal":120.5,"currencyCode":"USD"}}}"#,
        #" { "_id" : "w1" , "timestamp" : "2026-06-01T00:00:00+02:00" , "identityMap" : { "ECID" : [ { "id" : "123" , "authenticatedState" : "ambiguous" } ] } } "#,
        #"{"identityMap":{"ECID":[{"id":"c1"},{"id":"c2","primary":true}],"Email":[{"id":"B@X.io","primary":true}],"CRM":[{"id":"k"}]},"_id":"m1","timestamp":"2026-06-01T00:00:00Z"}"#,
        #"{"_id":"n1","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a@x.io","primary":false}]},"x":[1,-0,0.5,-1.25e-3,1E+9,12345678901234567890,true,false,null,"s\n\"\\\/\b\f\r\t",[],{},[[{}]]]}"#,
    ]

    static let others = [
        #"{"_id":"d1","_id":"d2","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"d1","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a","id":"b"}]}}"#,
        #"{"_id":"d1","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"x":{"k":1,"k":2}}"#,
        #"{"_id":"d1","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"x":{"k":1},"y":{"k":2}}"#,
        #"{"_id":"\u0065","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"é","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"name":"Zoë"}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":7}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":""},{"id":"b"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":{"id":"a"},"ECID":[{"id":"b"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":["a",{"id":"b"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":[]}"#,
        #"{"_id":"x","timestamp":"2026-06-01","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":"yesterday","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":7,"identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","eventType":null,"identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","eventType":"a\tb","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"n":01}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"n":1.}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},"n":-}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]},}"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a"}]}} x"#,
        #"{"_id":"x","timestamp":"2026-06-01T00:00:00Z","identityMap":{"Email":[{"id":"a","primary":tru}]}}"#,
        #"[{"_id":"x"}]"#, "not json", "", "   ", "\u{FEFF}" + common[0], "{", "}", #"{"a"}"#, #"{"a":}"#,
    ]

    static func parsedBothWays(_ line: String) -> (EventLineParser.Parsed, EventLineParser.Parsed) {
        Array(line.utf8).withUnsafeBytes {
            (EventLineParser.read($0, scanning: true), EventLineParser.read($0, scanning: false))
        }
    }

    @Test func theCommonLinesAreScannedAsTheTreeReadsThem() throws {
        for line in Self.common {
            let scanned = Array(line.utf8).withUnsafeBytes { EventLineScanner.scan($0) }
            let event = try #require(scanned, "\(line)")
            #expect(EventLineParser.Parsed.event(event) == Self.parsedBothWays(line).1, "\(line)")
        }
        let ordered = Array(Self.common[4].utf8).withUnsafeBytes { EventLineScanner.scan($0) }
        #expect(
            ordered?.identities.map { "\($0.namespace):\($0.id)" } == ["ECID:c2", "Email:B@X.io", "CRM:k", "ECID:c1"])
    }

    @Test func everyLineAndMutationParsesAsTheTreeParses() {
        for line in Self.common + Self.others {
            let (parsed, tree) = Self.parsedBothWays(line)
            #expect(parsed == tree, "\(line)")
        }
        // Byte edits that JSON cares about, at random places of every line.
        var edits = ByteEdits(seed: 14)
        var differing: [String] = []
        for line in Self.common + Self.others where !line.isEmpty {
            for _ in 0..<400 {
                let bytes = edits.edited(line)
                let (parsed, tree) = bytes.withUnsafeBytes {
                    (EventLineParser.read($0, scanning: true), EventLineParser.read($0, scanning: false))
                }
                if parsed != tree { differing.append(String(decoding: bytes, as: UTF8.self)) }
            }
        }
        let shown = differing.prefix(5).joined(separator: "\n")
        #expect(differing.count == 0, "\(shown)")
    }
}
