import Foundation
import Segmentation
import Testing

@testable import Workspace

/// The skimmer (PostgreSQL's reading of a record) either reads a record
/// exactly as the tree parse does for a store that keeps only the document,
/// or leaves it to the tree parse: for every line, both readings are compared.
@Suite struct ProfileLineSkimmerTests {
    /// Lines the skimmer reads itself: the scanner's, plus what it would leave
    /// to the tree parse only for want of a column (unknown paths, objects
    /// where another record holds a value, the merge policy's timestamp).
    static let skimmed =
        ProfileLineScannerTests.scanned + [
            #"{"identityMap":{"Email":[{"id":"e@example.com"}]},"unknown":1}"#,
            #"{"identityMap":{"Email":[{"id":"h@example.com"}]},"x":{"y":1}}"#,
            #"{"identityMap":{"Email":[{"id":"i@example.com"}]},"extSourceSystemAudit":{"lastUpdatedDate":"2026-01-01T00:00:00Z"}}"#,
            #"{"extSourceSystemAudit":{"lastUpdatedDate":"2026-02-03T04:05:06.5+01:00","by":[1,{}]},"identityMap":{"CRMID":[{"id":7,"primary":true}]}}"#,
            #"{"extSourceSystemAudit":{"lastUpdatedDate":17},"identityMap":{"CRMID":[{"id":"7"}]},"n":[-0.5e-3,0,1E+2]}"#,
            // The same key in different objects; keys that differ only in length.
            #"{"identityMap":{"a":[{"id":"1"}]},"o":{"a":1,"ab":2,"b":{"a":1}},"p":{"a":[{"a":1}]}}"#,
        ]

