import Foundation
import Segmentation

/// The values of one event at the paths its typed columns may hold (see
/// `EventColumns`): every value not inside an array, but for the members
/// `_id`, `timestamp`, `eventType` (columns of their own) and `identityMap`.
/// Found where the line is parsed, on the reading threads, so the one writer
/// only looks each path up and binds its value.
///
/// Scalars carry their value; arrays and objects only their kind: they get a
/// column of their own only when the same path holds a scalar in another
/// event, which is rare, and the writer then takes them from the document.
struct EventCells: Sendable {
    struct Cell: Sendable, Equatable {
        /// FNV-1a of the path's keys joined with NUL (`EventCells.pathHash`).
        var hash: UInt64
        /// The joined keys' offset and length in `bytes`.
        var path: UInt64
        var kind: LeafCell.Kind
        /// The integer's or real's bits, or a text's offset and length in `bytes`.
        var payload: UInt64

        var integer: Int64 { Int64(bitPattern: payload) }
        var real: Double { Double(bitPattern: payload) }
        var pathRange: Range<Int> { Self.range(path) }
        var textRange: Range<Int> { Self.range(payload) }

        static func range(_ packed: UInt64) -> Range<Int> {
            let offset = Int(packed >> 32)
            return offset..<offset + Int(packed & 0xFFFF_FFFF)
        }
    }

    /// Where the cells lie: the events a thread parses from one chunk share
    /// one store, so an event's cells cost no allocation of their own. Nil
    /// when the event has none.
    private let store: EventCellStore?
    private let first: Int
    private let count: Int

    /// The cells, in the order the event holds them.
    var cells: ArraySlice<Cell> { store.map { $0.cells[first..<(first + count)] } ?? [] }
    /// Joined paths and texts, back to back, which the cells' ranges index
    /// (with those of other events of the same store).
    var bytes: [UInt8] { store?.bytes ?? [] }

