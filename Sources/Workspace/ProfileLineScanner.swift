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
struct ProfileLineScanner: ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private let trie: ColumnTrie
    var index = 0
    private var depth = 0
    private var cells = ProfileCells()
    private var containsNull = false
    private var hasExactNumber = false
    private var identityMap: JSONValue?
    /// The identityMap as the quick reading found it.
    private var quickMap: QuickIdentityMap?

    /// Nesting the scanner follows before leaving a record to the tree parse.
    private static let maximumDepth = 64

    private init(_ bytes: UnsafeRawBufferPointer, trie: ColumnTrie) {
        self.bytes = bytes
        self.trie = trie
        cells.known = trie.count
        // Text cells are ranges of the line, which is also the stored document.
        cells.text = Array(bytes)
    }

    /// The profile of `line`, or nil when the tree parse must read it.
    static func profile(of line: UnsafeRawBufferPointer, trie: ColumnTrie) -> ParsedProfile? {
        var scanner = ProfileLineScanner(line, trie: trie)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{"), scanner.scanObject(node: ColumnTrie.root, top: true) else {
            return nil
        }
        scanner.skipWhitespace()
        guard scanner.index == line.count else { return nil }
        guard
            let (namespace, id, identities) = QuickIdentityMap.identities(
                quick: scanner.quickMap, parsed: { scanner.identityMap }, in: line)
        else { return nil }
        // The document shares the cells' buffer unless values were serialized after the line.
        let text = scanner.cells.text
        return ParsedProfile(
            namespace: namespace, identity: id,
            document: text.count == line.count ? text : Array(text[0..<line.count]),
            needsCompaction: ProfileLineParser.hasWhitespaceBetweenTokens(line), containsNull: scanner.containsNull,
            cells: scanner.cells, hasExactNumber: scanner.hasExactNumber, identities: identities, timestamp: nil)
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
        var seen: UInt64 = 0
        while true {
            skipWhitespace()
            guard let key = scanString(isKey: true), let child = trie.child(node, key), Self.mark(child, in: &seen)
            else { return false }
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

    /// Notes the trie node of a key met in one object; false when a key with
    /// the same bit was met before: a duplicate key, or (rarely, in a wide
    /// schema) another key sharing its bit, either way left to the tree parse.
    /// A bit per node instead of a list of them: no allocation per object.
    private static func mark(_ child: Int, in seen: inout UInt64) -> Bool {
        let bit: UInt64 = 1 << UInt64(child & 63)
        guard seen & bit == 0 else { return false }
        seen |= bit
        return true
    }

    private mutating func scanValue(node: Int) -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "{"): return scanObject(node: node, top: false)
        case UInt8(ascii: "["):
            let slot = trie.slot(node)
            guard slot >= 0 else { return false }
            // A compact array of plain strings is its own serialized form.
            let start = index
            if scanStringArray() {
                cells.appendSlice(slot: slot, kind: .array, start..<index)
                return true
            }
            index = start
            guard let value = parseWhole() else { return false }
            cells.append(slot: slot, value)
            return true
        case UInt8(ascii: "\""):
            let slot = trie.slot(node)
            guard slot >= 0, let text = scanString() else { return false }
            cells.appendSlice(slot: slot, kind: .text, offset(of: text)..<offset(of: text) + text.count)
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

    /// `identityMap`: read quickly when it is compact and its entries hold only
    /// a text `id` and a `primary` flag (their serialized form, as the
    /// columns keep arrays, is then the line's own bytes); otherwise parsed
    /// whole, since the primary identity and the identities come from it. Its
    /// values go to their columns either way.
    private mutating func scanIdentityMap(node: Int) -> Bool {
        let (start, cellCount) = (index, cells.cells.count)
        if scanIdentityMapQuickly(node: node) { return true }
        index = start
        cells.cells.removeSubrange(cellCount...)
        quickMap = nil
        guard peek() == UInt8(ascii: "{"), let map = parseWhole(), case .object(let members) = map, !members.isEmpty,
            trie.slot(node) < 0
        else { return false }
        var prefix = ["identityMap"]
        cells.walk(map, node: node, trie: trie, prefix: &prefix)
        guard cells.unresolved.isEmpty else { return false }
        identityMap = map
        return true
    }

    /// `{"NS":[{"id":"…","primary":true},…],…}`, compact, every namespace at a
    /// column; false to read it the slow way.
    private mutating func scanIdentityMapQuickly(node: Int) -> Bool {
        guard trie.slot(node) < 0, take(UInt8(ascii: "{")) else { return false }
        var map = QuickIdentityMap()
        var seen: UInt64 = 0
        repeat {
            guard let key = scanString(isKey: true), let child = trie.child(node, key), Self.mark(child, in: &seen),
                trie.slot(child) >= 0, take(UInt8(ascii: ":"))
            else { return false }
            let start = index
            guard take(UInt8(ascii: "[")) else { return false }
            let first = map.entries.count
            guard
                takeCompactIdentityEntries(
                    into: &map.entries,
                    id: { cursor in
                        cursor.scanString().map { id in cursor.offset(of: id)..<cursor.offset(of: id) + id.count }
                    })
            else { return false }
            cells.appendSlice(slot: trie.slot(child), kind: .array, start..<index)
            map.namespaces.append((String(decoding: key, as: UTF8.self), first..<map.entries.count))
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return false }
        quickMap = map
        return true
    }

    /// `["…",…]`, compact, strings without escapes; false (at some later
    /// place) for anything else.
    private mutating func scanStringArray() -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard scanString() != nil else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// Where `slice` (a part of the line) starts in it.
    private func offset(of slice: UnsafeRawBufferPointer) -> Int {
        slice.baseAddress.map { $0 - bytes.baseAddress! } ?? index
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

}
