import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// The typed columns of `event`, as `ProfileColumns` are the profiles': per
/// path N a pair `xvN` (what `json_extract(edoc, path)` gives) and `xtN`
/// (what `json_type` gives), listed in `eventField` with the types seen.
/// A path gets a pair once an event holds a scalar there; arrays and objects
/// stay in the document unless the same path is a scalar in another event.
/// Segment SQL reads the pairs instead of parsing each event's document, and
/// since each row keeps its own type, a path that is a number in one event
/// and text in another loses nothing.
enum EventColumns {
    /// The columns; none in a workspace not migrated to them yet (an upgrade test's older schema).
    static func load(_ db: Database) throws -> ProfileColumns {
        guard try db.tableExists("eventField") else {
            var columns = ProfileColumns()
            columns.layout = .event
            return columns
        }
        return try ProfileColumns.load(db, .event)
    }

    /// Every path a stored event gives a column to, for a workspace from before
    /// the columns: the scalars' paths, as an import finds them.
    static func storedPaths(_ db: Database) throws -> [[String]] {
        var paths = Set<[String]>()
        let rows = try Row.fetchCursor(db, sql: "SELECT edoc FROM event")
        while let row = try rows.next() {
            guard let document = try? JSONValue.parse(row["edoc"] as String) else { continue }
            let cells = EventCells(of: document)
            for cell in cells.cells where cell.kind.isScalar {
                paths.insert(EventCellWriter.keys(cells.bytes[cell.pathRange]))
            }
        }
        return paths.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

extension LeafCell.Kind {
    /// Whether a value of this kind gives its path a column (null does not:
    /// a path that is only ever null would be a column of nothing).
    var isScalar: Bool {
        switch self {
        case .text, .integer, .real, .yes, .no, .bigInteger: true
        case .null, .array, .object: false
        }
    }
}

/// Binds events' cells (`EventCells`) to their typed columns in an import:
/// registers the paths a batch brings first, then binds each event's values.
struct EventCellWriter {
    private(set) var columns: ProfileColumns
    /// Every path met so far, to its column slot (index in `columns.paths`)
    /// or to why it has none.
    private var known = EventPathTable()
    /// Hashes of paths this import saw as an array, object or null without a
    /// column: stored rows of this import may hold them, so a column added for
    /// one later is filled for every row, not only for those before the import.
    private var seenOther = Set<UInt64>()
    /// Per slot, the kinds this batch bound (bits by `LeafCell.Kind` raw value).
    private var seen: [UInt16] = []
    /// The slot (or `EventPathTable` code) of each cell of the batch `prepare`
    /// saw, event after event, and where each event's start: each path is
    /// looked up once per batch, not again when its value is bound.
    private var cellSlots: [Int32] = []
    private var eventStarts: [Int32] = []
    /// The rows stored before this import: `eid <= storedBefore`. Nil when the
    /// import's rows are not in the table yet (each batch registers before it inserts).
    private let storedBefore: Int?

    init(_ db: Database, storedBefore: Int? = nil) throws {
        columns = try EventColumns.load(db)
        self.storedBefore = storedBefore
        cataloged = try db.tableExists("eventField")
        learnSlots(from: 0)
    }

    /// Has `known` find the columns from slot `start` on, and `seen` count their kinds.
    private mutating func learnSlots(from start: Int) {
        for slot in start..<columns.paths.count {
            known.set(EventCells.joined(columns.paths[slot].keys), to: Int32(slot))
        }
        seen += [UInt16](repeating: 0, count: columns.paths.count - start)
    }

    /// Whether the workspace has the columns' catalog (it is migrated to them).
    private let cataloged: Bool

    /// The insert naming every typed column after the five fixed ones.
    var insertSQL: String {
        let names = columns.paths.map { ", xv\($0.number), xt\($0.number)" }.joined()
        let marks = String(repeating: ", ?, ?", count: columns.paths.count)
        return "INSERT INTO event (id, epid, ets, etype, edoc\(names)) VALUES (?, ?, ?, ?, ?\(marks))"
    }

    /// Adds columns for the scalar paths of `batch` that have none yet, and
    /// finds the slot of every cell for `bind`.
    mutating func prepare(_ batch: [ImportedEvent], in db: Database) throws {
        var fresh: [UInt64: [UInt8]] = [:]
        cellSlots.removeAll(keepingCapacity: true)
        eventStarts.removeAll(keepingCapacity: true)
        // Events read in place: a copy of one is a retain and a release of each of its texts.
        batch.withUnsafeBufferPointer { events in
            for index in events.indices {
                eventStarts.append(Int32(cellSlots.count))
                events[index].cells.withCells { cells, bytes in note(cells, bytes, into: &fresh) }
            }
        }
        guard !fresh.isEmpty, cataloged else { return }
        let paths = fresh.values.map(Self.keys).sorted { $0.lexicographicallyPrecedes($1) }
        let everyRow = fresh.keys.contains(where: seenOther.contains)
        let rows = storedBefore.flatMap { everyRow ? nil : "eid <= \($0)" }
        let before = columns.paths.count
        try columns.register(paths, in: db, rows: rows)
        learnSlots(from: before)
        for path in fresh.values where known.find(path) < 0 { known.set(path, to: EventPathTable.refused) }
        // New columns: the batch's cells are looked up again.
        guard columns.paths.count > before else { return }
        var next = 0
        batch.withUnsafeBufferPointer { events in
            for index in events.indices {
                events[index].cells.withCells { cells, bytes in
                    for cell in cells {
                        cellSlots[next] = known.find(
                            UnsafeBufferPointer(rebasing: bytes[cell.pathRange]), hash: cell.hash)
                        next += 1
                    }
                }
            }
        }
    }

    /// Finds the slots of one event's cells; the scalar paths with no column yet go in `fresh`.
    private mutating func note(
        _ cells: UnsafeBufferPointer<EventCells.Cell>, _ bytes: UnsafeBufferPointer<UInt8>,
        into fresh: inout [UInt64: [UInt8]]
    ) {
        for cell in cells {
            let path = UnsafeBufferPointer(rebasing: bytes[cell.pathRange])
            let slot = known.find(path, hash: cell.hash)
            cellSlots.append(slot)
            guard slot < 0, slot != EventPathTable.refused else { continue }
            if cell.kind.isScalar {
                if fresh[cell.hash] == nil { fresh[cell.hash] = Array(path) }
            } else if slot == EventPathTable.unknown {
                seenOther.insert(cell.hash)
                known.set(Array(path), to: EventPathTable.other)
            }
        }
    }

    static func keys(_ joined: some Collection<UInt8>) -> [String] {
        joined.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Binds the typed values of the batch's event at `index` (as `prepare`
    /// saw the batch) to `handle` (parameters 6 on), for one step.
    mutating func bind<R>(
        _ event: UnsafePointer<ImportedEvent>, index: Int, _ handle: SQLiteStatement, _ body: () -> R
    ) -> R {
        guard !seen.isEmpty else { return body() }
        let start = Int(eventStarts[index])
        return event.pointee.cells.withCells { cells, bytes in
            var documentValue: JSONValue?
            for (offset, cell) in cells.enumerated() {
                let slot = Int(cellSlots[start + offset])
                guard slot >= 0 else { continue }
                seen[slot] |= 1 << cell.kind.rawValue
                let value = Int32(6 + 2 * slot)
                SQLiteBinding.typeName(handle, value + 1, cell.kind)
                switch cell.kind {
                case .text:
                    let range = cell.textRange
                    // Borrowed: `bytes` outlives the step.
                    SQLiteBinding.borrowedText(
                        handle, value, UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[range])))
                case .integer: sqlite3_bind_int64(handle, value, cell.integer)
                case .real, .bigInteger: sqlite3_bind_double(handle, value, cell.real)
                case .yes: sqlite3_bind_int64(handle, value, 1)
                case .no: sqlite3_bind_int64(handle, value, 0)
                case .null: break
                case .array, .object:
                    // Rare: a path that is a scalar elsewhere. Its JSON text, as json_extract gives it.
                    if documentValue == nil { documentValue = try? JSONValue.parse(event.pointee.document) }
                    let keys = Self.keys(bytes[cell.pathRange])
                    let text = documentValue.flatMap { ProfileColumns.value(at: keys, in: $0) }?.serialized() ?? "null"
                    SQLiteBinding.text(handle, value, text)
                }
            }
            return body()
        }
    }

    /// Records the kinds the batch bound in the catalog.
    mutating func finish(in db: Database) throws {
        for slot in seen.indices where seen[slot] != 0 {
            let types = Set(LeafCell.Kind.all.filter { seen[slot] & (1 << $0.rawValue) != 0 }.map(\.typeName))
            try columns.record(types, forSlot: slot, in: db)
            seen[slot] = 0
        }
    }
}

/// The paths an import has met, each to its column slot or to a code for why
/// it has none: open addressing on the cells' own FNV hash, each hit checked
/// against the path's bytes. A page-view event has three cells; looked up in
/// a `Dictionary` and a `Set` (SipHash of the hash again), twice per batch,
/// they cost the one writer a tenth of its time.
struct EventPathTable {
    /// No entry: the path was never met.
    static let unknown: Int32 = -1
    /// Met as an array, object or null only, and has no column.
    static let other: Int32 = -2
    /// A scalar path that gets no column: past the cap, or keys SQLite paths cannot quote.
    static let refused: Int32 = -3
    /// Past this many paths, those with no column are not remembered (looked up as unknown each time).
    private static let maxEntries = 1 << 16