    /// Lines left to the tree parse, which may still take them (or reject them).
    static let declined = [
        // An escape in a value, in a key, in the identityMap.
        #"{"identityMap":{"Email":[{"id":"d@example.com"}]},"person":{"name":{"firstName":"A\"B"}}}"#,
        #"{"identityMap":{"Email":[{"id":"d@example.com"}]},"p\u0065rson":{"birthYear":1}}"#,
        #"{"identity\u004dap":{"Email":[{"id":"d@example.com"}]}}"#,
        // A duplicate key, at the top, deeper, in the identityMap.
        #"{"identityMap":{"Email":[{"id":"f@example.com"}]},"n":1,"n":2}"#,
        #"{"identityMap":{"Email":[{"id":"f@example.com"}]},"o":{"a":{"b":1,"b":1}}}"#,
        #"{"identityMap":{"Email":[{"id":"f@example.com"},{"id":"g","id":"h"}]}}"#,
        #"{"identityMap":{"Email":[{"id":"f@example.com"}]},"identityMap":{"Email":[{"id":"x"}]}}"#,
        // Broken JSON, trailing bytes, bad numbers, a bad literal.
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1} x"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":01}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1.}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":-}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1e}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":+1}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":.5}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"flag":tru}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"a":[1,]}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"a":{"b":1,}}"#,
        // No identity; not an object; a raw control character in a string.
        #"{"person":{"birthYear":1}}"#,
        #"{"identityMap":{"Email":[{"id":""}]}}"#,
        #"{"identityMap":[]}"#,
        #"{"identityMap":{"Email":[{"id":"s@x.io"}],"Email":[{"id":"t@x.io"}]}}"#,
        #"[1,2]"#,
        "{\"identityMap\":{\"Email\":[{\"id\":\"j@example.com\"}]},\"r\":\"a\u{01}b\"}",
        // Nesting deeper than the skimmer follows.
        #"{"identityMap":{"Email":[{"id":"k@example.com"}]},"deep":"#
            + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}",
    ]

    static func readings(_ bytes: [UInt8]) -> (skimmed: ParsedProfile?, tree: ParsedLine) {
        var parser = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        parser.derivesStoreFacts = false
        parser.scansCommonRecords = false
        let tree = bytes.withUnsafeBytes { parser.parse($0) }
        let skimmed = bytes.withUnsafeBytes { ProfileLineSkimmer.profile(of: $0) }
        return (skimmed, tree)
    }

    static func differences(_ fast: ParsedProfile, _ slow: ParsedProfile) -> [String] {
        ProfileLineScannerTests.differences(fast, slow)
    }

    @Test func skimmedLinesComeOutAsTheTreeParseReadsThem() throws {
        for line in Self.skimmed {
            let (skimmed, tree) = Self.readings(Array(line.utf8))
            let fast = try #require(skimmed, "the skimmer declined \(line)")
            guard case .profile(let slow) = tree else {
                Issue.record("the tree parse did not take \(line)")
                continue
            }
            #expect(Self.differences(fast, slow) == [], "\(line)")
        }
        let ordered = try #require(Self.readings(Array(ProfileLineScannerTests.scanned[4].utf8)).skimmed)
        #expect(ordered.namespace == "Email" && ordered.identity == "b@x.io")
        #expect(ordered.identities.map(\.description) == ["Email:b@x.io", "ECID:e1", "Email:ann@x.io", "Phone:e1"])
        let stamped = try #require(Self.readings(Array(Self.skimmed[Self.skimmed.count - 3].utf8)).skimmed)
        #expect(stamped.timestamp != nil && stamped.identity == "7")
    }

    /// Byte edits that JSON cares about, at random places of every line, some
    /// of them breaking UTF-8: what the skimmer takes, it reads as the tree parse does.
    @Test func mutatedLinesAreReadAsTheTreeParseReadsThemOrLeftToIt() throws {
        var edits = ByteEdits(seed: 10, alphabet: ByteEdits.alphabet + Array("id".utf8) + [0x80, 0xFF, 0xED, 0xA0])
        var differing: [String] = []
        var taken = 0
        for line in Self.skimmed + Self.declined {
            for _ in 0..<400 {
                let bytes = edits.edited(line)
                let (skimmed, tree) = Self.readings(bytes)
                guard let fast = skimmed else { continue }
                taken += 1
                guard case .profile(let slow) = tree, Self.differences(fast, slow).isEmpty else {
                    differing.append(String(decoding: bytes, as: UTF8.self))
                    continue
                }
            }
        }
        #expect(taken > 1000)
        #expect(differing.isEmpty, "\(differing.prefix(5).joined(separator: "\n"))")
    }

    @Test func unusualLinesAreLeftToTheTreeParse() {
        for line in Self.declined {
            #expect(Self.readings(Array(line.utf8)).skimmed == nil, "\(line)")
        }
        // Invalid UTF-8 in a value and in a key.
        var value = Array(#"{"identityMap":{"Email":[{"id":"l@example.com"}]},"r":"a_b"}"#.utf8)
        value[value.count - 4] = 0xC3
        #expect(Self.readings(value).skimmed == nil)
        var key = Array(#"{"identityMap":{"Email":[{"id":"l@example.com"}]},"k_":1}"#.utf8)
        key[key.count - 6] = 0xFF
        #expect(Self.readings(key).skimmed == nil)
    }

    /// A parser set up for PostgreSQL (no store facts) takes the skimmer's
    /// reading; the SQLite workspace's parser never does.
    @Test func onlyAParserWithoutStoreFactsSkims() throws {
        let bytes = Array(ProfileLineScannerTests.common.utf8)
        var postgres = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        postgres.derivesStoreFacts = false
        guard case .profile(let skimmed) = bytes.withUnsafeBytes({ postgres.parse($0) }) else {
            Issue.record("not read")
            return
        }
        #expect(skimmed.identity == "noah.kim0@example.com")
        var sqlite = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        guard case .profile(let full) = bytes.withUnsafeBytes({ sqlite.parse($0) }) else {
            Issue.record("not read")
            return
        }
        #expect(!full.cells.cells.isEmpty || !full.cells.unresolved.isEmpty)
    }
}