    /// The cells and the bytes their ranges index, read in place: the writer
    /// reads every event's cells twice, and copies of the arrays were a
    /// retain and a release each.
    func withCells<R>(_ body: (UnsafeBufferPointer<Cell>, UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let store else {
            return try body(UnsafeBufferPointer(start: nil, count: 0), UnsafeBufferPointer(start: nil, count: 0))
        }
        return try store.cells.withUnsafeBufferPointer { cells in
            try store.bytes.withUnsafeBufferPointer { bytes in
                try body(UnsafeBufferPointer(rebasing: cells[first..<(first + count)]), bytes)
            }
        }
    }

    init() {
        store = nil
        first = 0
        count = 0
    }

    fileprivate init(store: EventCellStore, first: Int, count: Int) {
        self.store = store
        self.first = first
        self.count = count
    }

    /// The cells of a parsed event (`EventLineParser.parseTree`).
    init(of document: JSONValue) {
        var builder = Builder()
        builder.walk(document)
        self = builder.finish()
    }

    /// Top-level members the event table holds otherwise, or never as a column.
    static func isOwnColumn(_ key: String) -> Bool {
        key == "_id" || key == "timestamp" || key == "eventType" || key == "identityMap"
    }

    /// Gathers the cells of a thread's events, one after another, in a store
    /// they share: grown value by value in each event's own arrays, they cost
    /// the parsing threads several allocations per event, as much CPU as the
    /// rest of the scan. A store is only appended to, by its one builder, and
    /// is read once its events are handed over.
    struct Builder {
        private let store = EventCellStore()
        /// Where the event being gathered starts.
        private var firstCell = 0
        private var firstByte = 0
        /// The path being walked, its keys joined with NUL.
        private var current: [UInt8] = []

        init() {}

        /// The cells gathered since the last `finish` or `reset`.
        mutating func finish() -> EventCells {
            let count = store.cells.count - firstCell
            let out = count == 0 ? EventCells() : EventCells(store: store, first: firstCell, count: count)
            firstCell = store.cells.count
            firstByte = store.bytes.count
            current.removeAll(keepingCapacity: true)
            return out
        }

        /// Drops what was gathered since the last `finish` (a line the scanner gave up on).
        mutating func reset() {
            store.cells.removeSubrange(firstCell...)
            store.bytes.removeSubrange(firstByte...)
            current.removeAll(keepingCapacity: true)
        }

        /// The members of a parsed event's top-level object.
        mutating func walk(_ document: JSONValue) {
            guard case .object(let members) = document else { return }
            for (key, value) in members where !EventCells.isOwnColumn(key) {
                walk(key, value)
            }
        }

        private mutating func walk(_ key: String, _ value: JSONValue) {
            // A key holding NUL has no column (SQLite paths cannot quote it), and
            // joined it could pass for another path; nor has anything below it.
            guard !key.utf8.contains(0) else { return }
            let depth = current.count
            enter(key.utf8)
            defer { leave(depth) }
            switch value {
            case .object(let members):
                mark(.object)
                for (key, member) in members { walk(key, member) }
            case .array: mark(.array)
            default: append(value)
            }
        }

        /// Starts the cells of a member `key` (UTF-8) of the current path.
        mutating func enter(_ key: some Sequence<UInt8>) {
            if !current.isEmpty { current.append(0) }
            current.append(contentsOf: key)
        }

        /// Back to the path `depth` bytes long, as before `enter`.
        mutating func leave(_ depth: Int) { current.removeLast(current.count - depth) }

        var depth: Int { current.count }

        /// An array or object at the current path: its kind only.
        mutating func mark(_ kind: LeafCell.Kind) { add(kind, 0) }

        /// A scalar at the current path.
        mutating func append(_ value: JSONValue) {
            switch value {
            case .null: add(.null, 0)
            case .bool(let flag): add(flag ? .yes : .no, 0)
            case .int(let number): add(.integer, UInt64(bitPattern: number))
            case .double(let number): add(.real, number.bitPattern)
            case .number:
                // As SQLite's json_extract reads it (`LeafCell`).
                let leaf = LeafCell(keys: [], value: value)
                add(leaf.kind, leaf.kind == .integer ? UInt64(bitPattern: leaf.integer) : leaf.real.bitPattern)
            case .string(var text): text.withUTF8 { appendText($0) }
            case .array: mark(.array)
            case .object: mark(.object)
            }
        }

        /// A string at the current path, its UTF-8 as stored.
        mutating func appendText(_ text: UnsafeBufferPointer<UInt8>) {
            let offset = store.bytes.count
            store.bytes.append(contentsOf: text)
            add(.text, UInt64(offset) << 32 | UInt64(text.count))
        }

        private mutating func add(_ kind: LeafCell.Kind, _ payload: UInt64) {
            let offset = store.bytes.count
            store.bytes.append(contentsOf: current)
            store.cells.append(
                Cell(
                    hash: EventCells.pathHash(current), path: UInt64(offset) << 32 | UInt64(current.count),
                    kind: kind, payload: payload))
        }
    }

    static func pathHash(_ joined: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in joined { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The path's keys joined with NUL, as a cell's `path` names them.
    static func joined(_ keys: [String]) -> [UInt8] { Array(keys.joined(separator: "\u{0}").utf8) }

    /// The cell's value as `JSONValue` (scalars only), for tests and comparisons.
    func value(of cell: Cell) -> JSONValue? {
        switch cell.kind {
        case .text: .string(String(decoding: bytes[cell.textRange], as: UTF8.self))
        case .integer: .int(cell.integer)
        case .real, .bigInteger: .double(cell.real)
        case .yes: .bool(true)
        case .no: .bool(false)
        case .null: .null
        case .array, .object: nil
        }
    }

    /// Path, kind and value per cell, in path order.
    var canonical: [String] {
        cells.map { cell in
            String(decoding: bytes[cell.pathRange], as: UTF8.self) + "|\(cell.kind)|"
                + (value(of: cell).map { $0.serialized() } ?? "")
        }.sorted()
    }
}

/// The cells and bytes a `EventCells.Builder` appends to, shared by the
/// events it made. Mutated only by that builder on its thread, before its
/// events are handed to another (through a lock), and only at its end, past
/// every cell an event refers to.
final class EventCellStore: @unchecked Sendable {
    @exclusivity(unchecked) var cells: [EventCells.Cell] = []
    @exclusivity(unchecked) var bytes: [UInt8] = []
}

extension EventCells: Equatable {
    /// The same values at the same paths, in any order: the tree parse's objects
    /// have no order, the scanner's are in the line's.
    static func == (a: EventCells, b: EventCells) -> Bool { a.canonical == b.canonical }
}
