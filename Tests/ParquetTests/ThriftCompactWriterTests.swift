import Testing

@testable import Parquet

@Suite struct ThriftCompactWriterTests {
    static let varints: [(Int64, [UInt8])] = [
        (0, [0]), (-1, [1]), (1, [2]), (-64, [127]), (64, [0x80, 0x01]), (150, [0xAC, 0x02]),
        (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test(arguments: varints)
    func zigzagVarints(value: Int64, bytes: [UInt8]) {
        var w = ThriftCompactWriter()
        w.writeVarint(w.zigzag(value))
        #expect(w.bytes == bytes)
    }

    @Test func shortFieldHeadersCarryTheDelta() {
        var w = ThriftCompactWriter()
        w.field(1, i32: 1)
        w.field(3, i64: -2)
        w.field(4, string: "ab")
        w.endStruct()
        // delta 1 type i32, zigzag 1 = 2; delta 2 type i64, zigzag -2 = 3; delta 1 binary, length 2, "ab"; stop.
        #expect(w.bytes == [0x15, 0x02, 0x26, 0x03, 0x18, 0x02, 0x61, 0x62, 0x00])
    }

    @Test func aJumpOver15OrBackwardsUsesTheLongForm() {
        var w = ThriftCompactWriter()
        w.field(20, i32: 0)
        w.field(2, i32: 0)
        w.endStruct()
        // type byte, zigzag varint id 20 = 40, value; then id 2 (backwards) the same way.
        #expect(w.bytes == [0x05, 40, 0x00, 0x05, 4, 0x00, 0x00])
    }

    @Test func boolsAreTheirTypeNibble() {
        var w = ThriftCompactWriter()
        w.field(1, bool: true)
        w.field(2, bool: false)
        w.endStruct()
        #expect(w.bytes == [0x11, 0x12, 0x00])
    }

    @Test func nestedStructsRestartTheDelta() {
        var w = ThriftCompactWriter()
        w.field(5) { inner in inner.field(1, i32: 7) }
        w.field(6, i32: 1)
        w.endStruct()
        #expect(w.bytes == [0x5C, 0x15, 0x0E, 0x00, 0x15, 0x02, 0x00])
    }

    @Test func listsOfFifteenOrMoreCarryTheirSize() {
        var w = ThriftCompactWriter()
        w.listHeader(count: 3, .i32)
        w.listHeader(count: 15, .struct)
        w.listHeader(count: 300, .binary)
        #expect(w.bytes == [0x35, 0xFC, 0x0F, 0xF8, 0xAC, 0x02])
    }

    @Test func listOfStructs() {
        var w = ThriftCompactWriter()
        w.field(1, structs: [1, 2]) { w, n in w.field(1, i32: Int32(n)) }
        w.endStruct()
        #expect(w.bytes == [0x19, 0x2C, 0x15, 0x02, 0x00, 0x15, 0x04, 0x00, 0x00])
    }
}
