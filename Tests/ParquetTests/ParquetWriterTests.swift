import Foundation
import Testing

@testable import Parquet

/// Files written here are read back by pyarrow and DuckDB, the readers
/// users will point at them, and compared value for value.
@Suite struct ParquetWriterTests {
    static func write(
        _ fields: [ParquetField], _ rows: [[ParquetValue]], compression: ParquetCompression = .none,
        rowGroupBytes: Int = 16 << 20
    ) throws -> URL {
        var writer = ParquetWriter(fields: fields, compression: compression, rowGroupBytes: rowGroupBytes)
        var out: [UInt8] = []
        for row in rows {
            try writer.append(row)
            if writer.rowGroupIsFull { writer.flushRowGroup(into: &out) }
        }
        writer.finish(into: &out)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString).parquet")
        try Data(out).write(to: url)
        return url
    }

    /// pyarrow's rows as JSON, with timestamps as ISO text and floats in repr.
    static func readWithPyarrow(_ url: URL) async throws -> String {
        try await runPython(
            """
            import pyarrow.parquet as pq, json, sys, datetime
            t = pq.read_table(sys.argv[1])
            def conv(v):
                if isinstance(v, datetime.datetime): return v.isoformat()
                if isinstance(v, float): return repr(v)
                if isinstance(v, list): return [conv(x) for x in v]
                if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
                return v
            print(json.dumps({'schema': [f'{f.name}:{f.type}' for f in t.schema],
                              'rows': [{k: conv(v) for k, v in r.items()} for r in t.to_pylist()]},
                             ensure_ascii=False, sort_keys=True))
            """, url.path)
    }

    static let flatFields = [
        ParquetField("name", .string), ParquetField("count", .int64), ParquetField("score", .double),
        ParquetField("active", .boolean), ParquetField("seen", .timestamp),
    ]

    static let flatRows: [[ParquetValue]] = [
        [.string("Zoë 😀 naïve"), .int64(Int64.max), .double(0.1), .boolean(true), .timestamp(1_700_000_000_123_456)],
        [.null, .null, .null, .null, .null],
        [.string(""), .int64(Int64.min), .double(-1.5e300), .boolean(false), .timestamp(0)],
        [.string("line\nbreak, \"quoted\""), .int64(-1), .double(123456789.125), .null, .timestamp(-1_000_000)],
    ]

    @Test(arguments: ["none", "snappy"])
    func flatTypesReadBackExactly(codec: String) async throws {
        let url = try Self.write(Self.flatFields, Self.flatRows, compression: codec == "snappy" ? .snappy : .none)
        defer { try? FileManager.default.removeItem(at: url) }
        let json = try await Self.readWithPyarrow(url)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(
            parsed["schema"] as! [String] == [
                "name:string", "count:int64", "score:double", "active:bool", "seen:timestamp[us, tz=UTC]",
            ])
        let rows = parsed["rows"] as! [[String: Any]]
        #expect(rows.count == 4)
        #expect(rows[0]["name"] as? String == "Zoë 😀 naïve")
        #expect((rows[0]["count"] as? NSNumber)?.int64Value == Int64.max)
        #expect(rows[0]["score"] as? String == "0.1")
        #expect(rows[0]["active"] as? Bool == true)
        #expect(rows[0]["seen"] as? String == "2023-11-14T22:13:20.123456+00:00")
        #expect(rows[1].values.allSatisfy { $0 is NSNull })
        #expect(rows[2]["name"] as? String == "")
        #expect((rows[2]["count"] as? NSNumber)?.int64Value == Int64.min)
        #expect(rows[2]["score"] as? String == "-1.5e+300")
        #expect(rows[2]["active"] as? Bool == false)
        #expect(rows[2]["seen"] as? String == "1970-01-01T00:00:00+00:00")
        #expect(rows[3]["name"] as? String == "line\nbreak, \"quoted\"")
        #expect(rows[3]["active"] is NSNull)
        #expect(rows[3]["seen"] as? String == "1969-12-31T23:59:59+00:00")
    }

    @Test func nestedListsAndStructs() async throws {
        let fields = [
            ParquetField("tags", .list(.string)),
            ParquetField(
                "person",
                .group([
                    ParquetField("first", .string), ParquetField("age", .int64), ParquetField("ids", .list(.int64)),
                ])),
            ParquetField("matrix", .list(.list(.double))),
        ]
        let tags: ParquetValue = .list([.string("a"), .null, .string("ü")])
        let ids: ParquetValue = .list([.int64(1), .int64(2)])
        let person: ParquetValue = .group([.string("Ann"), .int64(41), ids])
        let first: ParquetValue = .list([.double(1), .double(2.5)])
        let matrix: ParquetValue = .list([first, .list([]), .null])
        let emptyPerson: ParquetValue = .group([.null, .null, .null])
        let small: ParquetValue = .list([.list([.double(-0.25)])])
        let rows: [[ParquetValue]] = [
            [tags, person, matrix], [.list([]), emptyPerson, .null], [.null, .null, small],
        ]
        let url = try Self.write(fields, rows)
        defer { try? FileManager.default.removeItem(at: url) }
        let json = try await Self.readWithPyarrow(url)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(
            parsed["schema"] as! [String] == [
                "tags:list<element: string>", "person:struct<first: string, age: int64, ids: list<element: int64>>",
                "matrix:list<element: list<element: double>>",
            ])
        let expected = """
            [{"matrix": [["1.0", "2.5"], [], null], "person": {"age": 41, "first": "Ann", "ids": [1, 2]}, "tags": ["a", null, "ü"]}, \
            {"matrix": null, "person": {"age": null, "first": null, "ids": null}, "tags": []}, \
            {"matrix": [["-0.25"]], "person": null, "tags": null}]
            """
        let rowsJSON = try await runPython(
            "import json,sys; print(json.dumps(json.loads(sys.argv[1])['rows'], ensure_ascii=False, sort_keys=True))",
            json)
        #expect(rowsJSON.trimmingCharacters(in: .newlines) == expected)
    }

    @Test func manyRowGroupsAndDuckDBAgrees() async throws {
        let count = 50_000
        let rows: [[ParquetValue]] = (0..<count).map { i -> [ParquetValue] in
            let name: ParquetValue = i % 7 == 0 ? .null : .string("user\(i)@example.com")
            let score: ParquetValue = i % 3 == 0 ? .null : .double(Double(i) / 8)
            return [name, .int64(Int64(i) * 1_000_003), score, .boolean(i % 2 == 0), .timestamp(Int64(i) * 1_000_000)]
        }
        let url = try Self.write(Self.flatFields, rows, compression: .snappy, rowGroupBytes: 256 * 1024)
        defer { try? FileManager.default.removeItem(at: url) }
        let summary = try await runPython(
            """
            import pyarrow.parquet as pq, duckdb, sys
            f = pq.ParquetFile(sys.argv[1])
            t = f.read()
            d = duckdb.sql(f"SELECT count(*), count(name), sum(count), sum(score), sum(CASE WHEN active THEN 1 ELSE 0 END), max(seen) FROM read_parquet('{sys.argv[1]}')").fetchall()[0]
            print(f.metadata.num_row_groups > 5, t.num_rows, t.column('name').null_count, d[0], d[1], d[2], d[3], d[4], d[5].isoformat())
            """, url.path)
        let names = (0..<count).filter { $0 % 7 != 0 }.count
        let sumCount = (0..<count).reduce(Int64(0)) { $0 + Int64($1) * 1_000_003 }
        let sumScore = (0..<count).filter { $0 % 3 != 0 }.reduce(0.0) { $0 + Double($1) / 8 }
        #expect(
            summary.trimmingCharacters(in: .newlines)
                == "True \(count) \(count - names) \(count) \(names) \(sumCount) \(sumScore) \(count / 2) 1970-01-01T13:53:19+00:00"
        )
    }

    /// Each chunk's min_value/max_value, as pyarrow reads them from the footer:
    /// strings by unsigned bytes, signed integers, NaN left out, zeros widened
    /// to both signs, and no bounds for a chunk of nulls.
    @Test func chunkStatisticsHoldEachColumnsBounds() async throws {
        let fields = Self.flatFields + [ParquetField("none", .string), ParquetField("zero", .double)]
        let rows = Self.flatRows.enumerated().map { i, row in
            row + [.null, i == 0 ? .double(.nan) : i == 1 ? .null : .double(0)]
        }
        let url = try Self.write(fields, rows, compression: .snappy)
        defer { try? FileManager.default.removeItem(at: url) }
        let output = try await runPython(
            """
            import pyarrow.parquet as pq, sys
            m = pq.ParquetFile(sys.argv[1]).metadata.row_group(0)
            show = lambda v: v.isoformat() if hasattr(v, 'isoformat') else repr(v)
            for c in range(m.num_columns):
                s = m.column(c).statistics
                print(m.column(c).path_in_schema, s.null_count, s.has_min_max,
                      show(s.min) if s.has_min_max else '-', show(s.max) if s.has_min_max else '-')
            """, url.path)
        #expect(
            output.split(separator: "\n").map(String.init) == [
                #"name 1 True '' 'line\nbreak, "quoted"'"#,
                "count 1 True -9223372036854775808 9223372036854775807",
                "score 1 True -1.5e+300 123456789.125",
                "active 2 True False True",
                "seen 1 True 1969-12-31T23:59:59+00:00 2023-11-14T22:13:20.123456+00:00",
                "none 4 False - -",
                "zero 1 True -0.0 0.0",
            ])
    }

    @Test func anEmptyFileHasItsSchema() async throws {
        let url = try Self.write(Self.flatFields, [])
        defer { try? FileManager.default.removeItem(at: url) }
        let json = try await Self.readWithPyarrow(url)
        #expect(json.contains("\"rows\": []"))
        #expect(json.contains("seen:timestamp[us, tz=UTC]"))
    }

    @Test func aRowThatDoesNotFitIsRefusedWhole() throws {
        var writer = ParquetWriter(fields: Self.flatFields)
        #expect(throws: ParquetValueError.self) {
            try writer.append([.string("a"), .string("not a number"), .null, .null, .null])
        }
        #expect(writer.bufferedRows == 0)
        #expect(throws: ParquetValueError.self) { try writer.append([.null]) }
        try writer.append(Self.flatRows[0])
        #expect(writer.bufferedRows == 1)
    }

    @Test func levelsUseBothRunKinds() {
        // 3 values bit-packed (padded to 8), then an RLE run of 20 ones... after a group boundary.
        var out: [UInt8] = []
        ColumnBuffer.appendLevels([1, 0, 1] + [UInt8](repeating: 1, count: 20), max: 1, to: &out)
        // length prefix; packed header (1 group: 1<<1|1 = 3), bits 1,0,1,1,1,1,1,1 = 0b1111_1101; RLE 15 ones: 30, 1.
        #expect(out == [4, 0, 0, 0, 3, 0xFD, 30, 1])
    }
}

