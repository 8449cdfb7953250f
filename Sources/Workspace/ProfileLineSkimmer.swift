import Foundation
import Segmentation

/// Reads what a store that keeps the document as its text needs of a JSON
/// Lines record (its identities and the merge policy's timestamp) and checks
/// the rest is valid JSON, without building the tree of the whole record:
/// for PostgreSQL, the tree was 40% of an import's own CPU, only to be thrown away.
///
/// Like `ProfileLineScanner`, it takes only the common record: strings without
/// escapes, nesting up to `maximumDepth`, objects of up to `maximumKeys` keys.
/// Anything else (an escape, an error, a duplicate key, no identity) returns
/// nil, and the line goes through `JSONValue.parse`, which reports errors. A
/// compact identityMap is read as the scanner reads it (`QuickIdentityMap`);
/// any other, and `extSourceSystemAudit`, are parsed into trees and go through
/// the functions the tree parse's record goes through. So a record either
/// comes out exactly as the tree parse makes it, or not at all.
struct ProfileLineSkimmer: ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    private var depth = 0
    /// The keys of the objects being read, innermost last: a duplicate is
    /// found by comparing bytes, with no hashing or allocation per key.
    private var keys: [Range<Int>] = []
    private var identityMap: Range<Int>?
    /// The identityMap read quickly, when it is compact and its entries hold
    /// only a text `id` and a `primary` flag; else it is parsed as a tree.
    private var quickMap: QuickIdentityMap?
    private var audit: Range<Int>?

    private static let maximumDepth = 64
    /// Keys of one object compared pairwise before leaving the record to the tree parse.
    private static let maximumKeys = 128

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        keys.reserveCapacity(32)
    }

    /// The profile of `line`, or nil when the tree parse must read it.
    static func profile(of line: UnsafeRawBufferPointer) -> ParsedProfile? {
        var skimmer = ProfileLineSkimmer(line)
        skimmer.skipWhitespace()
        guard skimmer.peek() == UInt8(ascii: "{"), skimmer.skipObject(top: true) else { return nil }
        skimmer.skipWhitespace()
        guard skimmer.index == line.count, let mapRange = skimmer.identityMap else { return nil }
        var timestamp: Double?
        if let auditRange = skimmer.audit {
            guard let audit = skimmer.parse(auditRange) else { return nil }
            timestamp = IdentityMergePolicy.timestamp(of: .object(["extSourceSystemAudit": audit]))
        }
        guard
            let (namespace, id, identities) = QuickIdentityMap.identities(
                quick: skimmer.quickMap, parsed: { skimmer.parse(mapRange) }, in: line)
        else { return nil }
        return ParsedProfile(
            namespace: namespace, identity: id, document: Array(line), needsCompaction: false, containsNull: false,
            identities: identities, timestamp: timestamp)
    }

    /// `{"NS":[{"id":"…","primary":true},…],…}`, compact; false (at some later
    /// place) to read it the slow way.
    private mutating func skimIdentityMapQuickly() -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        var map = QuickIdentityMap()
        let first = keys.count
        defer { keys.removeSubrange(first...) }
        repeat {
            guard let key = skipString(), keys.count - first < Self.maximumKeys, take(UInt8(ascii: ":")),
                take(UInt8(ascii: "["))
            else { return false }
            for earlier in keys[first...] where same(earlier, key) { return false }
            keys.append(key)
            let start = map.entries.count
            guard takeCompactIdentityEntries(into: &map.entries, id: { cursor in cursor.skipString() }) else {
                return false
            }
            map.namespaces.append(
                (
                    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key]), as: UTF8.self),
                    start..<map.entries.count
                ))
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return false }
        quickMap = map
        return true
    }

    private func parse(_ range: Range<Int>) -> JSONValue? {
        try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: bytes[range]), rejectingDuplicateKeys: true)
    }

    /// An object, from its `{`; false to give the line up.
    private mutating func skipObject(top: Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        let first = keys.count
        defer { keys.removeSubrange(first...) }
        while true {
            skipWhitespace()
            guard let key = skipString(), keys.count - first < Self.maximumKeys else { return false }
            for earlier in keys[first...] where same(earlier, key) { return false }
            keys.append(key)
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            let start = index
            if top, named(key, "identityMap") {
                if !skimIdentityMapQuickly() {
                    index = start
                    quickMap = nil
                    guard skipValue() else { return false }
                }
                identityMap = start..<index
            } else {
                guard skipValue() else { return false }
                if top, named(key, "extSourceSystemAudit") { audit = start..<index }
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

    private mutating func skipArray() -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return true }
        while true {
            skipWhitespace()
            guard skipValue() else { return false }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return true
            default: return false
            }
        }
    }

    private mutating func skipValue() -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "{"): return skipObject(top: false)
        case UInt8(ascii: "["): return skipArray()
        case UInt8(ascii: "\""): return skipString() != nil
        case UInt8(ascii: "t"): return take("true")
        case UInt8(ascii: "f"): return take("false")
        case UInt8(ascii: "n"): return take("null")
        default: return skipNumber()
        }
    }

    /// An RFC 8259 number, as `JSONParser` reads one.
    private mutating func skipNumber() -> Bool {
        _ = take(UInt8(ascii: "-"))
        guard let lead = peek(), isDigit(lead) else { return false }
        index += 1
        if lead == UInt8(ascii: "0") {
            if let next = peek(), isDigit(next) { return false }
        } else {
            skipDigits()
        }
        if take(UInt8(ascii: ".")) {
            guard let next = peek(), isDigit(next) else { return false }
            skipDigits()
        }
        if let next = peek(), next | 0x20 == UInt8(ascii: "e") {
            index += 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard let digit = peek(), isDigit(digit) else { return false }
            skipDigits()
        }
        return true
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The range of a string's bytes, from its opening quote; nil for an escape
    /// (left to the tree parse), a control character or invalid UTF-8.
    private mutating func skipString() -> Range<Int>? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var cursor = start
        var isASCII = true
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\"") {
                if !isASCII,
                    String(
                        validating: UnsafeRawBufferPointer(rebasing: bytes[start..<cursor]).assumingMemoryBound(
                            to: UInt8.self), as: UTF8.self) == nil
                {
                    return nil
                }
                index = cursor + 1
                return start..<cursor
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { isASCII = false }
            cursor += 1
        }
        return nil
    }

    private func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        a.count == b.count && memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, a.count) == 0
    }

    private func named(_ key: Range<Int>, _ name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount
            && memcmp(bytes.baseAddress! + key.lowerBound, name.utf8Start, key.count) == 0
    }

}
