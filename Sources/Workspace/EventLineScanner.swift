import Segmentation

/// The common ExperienceEvent line read in one pass over its bytes, without
/// building a tree of it: at 10M events the tree parse cost as much CPU as
/// SQLite's inserts.
///
/// It answers only for a line it reads exactly as `EventLineParser`'s tree
/// parse does: a valid JSON object of ASCII text, with no duplicate key at any
/// level, no `\u` escape, no escape in a key or in the fields it takes, and an
/// identityMap of arrays of `{id, primary, ...}` entries with text ids. For
/// anything else, good or bad, it gives nil and the tree parse reads the line
/// (and rejects it when it is bad), so either way a line gives the same event.
enum EventLineScanner {
    /// Keys remembered at once across the nesting levels, to find duplicates.
    static let maxKeys = 64

    static func scan(_ line: UnsafeRawBufferPointer) -> ImportedEvent? {
        var cells = EventCells.Builder()
        return scan(line, cells: &cells)
    }

    /// `cells`: buffers kept from line to line by the caller's thread.
    static func scan(_ line: UnsafeRawBufferPointer, cells: inout EventCells.Builder) -> ImportedEvent? {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * maxKeys) { keys in
            withUnsafeMutablePointer(to: &cells) { cells in
                cells.pointee.reset()
                var scan = EventScan(bytes: line, keys: keys, cells: cells)
                return scan.event()
            }
        }
    }
}

private struct EventScan {
    let bytes: UnsafeRawBufferPointer
    /// (start, end) of the keys of the objects being read, outermost first.
    let keys: UnsafeMutableBufferPointer<Int>
    var keyCount = 0
    var index = 0
    var depth = 0
    var id: Range<Int>?
    var timestamp: Range<Int>?
    var eventType: Range<Int>?
    var identityMap = false
    var identities: [(namespace: Range<Int>, id: Range<Int>, primary: Bool)] = []
    /// The caller's, for the length of the scan.
    let cells: UnsafeMutablePointer<EventCells.Builder>

    init(
        bytes: UnsafeRawBufferPointer, keys: UnsafeMutableBufferPointer<Int>,
        cells: UnsafeMutablePointer<EventCells.Builder>
    ) {
        self.bytes = bytes
        self.keys = keys
        self.cells = cells
    }

    mutating func event() -> ImportedEvent? {
        skipSpace()
        guard peek == UInt8(ascii: "{"), topObject() else { return nil }
        skipSpace()
        guard index == bytes.count, let id, !id.isEmpty, let timestamp, identityMap, !identities.isEmpty,
            let seconds = PQL.instant(text(timestamp))
        else { return nil }
        return ImportedEvent(
            id: text(id), seconds: seconds, eventType: eventType.map(text), identities: orderedIdentities(),
            document: String(decoding: bytes, as: UTF8.self), cells: cells.pointee.finish())
    }

