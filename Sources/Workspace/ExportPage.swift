import Segmentation

/// One value of a member's field in an `ExportPage`.
public enum ExportValue: Sendable, Equatable {
    /// Anything but a string: null when the profile lacks the field, a
    /// number, a boolean, an array or an object.
    case json(JSONValue)
    /// A string: its UTF-8 bytes are this range of the page's `text`.
    case text(Range<Int>)
}

/// A page of one segment's members as an export reads them, in pid order.
///
/// Flat: each member's facts and field values sit in arrays of the page,
/// and every string's bytes in one buffer, so reading a page costs a few
/// allocations rather than an array and a string or two per member.
public struct ExportPage: Sendable {
    public let fieldCount: Int
    public private(set) var pids: [Int64] = []
    /// `realized` or `exited`.
    public private(set) var statuses: [String] = []
    /// Unix seconds.
    public private(set) var qualifiedAt: [Double] = []
    /// `fieldCount` per member, in the fields' order.
    public private(set) var values: [ExportValue] = []
    /// The bytes of every `.text` value.
    public private(set) var text: [UInt8] = []

    public init(fieldCount: Int) {
        self.fieldCount = fieldCount
    }

    public var count: Int { pids.count }

    public subscript(row: Int, field: Int) -> ExportValue { values[row * fieldCount + field] }

    /// The value as JSON, its string copied out of `text`: for the rarer
    /// paths, and for comparing pages.
    public func json(row: Int, field: Int) -> JSONValue {
        switch self[row, field] {
        case .json(let value): value
        case .text(let range): .string(string(range))
        }
    }

    public func string(_ range: Range<Int>) -> String { Self.string(range, of: text) }

    /// The string whose UTF-8 bytes are `range` of `text`.
    public static func string(_ range: Range<Int>, of text: [UInt8]) -> String {
        text.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    package mutating func reserve(rows: Int, textBytes: Int) {
        pids.reserveCapacity(rows)
        statuses.reserveCapacity(rows)
        qualifiedAt.reserveCapacity(rows)
        values.reserveCapacity(rows * fieldCount)
        text.reserveCapacity(textBytes)
    }

    /// Starts a member's row; its `fieldCount` values follow.
    package mutating func startRow(pid: Int64, status: String, qualifiedAt time: Double) {
        pids.append(pid)
        statuses.append(status)
        qualifiedAt.append(time)
    }

    package mutating func append(_ value: JSONValue) {
        guard case .string(let string) = value else {
            values.append(.json(value))
            return
        }
        var native = string
        native.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
    }

    package mutating func appendText(_ bytes: UnsafeRawBufferPointer) {
        let start = text.count
        text.append(contentsOf: bytes)
        values.append(.text(start..<text.count))
    }

    /// Pads or cuts the row being written to `fieldCount` values: a row read
    /// from a document whose list came back short reads as missing fields.
    package mutating func finishRow() {
        let expected = pids.count * fieldCount
        if values.count > expected { values.removeLast(values.count - expected) }
        while values.count < expected { values.append(.json(.null)) }
    }

    /// This page followed by `other`'s rows.
    package mutating func append(contentsOf other: ExportPage) {
        precondition(other.fieldCount == fieldCount)
        let shift = text.count
        pids += other.pids
        statuses += other.statuses
        qualifiedAt += other.qualifiedAt
        text += other.text
        values += other.values.map { value in
            guard case .text(let range) = value else { return value }
            return .text((range.lowerBound + shift)..<(range.upperBound + shift))
        }
    }
}
