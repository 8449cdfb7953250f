import Foundation
import GRDB
import GRDBSQLite
import Segmentation

/// The typed columns of `profile`: one pair per attribute path seen at import.
///
/// For a path with column number N, `tN` holds what `json_type(doc, path)`
/// would return ('text', 'integer', 'real', 'true', 'false', 'null', 'array',
/// 'object', or NULL when the profile lacks the path) and `vN` what
/// `json_extract(doc, path)` would (text, integer, real, 1/0 for booleans,
/// JSON text for arrays and objects). Segments and exports read these instead
/// of parsing every document, and since each row keeps its own type, a path
/// that is a number in one profile and text in another loses nothing.
///
/// The document stays in `doc` for `profiles show`, for paths without a column
/// and for the rows whose numbers must be written exactly as imported.
public struct ProfileColumns: Sendable, Equatable {
    /// Where a set of typed columns lives: the profiles' (`vN`, `tN` on
    /// `profile`) or the events' (`xvN`, `xtN` on `event`, see `EventColumns`).
    struct Layout: Sendable, Equatable {
        var table: String
        /// The catalog of paths: (col, path, kinds).
        var catalog: String
        var document: String
        /// Put before `vN` and `tN`.
        var prefix: String
        var maximumColumns: Int

        /// SQLite allows 2,000 columns; the rest of a very wide schema stays in `doc`.
        static let profile = Layout(
            table: "profile", catalog: "profileField", document: "doc", prefix: "", maximumColumns: 600)
        /// Every event row pays a byte of its record's header for each column,
        /// NULL or not, and there are many more events than profiles.
        static let event = Layout(
            table: "event", catalog: "eventField", document: "edoc", prefix: "x", maximumColumns: 100)
    }

    var layout = Layout.profile
    /// Paths as their keys, to column numbers.
    public private(set) var numbers: [[String]: Int] = [:]
    /// Column numbers in the order they were added, with their paths.
    public private(set) var paths: [(number: Int, keys: [String])] = []
    /// Per entry of `paths`, the `json_type` names seen there so far.
    private(set) var kinds: [Set<String>] = []

    public static func == (a: ProfileColumns, b: ProfileColumns) -> Bool { a.numbers == b.numbers }

    public func column(for keys: [String]) -> Int? { numbers[keys] }

    static func load(_ db: Database, _ layout: Layout = .profile) throws -> ProfileColumns {
        var columns = ProfileColumns()
        columns.layout = layout
        for row in try Row.fetchAll(db, sql: "SELECT col, path, kinds FROM \(layout.catalog) ORDER BY col") {
            let number: Int = row["col"]
            let keys = try JSONDecoder().decode([String].self, from: Data((row["path"] as String).utf8))
            columns.numbers[keys] = number
            columns.paths.append((number, keys))
            columns.kinds.append(Set((row["kinds"] as String).split(separator: ",").map(String.init)))
        }
        return columns
    }

