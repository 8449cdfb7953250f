import Foundation
import Parquet
import Segmentation
import Workspace

/// Parquet files: each column's type comes from the profile schema (the
/// types the import saw at its path), rows are written in row groups of a
/// bounded size, and every row group is handed on as soon as it is full.
///
/// A path whose values have several types keeps every value: numbers mixed
/// with integers become DOUBLE, and any other mix becomes a STRING column
/// holding each value as a CSV cell would (text as is, numbers as written,
/// containers as JSON). A value that still does not fit (an integer past
/// 2^53 in a DOUBLE column, a number past INT64) fails the run, naming the
/// column and profile, rather than being rounded or dropped.
struct ParquetFileEncoder: ExportEncoder {
    private var writer: ParquetWriter
    let columns: [ParquetColumnPlan]
    /// One row's values, kept between rows so that a row costs no array.
    private var row: [ParquetValue] = []

    init(columns: [ParquetColumnPlan], compression: ParquetCompression, rowGroupBytes: Int) {
        self.columns = columns
        writer = ParquetWriter(
            fields: columns.map { ParquetField($0.name, $0.type) }, compression: compression,
            rowGroupBytes: rowGroupBytes)
    }

    func begin(into out: inout [UInt8]) {}

    mutating func append(_ rows: ExportRows, row index: Int, into out: inout [UInt8]) throws(RowEncodingError) {
        row.removeAll(keepingCapacity: true)
        for (position, column) in columns.enumerated() {
            do {
                row.append(try ParquetCellConversion.value(rows[index, position], text: rows.text, as: column.type))
            } catch {
                let name = column.name
                throw RowEncodingError { profile in
                    "the value in column '\(name)' of \(profile) is \(error.value), which its Parquet type \(error.expected) cannot hold without loss"
                }
            }
        }
        do {
            try writer.append(row)
        } catch {
            throw RowEncodingError { profile in "\(profile) cannot be written to Parquet: \(error)" }
        }
        if writer.rowGroupIsFull { writer.flushRowGroup(into: &out) }
    }

    mutating func finish(into out: inout [UInt8]) {
        writer.finish(into: &out)
    }
}

/// One output column and its Parquet type.
struct ParquetColumnPlan: Sendable, Equatable {
    var name: String
    var type: ParquetType
}

/// Why a value does not fit its column's type.
struct ParquetCellError: Error {
    var expected: String
    var value: String
}

enum ParquetCellConversion {
    /// `text`: the bytes of the rows a `.bytes` cell comes from.
    static func value(_ cell: ExportCell, text: [UInt8] = [], as type: ParquetType) throws(ParquetCellError)
        -> ParquetValue
    {
        switch cell {
        case .time(let date):
            switch type {
            case .timestamp: return .timestamp(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
            default: return .string(ISO8601.string(date))
            }
        case .text(let text):
            return .string(text)
        case .value(let value):
            return try convert(value, as: type)
        case .bytes(let range):
            return try convert(.string(ExportPage.string(range, of: text)), as: type)
        }
    }

    static func convert(_ value: JSONValue, as type: ParquetType) throws(ParquetCellError) -> ParquetValue {
        if case .null = value { return .null }
        switch type {
        case .string:
            guard case .text(let text) = CSVField(value) else { return .null }
            return .string(text)
        case .int64:
            switch value {
            case .int(let n): return .int64(n)
            case .number(let literal):
                if let n = Int64(literal) { return .int64(n) }
            case .double(let d):
                if d.rounded() == d, let n = Int64(exactly: d) { return .int64(n) }
            default: break
            }
        case .double:
            switch value {
            case .double(let d): return .double(d)
            case .int(let n):
                if let d = Double(exactly: n) { return .double(d) }
            case .number(let literal):
                // `1.50` is 1.5; `1e400` or a 20-digit integer has no exact double.
                if let d = Double(literal), d.isFinite, literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
                {
                    return .double(d)
                }
            default: break
            }
        case .boolean:
            if case .bool(let flag) = value { return .boolean(flag) }
        case .timestamp:
            break
        case .list(let element):
            if case .array(let items) = value {
                var out: [ParquetValue] = []
                out.reserveCapacity(items.count)
                for item in items { out.append(try convert(item, as: element)) }
                return .list(out)
            }
        case .group(let fields):
            if case .object(let members) = value {
                var out: [ParquetValue] = []
                for field in fields { out.append(try convert(members[field.name] ?? .null, as: field.type)) }
                return .group(out)
            }
        }
        throw ParquetCellError(expected: type.name, value: describe(value))
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        default: CSVField(value) == .null ? "null" : "\(value.serialized())"
        }
    }
}

