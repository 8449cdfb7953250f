import Foundation
import Segmentation

/// One mapped value of an exported member, before a file format writes it.
/// Each format decides how a kind is spelled: a time is ISO-8601 text in CSV
/// and JSON, and a TIMESTAMP in Parquet.
public enum ExportCell: Sendable, Equatable {
    /// A profile value; `.null` when the profile lacks it.
    case value(JSONValue)
    /// Text Ferry makes: the membership status, a hashed value.
    case text(String)
    /// The membership's last qualification time.
    case time(Date)

    /// The CSV cell: profile values as `CSVField` renders them, times as ISO-8601 UTC.
    var csvField: CSVField {
        switch self {
        case .value(let value): CSVField(value)
        case .text(let text): .text(text)
        case .time(let date): .text(ISO8601.string(date))
        }
    }

    /// The SHA-256 form ad platforms match on, of the value's text; see `CSVField.hashedForMatching()`.
    func hashedForMatching() -> ExportCell {
        switch csvField.hashedForMatching() {
        case .null: .value(.null)
        case .text(let text): .text(text)
        }
    }
}

/// One member's row: its cells in column order and its pid, which names the
/// profile when a value cannot be written.
public struct ExportRecord: Sendable {
    public var pid: Int64
    public var cells: [ExportCell]
}