    /// Adds columns for `newPaths` not seen before and fills them for the rows
    /// already stored, from their documents; `rows`, an SQL condition, limits
    /// which (nil: all).
    mutating func register(_ newPaths: some Sequence<[String]>, in db: Database, rows: String? = nil) throws {
        let (table, document, v, t) = (layout.table, layout.document, layout.prefix + "v", layout.prefix + "t")
        var added: [(Int, [String])] = []
        for keys in newPaths where numbers[keys] == nil {
            guard numbers.count < layout.maximumColumns, Self.jsonPath(keys) != nil else { continue }
            let number = (paths.last?.number ?? 0) + 1
            let path = String(decoding: try JSONEncoder().encode(keys), as: UTF8.self)
            try db.execute(
                sql: "INSERT INTO \(layout.catalog) (col, path) VALUES (?, ?)", arguments: [number, path])
            // No declared type: each row keeps the SQLite type of its own value.
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(v)\(number)")
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(t)\(number) TEXT")
            numbers[keys] = number
            paths.append((number, keys))
            kinds.append([])
            added.append((number, keys))
        }
        guard !added.isEmpty else { return }
        let assignments = added.map { number, keys in
            let path = Self.jsonPath(keys)!
            return "\(v)\(number) = json_extract(\(document), \(path)), "
                + "\(t)\(number) = json_type(\(document), \(path))"
        }
        // Only rows that have one of the paths; a first import into an empty
        // workspace costs nothing here.
        let having = added.map { "json_type(\(document), \(Self.jsonPath($0.1)!)) IS NOT NULL" }
            .joined(separator: " OR ")
        let limit = rows.map { "(\($0)) AND " } ?? ""
        try db.execute(
            sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(limit)(\(having))")
        for (number, _) in added {
            let seen = try String.fetchAll(
                db, sql: "SELECT DISTINCT \(t)\(number) FROM \(table) WHERE \(t)\(number) IS NOT NULL")
            if !seen.isEmpty { try record(Set(seen), forSlot: paths.firstIndex { $0.number == number }!, in: db) }
        }
    }

    /// Adds `types` to what the path in `slot` is known to hold.
    mutating func record(_ types: Set<String>, forSlot slot: Int, in db: Database) throws {
        guard !types.isSubset(of: kinds[slot]) else { return }
        kinds[slot].formUnion(types)
        try db.execute(
            sql: "UPDATE \(layout.catalog) SET kinds = ? WHERE col = ?",
            arguments: [kinds[slot].sorted().joined(separator: ","), paths[slot].number])
    }

    /// Sets every typed column of one stored profile from its document, after
    /// a merge done in SQL.
    func refresh(pid: Int64, in db: Database) throws {
        guard !paths.isEmpty else { return }
        let assignments = paths.map { number, keys in
            let path = Self.jsonPath(keys)!
            return "v\(number) = json_extract(doc, \(path)), t\(number) = json_type(doc, \(path))"
        }
        try db.execute(
            sql: "UPDATE profile SET \(assignments.joined(separator: ", ")) WHERE pid = ?", arguments: [pid])
    }

    /// `'$."a"."b"'` as an SQL string literal; nil for keys SQLite paths cannot quote.
    static func jsonPath(_ keys: [String]) -> String? {
        var path = "$"
        for key in keys {
            guard !key.contains("\""), !key.contains("\\"), !key.contains("'"), !key.utf8.contains(0) else {
                return nil
            }
            path += ".\"\(key)\""
        }
        return "'\(path)'"
    }

    /// The paths as a tree of keys, for parsing on other threads: each leaf
    /// finds its column one key at a time, with no joined path built or hashed.
    var trie: ColumnTrie {
        var trie = ColumnTrie()
        for (slot, path) in paths.enumerated() { trie.insert(path.keys, slot: slot) }
        trie.count = paths.count
        return trie
    }

    /// The paths a document adds: every scalar, array and empty object that is
    /// not inside an array. An array is one value (PQL reads it whole).
    public static func leafPaths(of document: JSONValue) -> [[String]] { leafCells(of: document).map(\.keys) }

    /// Every leaf of a document with its typed cell, computed where the line is
    /// parsed (on both cores) so the single writer only binds them.
    static func leafCells(of document: JSONValue) -> [LeafCell] {
        var out: [LeafCell] = []
        var prefix: [String] = []
        func walk(_ value: JSONValue) {
            if case .object(let members) = value, !members.isEmpty {
                for (key, member) in members {
                    prefix.append(key)
                    walk(member)
                    prefix.removeLast()
                }
            } else if !prefix.isEmpty {
                out.append(LeafCell(keys: prefix, value: value))
            }
        }
        walk(document)
        return out
    }

    /// The value at `keys`, or nil when the document lacks it.
    static func value(at keys: [String], in document: JSONValue) -> JSONValue? {
        var current = document
        for key in keys {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// True when the document holds a number only its original text spells
    /// exactly (`1e400`, `12345678901234567890`, `1.50`); such rows are exported
    /// from the document rather than from the columns.
    static func hasExactNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .number: return true
        case .array(let items): return items.contains(where: hasExactNumber)
        case .object(let members): return members.values.contains(where: hasExactNumber)
        default: return false
        }
    }
}

/// Reads result columns straight through SQLite's C API.
enum SQLiteColumn {
    /// The text at `index`; nil when it is NULL or a number, as GRDB reads a `String`.
    static func text(_ statement: SQLiteStatement, _ index: Int32) -> String? {
        let storage = sqlite3_column_type(statement, index)
        guard storage == SQLITE_TEXT || storage == SQLITE_BLOB, let start = sqlite3_column_text(statement, index)
        else { return nil }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    }

