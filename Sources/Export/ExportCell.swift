import Foundation
import Segmentation
import Workspace

/// One mapped value of an exported member, before a file format writes it.
/// Each format decides how a kind is spelled: a time is ISO-8601 text in CSV
/// and JSON, and a TIMESTAMP in Parquet.
public enum ExportCell: Sendable, Equatable {
    /// A profile value; `.null` when the profile lacks it.
    case value(JSONValue)
    /// A profile string, as its UTF-8 bytes: this range of its rows' `text`.
    case bytes(Range<Int>)
    /// Text Ferry makes: the membership status, a hashed value.
    case text(String)
    /// The membership's last qualification time.
    case time(Date)

    /// The CSV cell: profile values as `CSVField` renders them, times as ISO-8601 UTC.
    func csvField(_ text: [UInt8]) -> CSVField {
        switch self {
        case .value(let value): CSVField(value)
        case .bytes(let range): .text(ExportPage.string(range, of: text))
        case .text(let text): .text(text)
        case .time(let date): .text(ISO8601.string(date))
        }
    }

    /// The SHA-256 form ad platforms match on, of the value's text; see `CSVField.hashedForMatching()`.
    func hashedForMatching(_ text: [UInt8]) -> ExportCell {
        switch csvField(text).hashedForMatching() {
        case .null: .value(.null)
        case .text(let text): .text(text)
        }
    }
}

/// Members' rows on their way to a file: `columns` cells per row, in column
/// order, and each profile string's bytes in one buffer, so a row costs no
/// allocation of its own.
public struct ExportRows: Sendable {
    public let columns: Int
    /// Per row, the member's pid, which names the profile when a value cannot be written.
    public private(set) var pids: [Int64] = []
    public private(set) var cells: [ExportCell] = []
    /// The bytes of every `.bytes` cell.
    public private(set) var text: [UInt8]

    public init(columns: Int, text: [UInt8] = []) {
        self.columns = columns
        self.text = text
    }

    /// Rows given cell by cell, their strings as `.value`.
    public init(columns: Int, rows: [(pid: Int64, cells: [ExportCell])]) {
        self.init(columns: columns)
        for row in rows {
            precondition(row.cells.count == columns)
            pids.append(row.pid)
            cells += row.cells
        }
    }

    public var count: Int { pids.count }
    public var isEmpty: Bool { pids.isEmpty }

    public subscript(row: Int, column: Int) -> ExportCell { cells[row * columns + column] }

    mutating func reserve(rows: Int) {
        pids.reserveCapacity(rows)
        cells.reserveCapacity(rows * columns)
    }

    /// Starts a row; its `columns` cells follow.
    mutating func startRow(pid: Int64) { pids.append(pid) }

    mutating func append(_ cell: ExportCell) { cells.append(cell) }

    /// The rows in `range`, sharing this one's text.
    func rows(_ range: Range<Int>) -> ExportRows {
        var part = ExportRows(columns: columns, text: text)
        part.pids = Array(pids[range])
        part.cells = Array(cells[(range.lowerBound * columns)..<(range.upperBound * columns)])
        return part
    }
}
