import Foundation
import Segmentation
import Testing

@testable import Workspace

/// The line scanner either reads a record exactly as the tree parse does, or
/// leaves it to the tree parse: for every line, both readings are compared.
@Suite struct ProfileLineScannerTests {
    static let common =
        #"{"identityMap":{"Email":[{"id":"noah.kim0@example.com","primary":true}],"CRMID":[{"id":"C-0"}]},"person":{"name":{"firstName":"Noah","lastName":"Kim"},"birthYear":1975,"favoriteColors":["blue","black"]},"loyalty":{"points":3070,"tier":"silver"}}"#

    /// Lines the scanner reads itself.
    static let scanned = [
        common,
        // Whitespace between tokens, no primary flag, an integer id.
        #"{ "identityMap" : { "CRMID" : [ { "id" : 42 } ] } , "loyalty" : { "points" : -7 } }"#,
        // Nulls, exact numbers, booleans, an empty object at a column, unicode and dotted keys.
        #"{"identityMap":{"Email":[{"id":"Zoë@Example.com","primary":true}]},"n":null,"x":1.50,"big":1e400,"huge":12345678901234567890,"zero":-0,"r":2.5,"flag":true,"off":false,"e":{},"a.b":"dot","ключ":"значение","arr":[1,null,{"k":[true]}]}"#,
        // A path that is text here and a number elsewhere.
        #"{"identityMap":{"Email":[{"id":"c@example.com"}]},"loyalty":{"points":"many","tier":null}}"#,
        // The primary flagged in a later namespace; an id in two namespaces, an
        // empty id, an empty namespace, an email to fold; arrays of plain strings.
        #"{"identityMap":{"Phone":[{"id":"e1"}],"ECID":[{"id":"e1"},{"id":""}],"Email":[{"id":"Ann@X.io","primary":false},{"id":"b@x.io","primary":true}],"CRMID":[]},"tags":["a","b","ü"],"none":[]}"#,
        // No primary flag: the first id of the first namespace by name.
        #"{"identityMap":{"Phone":[{"id":"+1 555"}],"ECID":[{"id":"x"},{"id":"y","primary":false}]},"tags":[]}"#,
        // Entries with other fields, arrays of other values: the slow readings.
        #"{"identityMap":{"Email":[{"authenticatedState":"ambiguous","id":"q@x.io","primary":true}]},"tags":["a",1]}"#,
        #"{"identityMap":{"Email":[{"primary":true,"id":"r@x.io"}]},"tags":[ "a" ]}"#,
    ]