    /// As the tree parse orders them: the primary ones first, each group by
    /// namespace (ASCII, so byte order is String order), then array order.
    private func orderedIdentities() -> [EventIdentity] {
        // Most events carry one identity: no arrays to sort it in.
        if identities.count == 1 {
            return [EventIdentity(namespace: text(identities[0].namespace), id: text(identities[0].id))]
        }
        let sorted = identities.enumerated().sorted { a, b in
            let left = bytes[a.element.namespace]
            let right = bytes[b.element.namespace]
            if left.elementsEqual(right) { return a.offset < b.offset }
            return left.lexicographicallyPrecedes(right)
        }.map(\.element)
        let ordered = sorted.filter(\.primary) + sorted.filter { !$0.primary }
        return ordered.map { EventIdentity(namespace: text($0.namespace), id: text($0.id)) }
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private func equals(_ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        let expected = word.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The top level: takes `_id`, `timestamp`, `eventType` and `identityMap`; checks the rest.
    private mutating func topObject() -> Bool {
        members { scan, key in
            if scan.equals(key, "_id") {
                scan.id = scan.string(escapes: false)
                return scan.id != nil
            }
            if scan.equals(key, "timestamp") {
                scan.timestamp = scan.string(escapes: false)
                return scan.timestamp != nil
            }
            if scan.equals(key, "eventType") {
                scan.eventType = scan.string(escapes: false)
                return scan.eventType != nil
            }
            if scan.equals(key, "identityMap") {
                scan.identityMap = true
                return scan.peek == UInt8(ascii: "{") && scan.namespaces()
            }
            return scan.node(key)
        }
    }

    /// The value of member `key` of the current path, checked, with its cells
    /// (`EventCells`): a scalar's value, an object's members, an array's kind.
    private mutating func node(_ key: Range<Int>) -> Bool {
        let depth = cells.pointee.depth
        cells.pointee.enter(UnsafeRawBufferPointer(rebasing: bytes[key]))
        defer { cells.pointee.leave(depth) }
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"):
            cells.pointee.mark(.object)
            return members { scan, key in scan.node(key) }
        case UInt8(ascii: "["):
            cells.pointee.mark(.array)
            return value()
        case UInt8(ascii: "\""):
            guard let range = string(escapes: true) else { return false }
            let text = UnsafeRawBufferPointer(rebasing: bytes[range])
            if !text.contains(UInt8(ascii: "\\")) {
                text.withMemoryRebound(to: UInt8.self) { cells.pointee.appendText($0) }
                return true
            }
            // Escapes are rare: the tree parse's reading of the quoted text.
            let quoted = UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound - 1)..<(range.upperBound + 1)])
            guard let value = try? JSONValue.parse(quoted) else { return false }
            cells.pointee.append(value)
            return true
        case UInt8(ascii: "t"):
            guard word("true") else { return false }
            cells.pointee.append(.bool(true))
            return true
        case UInt8(ascii: "f"):
            guard word("false") else { return false }
            cells.pointee.append(.bool(false))
            return true
        case UInt8(ascii: "n"):
            guard word("null") else { return false }
            cells.pointee.append(.null)
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            guard number(), let value = JSONValue.number(literal: text(start..<index)) else { return false }
            cells.pointee.append(value)
            return true
        default: return false
        }
    }

    private mutating func namespaces() -> Bool {
        members { scan, namespace in
            guard scan.peek == UInt8(ascii: "[") else { return false }
            return scan.elements { scan in
                scan.peek == UInt8(ascii: "{") && scan.identity(namespace)
            }
        }
    }

    private mutating func identity(_ namespace: Range<Int>) -> Bool {
        var id: Range<Int>?
        var primary = false
        let read = members { scan, key in
            if scan.equals(key, "id") {
                id = scan.string(escapes: false)
                return id.map { !$0.isEmpty } ?? false
            }
            if scan.equals(key, "primary"), scan.peek == UInt8(ascii: "t") {
                primary = true
            }
            return scan.value()
        }
        guard read, let id else { return false }
        identities.append((namespace, id, primary))
        return true
    }

    /// Any JSON value, checked and passed over.
    private mutating func value() -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"): return members { scan, _ in scan.value() }
        case UInt8(ascii: "["): return elements { scan in scan.value() }
        case UInt8(ascii: "\""): return string(escapes: true) != nil
        case UInt8(ascii: "t"): return word("true")
        case UInt8(ascii: "f"): return word("false")
        case UInt8(ascii: "n"): return word("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return false
        }
    }

    /// An object from its `{`: each key, checked against the object's others,
    /// then `member` reads its value from the value's first byte.
    private mutating func members(_ member: (inout EventScan, Range<Int>) -> Bool) -> Bool {
        depth += 1
        guard depth <= 64 else { return false }
        let base = keyCount
        defer {
            keyCount = base
            depth -= 1
        }
        index += 1
        skipSpace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\""), let key = string(escapes: false), keyCount < EventLineScanner.maxKeys
            else { return false }
            let name = UnsafeRawBufferPointer(rebasing: bytes[key])
            for other in base..<keyCount
            where name.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[keys[2 * other]..<keys[2 * other + 1]])) {
                return false
            }
            keys[2 * keyCount] = key.lowerBound
            keys[2 * keyCount + 1] = key.upperBound
            keyCount += 1
            skipSpace()
            guard peek == UInt8(ascii: ":") else { return false }
            index += 1
            skipSpace()
            guard member(&self, key) else { return false }
            skipSpace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return true
            default: return false
            }
        }
    }

    private mutating func elements(_ element: (inout EventScan) -> Bool) -> Bool {
        depth += 1
        guard depth <= 64 else { return false }
        defer { depth -= 1 }
        index += 1
        skipSpace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return true
        }
        while true {
            skipSpace()
            guard element(&self) else { return false }
            skipSpace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return true
            default: return false
            }
        }
    }

    /// A string from its opening quote; returns its bytes between the quotes.
    /// Escapes other than `\u` are passed over where `escapes` allows them.
    private mutating func string(escapes: Bool) -> Range<Int>? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return start..<(index - 1)
            case UInt8(ascii: "\\"):
                guard escapes, index + 1 < bytes.count else { return nil }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                default: return nil
                }
            case 0..<0x20, 0x80...: return nil
            default: index += 1
            }
        }
        return nil
    }

    private mutating func word(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count, equals(index..<(index + count), word) else { return false }
        index += count
        return true
    }

    private func isDigit(_ at: Int) -> Bool {
        at < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at])
    }

    /// RFC 8259's number, as the tree parse reads it.
    private mutating func number() -> Bool {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { return false }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return false }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard isDigit(index) else { return false }
            while isDigit(index) { index += 1 }
        }
        return true
    }
}