@Suite struct ParquetDictionaryTests {
    /// Repeated strings are dictionary-encoded (pyarrow reports RLE_DICTIONARY);
    /// distinct ones stay PLAIN; both read back exactly, nulls and lists included.
    @Test(arguments: ["none", "snappy"])
    func repeatedStringsUseADictionary(codec: String) async throws {
        let countries = ["KR", "US", "Ünïcode", ""]
        let rows: [[ParquetValue]] = (0..<20_000).map { i -> [ParquetValue] in
            let country: ParquetValue = i % 11 == 0 ? .null : .string(countries[i % countries.count])
            let tags: ParquetValue = .list((0..<(i % 3)).map { .string(countries[($0 + i) % 2]) })
            return [country, .string("id-\(i)"), tags]
        }
        let fields = [
            ParquetField("country", .string), ParquetField("id", .string), ParquetField("tags", .list(.string)),
        ]
        let url = try ParquetWriterTests.write(
            fields, rows, compression: codec == "snappy" ? .snappy : .none, rowGroupBytes: 64 * 1024)
        defer { try? FileManager.default.removeItem(at: url) }
        let output = try await runPython(
            """
            import pyarrow.parquet as pq, json, sys
            f = pq.ParquetFile(sys.argv[1])
            encodings = sorted({(f.metadata.row_group(g).column(c).path_in_schema, e)
                for g in range(f.metadata.num_row_groups) for c in range(3)
                for e in f.metadata.row_group(g).column(c).encodings})
            print(json.dumps({"groups": f.metadata.num_row_groups, "encodings": encodings,
                              "rows": f.read().to_pylist()}, ensure_ascii=False))
            """, url.path)
        let parsed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        #expect((parsed["groups"] as! Int) > 1)
        let encodings = (parsed["encodings"] as! [[String]]).map { $0.joined(separator: " ") }
        #expect(encodings.contains("country RLE_DICTIONARY"))
        #expect(encodings.contains("tags.list.element RLE_DICTIONARY"))
        #expect(!encodings.contains("id RLE_DICTIONARY"))
        let read = parsed["rows"] as! [[String: Any]]
        #expect(read.count == rows.count)
        for (i, row) in read.enumerated() {
            let country = i % 11 == 0 ? nil : countries[i % countries.count]
            #expect(row["country"] as? String == country)
            #expect(row["id"] as? String == "id-\(i)")
            #expect(row["tags"] as? [String] == (0..<(i % 3)).map { countries[($0 + i) % 2] })
        }
    }
}
