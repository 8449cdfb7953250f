import Foundation
import Parquet
import Segmentation
import Testing
import Workspace

@testable import Export

@Suite struct JSONLinesEncoderTests {
    func line(_ columns: [String], _ cells: [ExportCell]) throws -> String {
        var out: [UInt8] = []
        var encoder = JSONLinesEncoder(columns: columns)
        encoder.begin(into: &out)
        try encoder.append(ExportRows(columns: cells.count, rows: [(1, cells)]), row: 0, into: &out)
        encoder.finish(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func valuesKeepTheirTypesAndColumnOrder() throws {
        let cells: [ExportCell] = [
            .value(.string("Zoë \"q\"\n")), .value(.int(Int64.max)), .value(.number("12345678901234567890")),
            .value(.double(0.1)), .value(.bool(false)), .value(.null),
            .value(.array([.int(1), .string("a")])), .value(.object(["b": .int(2), "a": .null])),
            .text("realized"), .time(Date(timeIntervalSince1970: 1_700_000_000)),
        ]
        let columns = ["z", "big", "huge", "d", "flag", "missing", "list", "obj", "status", "at"]
        #expect(
            try line(columns, cells)
                == #"{"z":"Zoë \"q\"\n","big":9223372036854775807,"huge":12345678901234567890,"d":0.1,"flag":false,"missing":null,"list":[1,"a"],"obj":{"a":null,"b":2},"status":"realized","at":"2023-11-14T22:13:20Z"}"#
                + "\n")
    }

    /// A profile string read from a page comes as its bytes; every encoder
    /// writes it exactly as it writes the same string as a value.
    @Test func aStringAsBytesEncodesAsTheSameString() throws {
        let strings = ["plain", "Zoë \"q\"\n", "a,b", " padded ", "null", "", "tab\there", "back\\slash 😀", "\u{1}"]
        let values = ExportRows(columns: 1, rows: strings.enumerated().map { (Int64($0), [.value(.string($1))]) })
        var asBytes = ExportRows(columns: 1, text: strings.flatMap { Array($0.utf8) })
        var offset = 0
        for (index, string) in strings.enumerated() {
            asBytes.startRow(pid: Int64(index))
            asBytes.append(.bytes(offset..<(offset + string.utf8.count)))
            offset += string.utf8.count
        }
        func encoded(_ rows: ExportRows, _ encoder: some ExportEncoder) throws -> [UInt8] {
            var encoder = encoder
            var out: [UInt8] = []
            for row in 0..<rows.count { try encoder.append(rows, row: row, into: &out) }
            return out
        }
        let json = JSONLinesEncoder(columns: ["s"])
        #expect(try encoded(asBytes, json) == encoded(values, json))
        for format in [
            CSVFormat.csv, CSVFormat(quoting: .all), CSVFormat(escape: .backslash), CSVFormat(nullValue: .null),
        ] {
            let csv = CSVFileEncoder(encoder: CSVEncoder(format: format, columns: ["s"]))
            #expect(try encoded(asBytes, csv) == encoded(values, csv), "\(format)")
        }
        // And Parquet's conversion reads the same string.
        #expect(
            try ParquetCellConversion.value(asBytes[1, 0], text: asBytes.text, as: .string)
                == ParquetCellConversion.value(values[1, 0], as: .string))
    }

    @Test func columnNamesAreEscaped() throws {
        #expect(try line(["a\"b", "c\\d"], [.value(.int(1)), .value(.null)]) == #"{"a\"b":1,"c\\d":null}"# + "\n")
    }
}

@Suite struct ParquetColumnPlanTests {
    /// A schema path as `profilePaths()` gives it: the types seen, counts zero.
    static func field(_ keys: [String], _ types: [String]) -> ProfileField {
        let json: [String: Any] = ["keys": keys, "types": types.map { ["type": $0, "profiles": 0] }, "profiles": 0]
        return try! JSONDecoder().decode(ProfileField.self, from: JSONSerialization.data(withJSONObject: json))
    }

