/// The logical type of a Parquet column as Ferry writes it. Every field is
/// optional, so each level of a path carries a definition level for nulls.
public indirect enum ParquetType: Sendable, Hashable {
    /// BYTE_ARRAY with the STRING logical type (UTF8).
    case string
    case int64
    case double
    case boolean
    /// INT64 microseconds since the Unix epoch, TIMESTAMP(isAdjustedToUTC, MICROS).
    case timestamp
    /// The three-level LIST: `optional group (LIST) { repeated group list { optional element } }`.
    case list(ParquetType)
    /// A STRUCT: an optional group of named fields.
    case group([ParquetField])
}

/// A named column or struct member.
public struct ParquetField: Sendable, Hashable {
    public var name: String
    public var type: ParquetType

    public init(_ name: String, _ type: ParquetType) {
        self.name = name
        self.type = type
    }
}

/// One cell; `group` holds its fields' values in the order of the type's fields.
///
/// Not `indirect`: the nested cases hold arrays, which are references
/// already, and an indirect enum boxed every scalar cell on the heap.
public enum ParquetValue: Sendable, Hashable {
    case null
    case string(String)
    case int64(Int64)
    case double(Double)
    case boolean(Bool)
    /// Microseconds since the Unix epoch, UTC.
    case timestamp(Int64)
    case list([ParquetValue])
    case group([ParquetValue])
}

/// How page data is compressed; gzip is given by the caller, which has zlib.
public enum ParquetCompression: Sendable {
    case none
    case snappy
    /// RFC 1952 gzip of one page's bytes.
    case gzip(@Sendable ([UInt8]) -> [UInt8])

    /// Parquet's CompressionCodec number.
    var codec: Int32 {
        switch self {
        case .none: 0
        case .snappy: 1
        case .gzip: 2
        }
    }

    func compress(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .none: bytes
        case .snappy: Snappy.compress(bytes)
        case .gzip(let deflate): deflate(bytes)
        }
    }
}

/// A value that does not fit the column it was given for.
public struct ParquetValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The column's dotted path in the schema.
    public var column: String
    public var expected: String
    public var value: String

    public var description: String {
        "column '\(column)' is \(expected) and cannot hold \(value)"
    }
}

extension ParquetType {
    /// A short name for messages.
    public var name: String {
        switch self {
        case .string: "string"
        case .int64: "int64"
        case .double: "double"
        case .boolean: "boolean"
        case .timestamp: "timestamp"
        case .list(let element): "list<\(element.name)>"
        case .group(let fields): "struct<\(fields.map { "\($0.name): \($0.type.name)" }.joined(separator: ", "))>"
        }
    }
}