    /// Lines left to the tree parse, which may still take them (or reject them).
    static let declined = [
        // An escape in a value, in a key.
        #"{"identityMap":{"Email":[{"id":"d@example.com"}]},"person":{"name":{"firstName":"A\"B"}}}"#,
        #"{"identityMap":{"Email":[{"id":"d@example.com"}]},"p\u0065rson":{"birthYear":1}}"#,
        // A path without a column yet.
        #"{"identityMap":{"Email":[{"id":"e@example.com"}]},"unknown":1}"#,
        // A duplicate key, at the top and deeper.
        #"{"identityMap":{"Email":[{"id":"f@example.com"}]},"n":1,"n":2}"#,
        #"{"identityMap":{"Email":[{"id":"f@example.com"},{"id":"g","id":"h"}]}}"#,
        // Broken JSON, trailing bytes, a bad number, a bad literal.
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":1} x"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"n":01}"#,
        #"{"identityMap":{"Email":[{"id":"g@example.com"}]},"flag":tru}"#,
        // An object where the column holds values; the merge policy's timestamp.
        #"{"identityMap":{"Email":[{"id":"h@example.com"}]},"x":{"y":1}}"#,
        #"{"identityMap":{"Email":[{"id":"i@example.com"}]},"extSourceSystemAudit":{"lastUpdatedDate":"2026-01-01T00:00:00Z"}}"#,
        // No identity; not an object; a raw control character in a string.
        #"{"person":{"birthYear":1}}"#,
        #"{"identityMap":{"Email":[{"id":""}]}}"#,
        #"{"identityMap":{"Email":[{"id":"s@x.io"}],"Email":[{"id":"t@x.io"}]}}"#,
        #"[1,2]"#,
        "{\"identityMap\":{\"Email\":[{\"id\":\"j@example.com\"}]},\"r\":\"a\u{01}b\"}",
    ]

    /// Columns for every path of the scanned lines, plus `x.y` (so `x` is a
    /// column whose path is also an object's).
    static func trie() throws -> ColumnTrie {
        var paths: [[String]] = []
        for line in scanned {
            for path in ProfileColumns.leafPaths(of: try JSONValue.parse(line)) where !paths.contains(path) {
                paths.append(path)
            }
        }
        paths += [["x", "y"], ["extSourceSystemAudit", "lastUpdatedDate"]]
        var trie = ColumnTrie()
        for (slot, path) in paths.enumerated() { trie.insert(path, slot: slot) }
        trie.count = paths.count
        return trie
    }

    static func readings(_ line: String, trie: ColumnTrie) -> (scanned: ParsedProfile?, tree: ParsedLine) {
        var parser = ProfileLineParser(format: .jsonl, namespace: nil, identityField: nil)
        parser.columns = trie
        parser.scansCommonRecords = false
        let bytes = Array(line.utf8)
        let tree = bytes.withUnsafeBytes { parser.parse($0) }
        let scanned = bytes.withUnsafeBytes { ProfileLineScanner.profile(of: $0, trie: trie) }
        return (scanned, tree)
    }

    /// A profile's cells as comparable text, in slot order.
    static func cells(_ profile: ParsedProfile) -> [String] {
        profile.cells.cells.map { cell in
            let value: String
            switch cell.kind {
            case .text, .array, .object:
                value = String(decoding: profile.cells.text[cell.textRange], as: UTF8.self)
            case .integer: value = String(cell.integer)
            case .real, .bigInteger: value = String(cell.real)
            default: value = ""
            }
            return "\(cell.slot) \(cell.kind) \(value)"
        }.sorted()
    }

    /// What differs between the two readings of one line; empty when none does.
    static func differences(_ fast: ParsedProfile, _ slow: ParsedProfile) -> [String] {
        var out: [String] = []
        if fast.namespace != slow.namespace || fast.identity != slow.identity { out.append("primary identity") }
        if fast.document != slow.document { out.append("document") }
        if fast.needsCompaction != slow.needsCompaction { out.append("needsCompaction") }
        if fast.containsNull != slow.containsNull { out.append("containsNull") }
        if fast.hasExactNumber != slow.hasExactNumber { out.append("hasExactNumber") }
        if fast.identities != slow.identities { out.append("identities") }
        if fast.timestamp != slow.timestamp { out.append("timestamp") }
        if !slow.cells.unresolved.isEmpty || fast.cells.known != slow.cells.known { out.append("columns") }
        if cells(fast) != cells(slow) { out.append("cells") }
        return out
    }

    @Test func scannedLinesComeOutAsTheTreeParseReadsThem() throws {
        let trie = try Self.trie()
        for line in Self.scanned {
            let (scanned, tree) = Self.readings(line, trie: trie)
            let fast = try #require(scanned, "the scanner declined \(line)")
            guard case .profile(let slow) = tree else {
                Issue.record("the tree parse did not take \(line)")
                continue
            }
            #expect(Self.differences(fast, slow) == [], "\(line)")
        }
        let ordered = try #require(Self.readings(Self.scanned[4], trie: trie).scanned)
        #expect(ordered.namespace == "Email" && ordered.identity == "b@x.io")
        #expect(ordered.identities.map(\.description) == ["Email:b@x.io", "ECID:e1", "Email:ann@x.io", "Phone:e1"])
    }

    /// Byte edits that JSON cares about, at random places of every line: what
    /// the scanner takes, it reads as the tree parse does.
    @Test func mutatedLinesAreReadAsTheTreeParseReadsThemOrLeftToIt() throws {
        let trie = try Self.trie()
        // "i" and "d" too: edits of the identityMap's `"id":`.
        var edits = ByteEdits(seed: 9, alphabet: ByteEdits.alphabet + Array("id".utf8))
        var differing: [String] = []
        var taken = 0
        for line in Self.scanned + Self.declined {
            for _ in 0..<300 {
                let bytes = edits.edited(line)
                let text = String(decoding: bytes, as: UTF8.self)
                guard Array(text.utf8) == bytes else { continue }
                let (scanned, tree) = Self.readings(text, trie: trie)
                guard let fast = scanned else { continue }
                taken += 1
                guard case .profile(let slow) = tree, Self.differences(fast, slow).isEmpty else {
                    differing.append(text)
                    continue
                }
            }
        }
        #expect(taken > 100)
        #expect(differing.isEmpty, "\(differing.prefix(5).joined(separator: "\n"))")
    }

    @Test func unusualLinesAreLeftToTheTreeParse() throws {
        let trie = try Self.trie()
        for line in Self.declined {
            #expect(Self.readings(line, trie: trie).scanned == nil, "\(line)")
        }
        // Without columns there is nothing to resolve against: every line takes the tree parse.
        let bytes = Array(Self.common.utf8)
        #expect(bytes.withUnsafeBytes { ProfileLineScanner.profile(of: $0, trie: ColumnTrie()) } == nil)
    }
}
