import Foundation
import TestSupport
import Testing

@testable import Export

/// Python's `csv` module (and pandas, when importable) must read every encoded file back to the exact values.
struct CSVRoundTripTests {
    static let awkwardValues: [String] = [
        "plain", "", " ", "   ", " leading", "trailing ", " both ", "a,b", ",", ",,,",
        "a;b|c:d", "tab\there", "\t", "say \"hi\"", "\"", "\"\"", "\"quoted\"", "it's", "'", "''",
        #"back\slash"#, #"\"#, #"ends\"#, #"\""#, #"\,"#, "line1\nline2", "\n", "cr\rcr", "crlf\r\nline",
        "\r\n", "trailing newline\n", "ünïcødé", "東京, 大阪", "🚀 \"rocket\"", "👩‍👩‍👧‍👦", "\u{00A0}nbsp\u{00A0}",
        "null", "NULL", "NaN", "N/A", "#comment", "=1+2", "-", "0001", "1e5", "true",
        String(repeating: "long,\"field\"\n", count: 200),
    ]

    /// A header, one row per awkward value between two ordinary columns, and a row of null and empty values.
    static func table() -> (header: [String], rows: [[CSVField]], expected: [[String]]) {
        let header = ["id", "value, with comma", "end"]
        var rows: [[CSVField]] = []
        var expected: [[String]] = [header]
        for (index, value) in awkwardValues.enumerated() {
            rows.append([.text(String(index)), .text(value), .text("end")])
            expected.append([String(index), value, "end"])
        }
        rows.append([.null, .text(""), .null])
        expected.append(["", "", ""])
        return (header, rows, expected)
    }

    struct Reader: Sendable, CustomTestStringConvertible {
        var name: String
        var format: CSVFormat
        /// Keyword arguments for `csv.reader`, as JSON understood by the script below.
        var options: [String: String]
        var testDescription: String { name }
    }

    static let readers: [Reader] = [
        Reader(name: "csv defaults", format: .csv, options: [:]),
        Reader(name: "tsv", format: .tsv, options: ["delimiter": "\t"]),
        Reader(name: "crlf", format: CSVFormat(lineEnding: "\r\n"), options: [:]),
        Reader(
            name: "semicolon quote all", format: CSVFormat(delimiter: .semicolon, quoting: .all),
            options: ["delimiter": ";"]),
        Reader(
            name: "quoted-empty placeholders",
            format: CSVFormat(delimiter: .colon, nullValue: .quotedEmpty, emptyValue: .quotedEmpty),
            options: ["delimiter": ":"]),
        Reader(
            name: "pipe backslash", format: CSVFormat(delimiter: .pipe, escape: .backslash),
            options: ["delimiter": "|", "escapechar": "\\"]),
        Reader(name: "apostrophe escape", format: CSVFormat(escape: .quote), options: ["escapechar": "'"]),
        Reader(
            name: "no quoting, backslash", format: CSVFormat(quoting: .none, escape: .backslash),
            options: ["escapechar": "\\", "quoting": "none"]),
        Reader(
            name: "tsv no quoting, backslash", format: CSVFormat(delimiter: .tab, quoting: .none, escape: .backslash),
            options: ["delimiter": "\t", "escapechar": "\\", "quoting": "none"]),
    ]

    static let script = #"""
        import csv, json, sys
        path, options = sys.argv[1], json.loads(sys.argv[2])
        kwargs = {}
        if "delimiter" in options:
            kwargs["delimiter"] = options["delimiter"]
        if "escapechar" in options:
            kwargs["escapechar"] = options["escapechar"]
            kwargs["doublequote"] = False
        if options.get("quoting") == "none":
            kwargs["quoting"] = csv.QUOTE_NONE
        with open(path, newline="", encoding="utf-8") as f:
            result = {"csv": list(csv.reader(f, **kwargs))}
        try:
            import pandas
        except ImportError:
            pandas = None
        if pandas is not None:
            frame = pandas.read_csv(path, sep=kwargs.get("delimiter", ","), header=None, dtype=str,
                                    keep_default_na=False, encoding="utf-8", **{k: v for k, v in kwargs.items() if k != "delimiter"})
            result["pandas"] = frame.values.tolist()
        print(json.dumps(result))
        """#

    struct Output: Decodable {
        var csv: [[String]]
        var pandas: [[String]]?
    }

    @Test(arguments: readers)
    func pythonReadsBackExactValues(_ reader: Reader) async throws {
        let (header, rows, expected) = Self.table()
        let encoder = CSVEncoder(format: reader.format)
        var bytes: [UInt8] = []
        encoder.appendHeader(header, to: &bytes)
        for row in rows { try encoder.appendRow(row, to: &bytes) }

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-csv-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }

        let options = String(decoding: try JSONEncoder().encode(reader.options), as: UTF8.self)
        let output = try await Self.runPython(arguments: ["-c", Self.script, url.path, options])
        let decoded = try JSONDecoder().decode(Output.self, from: output)
        #expect(decoded.csv.count == expected.count)
        for (index, row) in expected.enumerated() where index < decoded.csv.count {
            #expect(decoded.csv[index] == row, "csv row \(index)")
        }
        if let pandas = decoded.pandas {
            #expect(pandas.count == expected.count)
            for (index, row) in expected.enumerated() where index < pandas.count {
                #expect(pandas[index] == row, "pandas row \(index)")
            }
        }
    }

    /// Runs `python3` from PATH and returns its standard output; a non-zero exit fails with its standard error.
    static func runPython(arguments: [String]) async throws -> Data {
        let result = try await CapturedOutput.run("python3", arguments)
        if result.status != 0 {
            Issue.record("python3 failed: \(String(decoding: result.stderr, as: UTF8.self))")
        }
        return result.stdout
    }
}