    private var paths: [[UInt8]] = []
    private var hashes: [UInt64] = []
    private var values: [Int32] = []
    /// Entry index + 1 per bucket, 0 for an empty one.
    private var buckets = [Int32](repeating: 0, count: 256)

    /// The slot or code of `path`, `hash` its `EventCells.pathHash`.
    func find(_ path: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        let entry = self.entry(path, hash: hash)
        return entry < 0 ? Self.unknown : values[entry]
    }

    func find(_ path: [UInt8]) -> Int32 {
        path.withUnsafeBufferPointer { find($0, hash: EventCells.pathHash($0)) }
    }

    /// Sets the slot or code of `path`.
    mutating func set(_ path: [UInt8], to value: Int32) {
        let hash = EventCells.pathHash(path)
        let found = path.withUnsafeBufferPointer { entry($0, hash: hash) }
        if found >= 0 {
            values[found] = value
            return
        }
        guard value >= 0 || paths.count < Self.maxEntries else { return }
        if (paths.count + 1) * 2 > buckets.count { grow() }
        paths.append(path)
        hashes.append(hash)
        values.append(value)
        place(paths.count - 1)
    }

    private func bucket(_ hash: UInt64) -> Int {
        // The FNV hash's low bits vary little for paths sharing a prefix: mixed first.
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 32) & (buckets.count - 1)
    }