/// Every shape a column's values take, merged: the Parquet type that holds them all.
indirect enum ValueShape: Sendable, Equatable {
    /// Only nulls seen so far.
    case unknown
    case string, integer, real, boolean
    case list(ValueShape)
    case object([String: ValueShape])
    /// Kinds no single type holds: written as text.
    case mixed

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .unknown
        case .string: self = .string
        case .bool: self = .boolean
        case .int: self = .integer
        case .double: self = .real
        case .number(let literal): self = Int64(literal) != nil ? .integer : .real
        case .array(let items): self = .list(items.reduce(.unknown) { $0.merged(ValueShape($1)) })
        case .object(let members): self = .object(members.mapValues(ValueShape.init))
        }
    }

    func merged(_ other: ValueShape) -> ValueShape {
        switch (self, other) {
        case (.unknown, _): return other
        case (_, .unknown): return self
        case (.integer, .real), (.real, .integer): return .real
        case (.list(let a), .list(let b)): return .list(a.merged(b))
        case (.object(let a), .object(let b)): return .object(a.merging(b) { $0.merged($1) })
        default: return self == other ? self : .mixed
        }
    }

    /// The Parquet type; an object with no fields (Parquet has no empty struct) and mixes are text.
    var parquetType: ParquetType {
        switch self {
        case .unknown, .string, .mixed: .string
        case .integer: .int64
        case .real: .double
        case .boolean: .boolean
        case .list(let element): .list(element.parquetType)
        case .object(let members):
            members.isEmpty
                ? .string
                : .group(
                    members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
                        ParquetField($0, members[$0]!.parquetType)
                    })
        }
    }
}

extension ParquetColumnPlan {
    /// The column types of an activation's mapped sources, from the schema's
    /// paths (the types seen at each). `nil` for a source whose structure must
    /// come from the rows themselves: an array or object under `--nested`.
    static func fromSchema(
        sources: [ExportSource], columns: [String], hashed: [Bool], schema: [ProfileField], nested: Bool
    ) -> [ParquetType?] {
        var byPath: [[String]: ProfileField] = [:]
        for field in schema { byPath[field.keys] = field }
        return zip(sources, hashed).map { source, hashed -> ParquetType? in
            if hashed { return .string }
            switch source {
            case .membershipStatus, .identity: return .string
            case .lastQualificationTime: return .timestamp
            case .attribute(let keys):
                guard let field = byPath[keys] else {
                    // A path with paths below it holds objects; one no profile has is all nulls.
                    let isObject = schema.contains {
                        $0.keys.count > keys.count && Array($0.keys.prefix(keys.count)) == keys
                    }
                    return isObject && nested ? nil : .string
                }
                let kinds = Set(field.types.map(\.type)).subtracting(["null"])
                switch kinds {
                case ["text"]: return .string
                case ["integer"]: return .int64
                case ["real"], ["integer", "real"]: return .double
                case ["true"], ["false"], ["true", "false"]: return .boolean
                case ["array"], ["object"]:
                    let isObjectToo = schema.contains {
                        $0.keys.count > keys.count && Array($0.keys.prefix(keys.count)) == keys
                    }
                    if kinds == ["array"] && isObjectToo { return .string }
                    return nested ? nil : .string
                default: return .string
                }
            }
        }
    }
}
