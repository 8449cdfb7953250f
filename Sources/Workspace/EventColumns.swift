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
    /// Column slot (index in `columns.paths`) by the hash of its joined path.
    private var slots: [UInt64: Int] = [:]
    /// Per slot, its keys joined with NUL.
    private var joined: [[UInt8]] = []
    /// Hashes of paths that get no column: past the cap, or keys SQLite paths cannot quote.
    private var refused = Set<UInt64>()
    /// Hashes of paths this import saw as an array, object or null without a
    /// column: stored rows of this import may hold them, so a column added for
    /// one later is filled for every row, not only for those before the import.
    private var seenOther = Set<UInt64>()
    /// Per slot, the kinds this batch bound (bits by `LeafCell.Kind` raw value).
    private var seen: [UInt16] = []
    /// The rows stored before this import: `eid <= storedBefore`. Nil when the
    /// import's rows are not in the table yet (each batch registers before it inserts).
    private let storedBefore: Int?

    init(_ db: Database, storedBefore: Int? = nil) throws {
        columns = try EventColumns.load(db)
        self.storedBefore = storedBefore
        cataloged = try db.tableExists("eventField")
        index()
    }

    /// Whether the workspace has the columns' catalog (it is migrated to them).
    private let cataloged: Bool

    private mutating func index() {
        slots = [:]
        joined = columns.paths.map { EventCells.joined($0.keys) }
        for (slot, path) in joined.enumerated() { slots[EventCells.pathHash(path)] = slot }
        seen = [UInt16](repeating: 0, count: joined.count)
    }

    /// The insert naming every typed column after the five fixed ones.
    var insertSQL: String {
        let names = columns.paths.map { ", xv\($0.number), xt\($0.number)" }.joined()
        let marks = String(repeating: ", ?, ?", count: columns.paths.count)
        return "INSERT INTO event (id, epid, ets, etype, edoc\(names)) VALUES (?, ?, ?, ?, ?\(marks))"
    }

    /// The slot of a cell's path, or nil when it has no column.
    private func slot(_ cell: EventCells.Cell, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let path = UnsafeBufferPointer(rebasing: bytes[cell.pathRange])
        func matches(_ slot: Int) -> Bool {
            joined[slot].count == path.count
                && joined[slot].withUnsafeBufferPointer { memcmp($0.baseAddress!, path.baseAddress!, path.count) == 0 }
        }
        if let slot = slots[cell.hash], matches(slot) { return slot }
        // Two paths sharing a hash: the other is found by its keys.
        guard slots[cell.hash] != nil else { return nil }
        return joined.indices.first(where: matches)
    }

    /// Adds columns for the scalar paths of `batch` that have none yet.
    mutating func prepare(_ batch: [ImportedEvent], in db: Database) throws {
        var fresh: [UInt64: [UInt8]] = [:]
        for event in batch {
            event.cells.bytes.withUnsafeBufferPointer { bytes in
                for cell in event.cells.cells where slot(cell, in: bytes) == nil {
                    if cell.kind.isScalar {
                        if !refused.contains(cell.hash), fresh[cell.hash] == nil {
                            fresh[cell.hash] = Array(bytes[cell.pathRange])
                        }
                    } else {
                        seenOther.insert(cell.hash)
                    }
                }
            }
        }
        guard !fresh.isEmpty, cataloged else { return }
        let paths = fresh.values.map(Self.keys).sorted { $0.lexicographicallyPrecedes($1) }
        let everyRow = fresh.keys.contains(where: seenOther.contains)
        let rows = storedBefore.flatMap { everyRow ? nil : "eid <= \($0)" }
        try columns.register(paths, in: db, rows: rows)
        index()
        for (hash, path) in fresh where !joined.contains(path) { refused.insert(hash) }
    }

    static func keys(_ joined: some Collection<UInt8>) -> [String] {
        joined.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Binds the event's typed values to `handle` (parameters 6 on), for one step.
    mutating func bind<R>(
        _ event: UnsafePointer<ImportedEvent>, _ handle: SQLiteStatement, _ body: () -> R
    ) -> R {
        guard !joined.isEmpty else { return body() }
        return event.pointee.cells.bytes.withUnsafeBufferPointer { bytes in
            var documentValue: JSONValue?
            for cell in event.pointee.cells.cells {
                guard let slot = slot(cell, in: bytes) else { continue }
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