    /// Appends to `page` the value that the (`json_type`, `json_extract`)
    /// pair at `index` and `index + 1` describes: a string as its bytes, with
    /// no String made, and no document parsed unless the value is an array or
    /// an object.
    static func appendPair(_ statement: SQLiteStatement, _ index: Int32, to page: inout ExportPage) {
        let value = index + 1
        if sqlite3_column_bytes(statement, index) == 4, let type = sqlite3_column_text(statement, index),
            memcmp(type, "text", 4) == 0
        {
            let storage = sqlite3_column_type(statement, value)
            if storage == SQLITE_TEXT || storage == SQLITE_BLOB, let start = sqlite3_column_text(statement, value) {
                page.appendText(
                    UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, value))))
                return
            }
        }
        page.append(jsonPair(statement, index))
    }

    /// The value that the (`json_type`, `json_extract`) pair at `index` and
    /// `index + 1` describes, turned back into JSON: no document is parsed
    /// unless the value is an array or an object.
    @inline(never)
    static func jsonPair(_ statement: SQLiteStatement, _ index: Int32) -> JSONValue {
        // Type names are at most 7 bytes: Swift keeps them inline, with no allocation.
        guard let type = text(statement, index) else { return .null }
        let value = index + 1
        let storage = sqlite3_column_type(statement, value)
        switch type {
        case "text": return text(statement, value).map(JSONValue.string) ?? .null
        case "integer":
            // An integer past Int64 comes back from SQLite as a real.
            switch storage {
            case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, value))
            case SQLITE_FLOAT:
                let real = sqlite3_column_double(statement, value)
                return real >= Double(Int64.min) && real < Double(Int64.max) ? .int(Int64(real)) : .double(real)
            default: return .null
            }
        case "real":
            return storage == SQLITE_FLOAT || storage == SQLITE_INTEGER
                ? .double(sqlite3_column_double(statement, value)) : .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "array", "object": return text(statement, value).flatMap { try? JSONValue.parse($0) } ?? .null
        default: return .null
        }
    }
}

/// The typed columns' paths, one key per level, keys kept as UTF-8 so a line
/// scanner matches them against its bytes. A node's children are few (a
/// profile object's keys), so they are scanned rather than hashed. `slot`
/// indexes `ProfileColumns.paths` (only ever appended to, so a slot found in
/// an older tree still names the same column).
struct ColumnTrie: Sendable {
    static let root = 0
    /// Per node: its column slot, -1 for none.
    private var slots: [Int] = [-1]
    /// Per node: its children, by key.
    private var children: [[(key: [UInt8], node: Int)]] = [[]]
    /// How many columns the tree knows. A profile parsed with it has cells
    /// for every one of them, objects included.
    var count = 0

    mutating func insert(_ keys: [String], slot: Int) {
        var node = Self.root
        for key in keys {
            let bytes = Array(key.utf8)
            if let next = children[node].first(where: { $0.key == bytes })?.node {
                node = next
            } else {
                slots.append(-1)
                children.append([])
                children[node].append((bytes, slots.count - 1))
                node = slots.count - 1
            }
        }
        slots[node] = slot
    }

    func slot(_ node: Int) -> Int { slots[node] }

    func child(_ node: Int, _ key: UnsafeRawBufferPointer) -> Int? {
        for (bytes, child) in children[node] where bytes.count == key.count {
            if key.isEmpty || bytes.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
                return child
            }
        }
        return nil
    }

    func child(_ node: Int, _ key: String) -> Int? {
        var key = key
        return key.withUTF8 { child(node, UnsafeRawBufferPointer($0)) }
    }
}

/// Every value of a document at a path the typed columns know, resolved to
/// its column while the line is parsed; leaves at paths without a column
/// (yet) are kept whole for the writer to register.
struct ProfileCells: Sendable {
    /// Bit-packed cells: slot, kind, and the value or where its text is in `text`.
    var cells: [ColumnCell] = []
    /// Texts of text, array and object cells, back to back.
    var text: [UInt8] = []
    var unresolved: [LeafCell] = []
    /// The columns the trie knew (`ColumnTrie.count`).
    var known = 0

    init() {}

    init(of document: JSONValue, trie: ColumnTrie?) {
        known = trie?.count ?? 0
        var prefix: [String] = []
        walk(document, node: trie == nil ? nil : ColumnTrie.root, trie: trie, prefix: &prefix)
    }

    /// Adds the cells of `value`, found at `prefix` (trie node `node`).
    mutating func walk(_ value: JSONValue, node: Int?, trie: ColumnTrie?, prefix: inout [String]) {
        let slot = node.flatMap { trie?.slot($0) } ?? -1
        if case .object(let members) = value, !members.isEmpty {
            // A column whose path is an object here holds the object as JSON, as json_extract would.
            if slot >= 0, !prefix.isEmpty { append(slot: slot, value) }
            for (key, member) in members {
                prefix.append(key)
                walk(member, node: node.flatMap { trie?.child($0, key) }, trie: trie, prefix: &prefix)
                prefix.removeLast()
            }
        } else if !prefix.isEmpty {
            if slot >= 0 {
                append(slot: slot, value)
            } else {
                unresolved.append(LeafCell(keys: prefix, value: value))
            }
        }
    }