    private func entry(_ path: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int {
        let mask = buckets.count - 1
        var bucket = self.bucket(hash)
        while true {
            let entry = Int(buckets[bucket]) - 1
            if entry < 0 { return -1 }
            if hashes[entry] == hash, matches(entry, path) { return entry }
            bucket = (bucket + 1) & mask
        }
    }

    private func matches(_ entry: Int, _ path: UnsafeBufferPointer<UInt8>) -> Bool {
        guard paths[entry].count == path.count else { return false }
        if path.isEmpty { return true }
        return paths[entry].withUnsafeBufferPointer { memcmp($0.baseAddress!, path.baseAddress!, path.count) == 0 }
    }

    private mutating func place(_ entry: Int) {
        let mask = buckets.count - 1
        var bucket = self.bucket(hashes[entry])
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Int32(entry + 1)
    }

    private mutating func grow() {
        buckets = [Int32](repeating: 0, count: buckets.count * 2)
        for entry in paths.indices { place(entry) }
    }
}

extension ImportedEvent {
    /// The paths at which events of `batch` hold a scalar, each once: those
    /// that get typed columns (`EventColumns`).
    public static func scalarPaths(of batch: [ImportedEvent]) -> [[String]] {
        var seen: [UInt64: [[UInt8]]] = [:]
        var paths: [[String]] = []
        for event in batch {
            for cell in event.cells.cells where cell.kind.isScalar {
                let path = event.cells.bytes[cell.pathRange]
                if seen[cell.hash]?.contains(where: { $0.elementsEqual(path) }) == true { continue }
                seen[cell.hash, default: []].append(Array(path))
                paths.append(EventCellWriter.keys(path))
            }
        }
        return paths
    }
}
