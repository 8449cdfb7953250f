import Foundation
import Segmentation

/// Reads a JSON Lines record straight into its typed cells, without building
/// the tree of the whole record: most of an import's parsing time was spent
/// hashing keys into dictionaries that were thrown away after the cells were taken.
///
/// It only takes the common record: every key at a path the columns already
/// know, strings without escapes, no object where a column expects a value.
/// Anything else (an unknown path, an escape, an error, a duplicate key, a
/// timestamp for the merge policy) returns nil, and the line goes through
/// `JSONValue.parse` as before, which reports errors and finds new paths. So
/// a record either comes out exactly as the tree parse makes it, or not at all.
struct ProfileLineScanner {
    private let bytes: UnsafeRawBufferPointer
    private let trie: ColumnTrie
    private var index = 0
    private var depth = 0
    private var cells = ProfileCells()
    private var containsNull = false
    private var hasExactNumber = false
    private var identityMap: JSONValue?

    /// Nesting the scanner follows before leaving a record to the tree parse.
    private static let maximumDepth = 64

    private init(_ bytes: UnsafeRawBufferPointer, trie: ColumnTrie) {
        self.bytes = bytes
        self.trie = trie
        cells.known = trie.count
    }

    /// The profile of `line`, or nil when the tree parse must read it.
    static func profile(of line: UnsafeRawBufferPointer, trie: ColumnTrie) -> ParsedProfile? {
        var scanner = ProfileLineScanner(line, trie: trie)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{"), scanner.scanObject(node: ColumnTrie.root, top: true) else {
            return nil
        }
        scanner.skipWhitespace()
        guard scanner.index == line.count, let map = scanner.identityMap else { return nil }
        let document = JSONValue.object(["identityMap": map])
        guard let (namespace, id) = PrimaryIdentity.fromIdentityMap(document) else { return nil }
        return ParsedProfile(
            namespace: namespace, identity: id, document: Array(line),
            needsCompaction: ProfileLineParser.hasWhitespaceBetweenTokens(line), containsNull: scanner.containsNull,
            cells: scanner.cells, hasExactNumber: scanner.hasExactNumber,
            identities: IdentityKey.all(of: document, primary: IdentityKey(namespace: namespace, id: id)),
            timestamp: nil)
    }

    /// An object at `node`, from its `{`; false to give the line up.
    private mutating func scanObject(node: Int, top: Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            // An empty object is a value of its own, as a leaf.
            let slot = trie.slot(node)
            guard !top, slot >= 0 else { return false }
            cells.append(slot: slot, .object([:]))
            return true
        }
        // A column whose path holds an object here: the tree parse writes it whole.
        guard top || trie.slot(node) < 0 else { return false }
        var seen: [Int] = []
        while true {
            skipWhitespace()
            guard let key = scanString(isKey: true), let child = trie.child(node, key), !seen.contains(child) else {
                return false
            }
            seen.append(child)
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            if top, key.elementsEqual("identityMap".utf8) {
                guard scanIdentityMap(node: child) else { return false }
            } else {
                // The merge policy's timestamp is read by the tree parse.
                if top, key.elementsEqual("extSourceSystemAudit".utf8) { return false }
                guard scanValue(node: child) else { return false }
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return true
            default: return false
            }
        }
    }

    private mutating func scanValue(node: Int) -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "{"): return scanObject(node: node, top: false)
        case UInt8(ascii: "["):
            guard trie.slot(node) >= 0, let value = parseWhole() else { return false }
            cells.append(slot: trie.slot(node), value)
            return true
        case UInt8(ascii: "\""):
            let slot = trie.slot(node)
            guard slot >= 0, let text = scanString() else { return false }
            cells.appendText(slot: slot, text)
            return true
        case UInt8(ascii: "t"): return scanWord("true", .bool(true), node: node)
        case UInt8(ascii: "f"): return scanWord("false", .bool(false), node: node)
        case UInt8(ascii: "n"):
            containsNull = true
            return scanWord("null", .null, node: node)
        default:
            let start = index
            while let digit = peek(), Self.isNumberByte(digit) { index += 1 }
            let slot = trie.slot(node)
            guard slot >= 0, index > start,
                let number = try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            else { return false }
            if case .number = number { hasExactNumber = true }
            cells.append(slot: slot, number)
            return true
        }
    }

    /// `identityMap`: parsed whole, since the primary identity and the
    /// identities come from it; its values still go to their columns.
    private mutating func scanIdentityMap(node: Int) -> Bool {
        guard peek() == UInt8(ascii: "{"), let map = parseWhole(), case .object(let members) = map, !members.isEmpty,
            trie.slot(node) < 0
        else { return false }
        var prefix = ["identityMap"]
        cells.walk(map, node: node, trie: trie, prefix: &prefix)
        guard cells.unresolved.isEmpty else { return false }
        identityMap = map
        return true
    }

    /// The value starting here, through the tree parse (duplicate keys
    /// refused as on the whole line); nil when it is not valid.
    private mutating func parseWhole() -> JSONValue? {
        let start = index
        guard skipValue(),
            let value = try? JSONValue.parse(
                UnsafeRawBufferPointer(rebasing: bytes[start..<index]), rejectingDuplicateKeys: true)
        else { return nil }
        containsNull = containsNull || ProfileLineParser.containsNull(value)
        hasExactNumber = hasExactNumber || ProfileColumns.hasExactNumber(value)
        return value
    }

    /// Moves past one array or object, strings included, without checking it.
    private mutating func skipValue() -> Bool {
        var open = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): open += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                open -= 1
                if open == 0 { return true }
            default: break
            }
        }
        return false
    }

    /// A string's bytes, from its opening quote; nil for an escape or a control
    /// character (left to the tree parse). A key is not checked for UTF-8: one
    /// that matches a column's is valid, as the column's is.
    private mutating func scanString(isKey: Bool = false) -> UnsafeRawBufferPointer? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var cursor = start
        var isASCII = true
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<cursor])
                if !isKey, !isASCII, String(validating: text.assumingMemoryBound(to: UInt8.self), as: UTF8.self) == nil
                {
                    return nil
                }
                index = cursor + 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { isASCII = false }
            cursor += 1
        }
        return nil
    }

    private mutating func scanWord(_ word: StaticString, _ value: JSONValue, node: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        let slot = trie.slot(node)
        guard slot >= 0, index + count <= bytes.count,
            memcmp(bytes.baseAddress! + index, word.utf8Start, count) == 0
        else { return false }
        index += count
        cells.append(slot: slot, value)
        return true
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
}
