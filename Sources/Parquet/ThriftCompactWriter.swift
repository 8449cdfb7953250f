/// Writes Apache Thrift's compact protocol, the encoding of Parquet's footer
/// and page headers.
///
/// Only what Parquet's structures use: structs, lists, i16/i32/i64, binary
/// and bool fields. Spec:
/// https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
public struct ThriftCompactWriter: Sendable {
    /// The compact protocol's type nibbles.
    public enum FieldType: UInt8, Sendable {
        case booleanTrue = 1
        case booleanFalse = 2
        case byte = 3
        case i16 = 4
        case i32 = 5
        case i64 = 6
        case double = 7
        case binary = 8
        case list = 9
        case set = 10
        case map = 11
        case `struct` = 12
    }

    public private(set) var bytes: [UInt8] = []
    /// The last field id of each open struct: field headers carry the delta from it.
    private var lastFieldIds: [Int16] = [0]

    public init() {}

    // MARK: Struct and field framing

    /// Writes a field header; ids 1 to 15 above the previous one fit in the type byte.
    public mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        let last = lastFieldIds[lastFieldIds.count - 1]
        let delta = Int(id) - Int(last)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeVarint(zigzag(Int64(id)))
        }
        lastFieldIds[lastFieldIds.count - 1] = id
    }

    /// Starts a nested struct's fields (after its field header or list header).
    public mutating func beginStruct() { lastFieldIds.append(0) }

    /// Ends the open struct with the stop byte.
    public mutating func endStruct() {
        bytes.append(0)
        lastFieldIds.removeLast()
    }

    // MARK: Fields

    public mutating func field(_ id: Int16, i32 value: Int32) {
        fieldHeader(id, .i32)
        writeVarint(zigzag(Int64(value)))
    }

    public mutating func field(_ id: Int16, i64 value: Int64) {
        fieldHeader(id, .i64)
        writeVarint(zigzag(value))
    }

    public mutating func field(_ id: Int16, i16 value: Int16) {
        fieldHeader(id, .i16)
        writeVarint(zigzag(Int64(value)))
    }

    /// A bool field's value is its type nibble; no byte follows.
    public mutating func field(_ id: Int16, bool value: Bool) {
        fieldHeader(id, value ? .booleanTrue : .booleanFalse)
    }

    public mutating func field(_ id: Int16, string value: String) {
        fieldHeader(id, .binary)
        binary(Array(value.utf8))
    }

    public mutating func field(_ id: Int16, binary value: [UInt8]) {
        fieldHeader(id, .binary)
        binary(value)
    }

    /// A struct field: `body` writes its fields.
    public mutating func field(_ id: Int16, struct body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .struct)
        beginStruct()
        body(&self)
        endStruct()
    }

    /// A list field of structs, one `body` call per element.
    public mutating func field<T>(_ id: Int16, structs elements: [T], _ body: (inout ThriftCompactWriter, T) -> Void) {
        fieldHeader(id, .list)
        listHeader(count: elements.count, .struct)
        for element in elements {
            beginStruct()
            body(&self, element)
            endStruct()
        }
    }

    public mutating func field(_ id: Int16, i32s elements: [Int32]) {
        fieldHeader(id, .list)
        listHeader(count: elements.count, .i32)
        for element in elements { writeVarint(zigzag(Int64(element))) }
    }

    public mutating func field(_ id: Int16, strings elements: [String]) {
        fieldHeader(id, .list)
        listHeader(count: elements.count, .binary)
        for element in elements { binary(Array(element.utf8)) }
    }

    // MARK: Primitives

    /// Sizes under 15 share the byte with the element type.
    public mutating func listHeader(count: Int, _ elementType: FieldType) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    public mutating func binary(_ value: [UInt8]) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Unsigned LEB128: seven bits a byte, lowest first.
    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Maps signed to unsigned so small magnitudes stay short: 0, -1, 1, -2 -> 0, 1, 2, 3.
    public func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
}