    static let schema = [
        field(["name"], ["text", "null"]), field(["n"], ["integer"]), field(["price"], ["integer", "real"]),
        field(["flag"], ["true", "false"]), field(["mixed"], ["integer", "text"]), field(["tags"], ["array"]),
        field(["address", "city"], ["text"]), field(["empty"], ["object"]),
    ]

    @Test func typesComeFromTheSchemaAndMixesBecomeText() {
        let sources: [ExportSource] = [
            .attribute(["name"]), .attribute(["n"]), .attribute(["price"]), .attribute(["flag"]),
            .attribute(["mixed"]), .attribute(["tags"]), .attribute(["address"]), .attribute(["nowhere"]),
            .identity(namespace: "Email"), .membershipStatus, .lastQualificationTime, .attribute(["n"]),
        ]
        let hashed = Array(repeating: false, count: 11) + [true]
        let flat = ParquetColumnPlan.fromSchema(
            sources: sources, columns: [], hashed: hashed, schema: Self.schema, nested: false)
        #expect(
            flat == [
                .string, .int64, .double, .boolean, .string, .string, .string, .string, .string, .string, .timestamp,
                .string,
            ])
        let nested = ParquetColumnPlan.fromSchema(
            sources: sources, columns: [], hashed: hashed, schema: Self.schema, nested: true)
        // Arrays and objects get their structure from the rows.
        #expect(nested[5] == nil && nested[6] == nil)
        #expect(nested[0] == .string && nested[7] == .string)
    }

    @Test func shapesMergeToATypeThatHoldsEveryValue() {
        let values: [JSONValue] = [
            .object(["a": .int(1), "tags": .array([.string("x")])]),
            .object(["a": .double(2.5), "b": .bool(true), "tags": .array([])]),
            .null,
        ]
        let shape = values.reduce(ValueShape.unknown) { $0.merged(ValueShape($1)) }
        #expect(
            shape.parquetType
                == .group([
                    ParquetField("a", .double), ParquetField("b", .boolean), ParquetField("tags", .list(.string)),
                ]))
        #expect(ValueShape(.string("x")).merged(ValueShape(.int(1))).parquetType == .string)
        #expect(ValueShape(.object([:])).parquetType == .string)
    }

    @Test func valuesThatDoNotFitAreRefusedNotRounded() throws {
        #expect(try ParquetCellConversion.convert(.int(3), as: .double) == .double(3))
        #expect(try ParquetCellConversion.convert(.number("1.50"), as: .double) == .double(1.5))
        #expect(throws: ParquetCellError.self) {
            try ParquetCellConversion.convert(.int(9_007_199_254_740_993), as: .double)
        }
        #expect(throws: ParquetCellError.self) {
            try ParquetCellConversion.convert(.number("12345678901234567890"), as: .int64)
        }
        #expect(throws: ParquetCellError.self) { try ParquetCellConversion.convert(.number("1e400"), as: .double) }
        #expect(throws: ParquetCellError.self) { try ParquetCellConversion.convert(.string("1"), as: .int64) }
        // Text columns take anything, spelled as a CSV cell would be.
        #expect(try ParquetCellConversion.convert(.array([.int(1)]), as: .string) == .string("[1]"))
        #expect(try ParquetCellConversion.convert(.int(1), as: .string) == .string("1"))
        // Members an object lacks are null; the struct keeps its fields in order.
        #expect(
            try ParquetCellConversion.convert(
                .object(["b": .int(1)]), as: .group([ParquetField("a", .string), ParquetField("b", .int64)]))
                == .group([.null, .int64(1)]))
        #expect(
            try ParquetCellConversion.value(.time(Date(timeIntervalSince1970: 1.5)), as: .timestamp)
                == .timestamp(1_500_000))
    }
}