    /// A cell whose text (UTF-8 already checked, or JSON already in its
    /// serialized form) is `range` of `text`, which a line scanner starts
    /// with the line itself: no copy per value.
    mutating func appendSlice(slot: Int, kind: LeafCell.Kind, _ range: Range<Int>) {
        cells.append(
            ColumnCell(slot: Int32(slot), kind: kind, payload: UInt64(range.lowerBound) << 32 | UInt64(range.count)))
    }

    mutating func append(slot: Int, _ value: JSONValue) {
        var cell = ColumnCell(slot: Int32(slot), kind: .null, payload: 0)
        switch value {
        case .null: break
        case .bool(let flag): cell.kind = flag ? .yes : .no
        case .int(let number):
            cell.kind = .integer
            cell.payload = UInt64(bitPattern: number)
        case .double(let number):
            cell.kind = .real
            cell.payload = number.bitPattern
        case .number:
            let leaf = LeafCell(keys: [], value: value)
            cell.kind = leaf.kind
            cell.payload = leaf.kind == .integer ? UInt64(bitPattern: leaf.integer) : leaf.real.bitPattern
        case .string(var string):
            cell.kind = .text
            cell.payload = string.withUTF8 { store($0) }
        case .array, .object:
            if case .array = value { cell.kind = .array } else { cell.kind = .object }
            let offset = text.count
            value.write(to: &text)
            cell.payload = UInt64(offset) << 32 | UInt64(text.count - offset)
        }
        cells.append(cell)
    }

    /// Appends `bytes` to `text`; returns their offset and length packed in one word.
    private mutating func store(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let offset = text.count
        text.append(contentsOf: bytes)
        return UInt64(offset) << 32 | UInt64(bytes.count)
    }
}

/// One typed cell, trivially copyable: no reference counting in the writer's loop.
struct ColumnCell: Sendable {
    var slot: Int32
    var kind: LeafCell.Kind
    /// The integer's bits, the real's bits, or the text's offset (high 32 bits)
    /// and length (low 32 bits) in `ProfileCells.text`.
    var payload: UInt64

    var integer: Int64 { Int64(bitPattern: payload) }
    var real: Double { Double(bitPattern: payload) }
    var textRange: Range<Int> {
        let offset = Int(payload >> 32)
        return offset..<offset + Int(payload & 0xFFFF_FFFF)
    }
}

/// One leaf of a document as the typed columns store it.
struct LeafCell: Sendable {
    enum Kind: UInt8, Sendable {
        case text, integer, real, yes, no, null, array, object
        /// An integer past Int64: json_type says integer, the value is a real.
        case bigInteger

        var typeName: String { staticTypeName.description }

        /// `json_type`'s name, in static memory (bound to SQLite without a copy).
        var staticTypeName: StaticString {
            switch self {
            case .text: "text"
            case .integer, .bigInteger: "integer"
            case .real: "real"
            case .yes: "true"
            case .no: "false"
            case .null: "null"
            case .array: "array"
            case .object: "object"
            }
        }

        static let all: [Kind] = [.text, .integer, .real, .yes, .no, .null, .array, .object, .bigInteger]
    }

    var keys: [String]
    /// The keys joined with NUL, which no column's key holds: a cheap
    /// dictionary key; nil when a key holds NUL.
    var joined: String?
    var kind: Kind
    var integer: Int64 = 0
    var real: Double = 0
    /// Text values, and arrays and objects as JSON text.
    var text: String = ""

    init(keys: [String], value: JSONValue) {
        self.keys = keys
        // A key holding NUL has no column (SQLite paths cannot quote it), and
        // joined it could pass for another path.
        self.joined = keys.contains { $0.utf8.contains(0) } ? nil : keys.joined(separator: "\u{0}")
        switch value {
        case .null: kind = .null
        case .bool(let flag): kind = flag ? .yes : .no
        case .int(let number):
            kind = .integer
            integer = number
        case .double(let number):
            kind = .real
            real = number
        case .number(let literal):
            // As SQLite's json_extract reads it: a real, even for an integer past Int64.
            let isInteger = !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            if isInteger, let exact = Int64(literal) {
                kind = .integer
                integer = exact
            } else {
                kind = isInteger ? .bigInteger : .real
                real = Double(literal) ?? 0
            }
        case .string(let value):
            kind = .text
            text = value
        case .array:
            kind = .array
            text = value.serialized()
        case .object:
            kind = .object
            text = value.serialized()
        }
    }

    /// `json_type`'s name for the cell.
    var typeName: String { kind.typeName }
}
