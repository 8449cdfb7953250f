import Foundation
import S3
import Testing

/// JSON Lines and Parquet exports against moto, read back by Python's json,
/// pyarrow and DuckDB: every value type, nulls, splits with a manifest,
/// compression, incremental runs, and dry runs that write nothing.
@Suite struct FileTypeExportTests {
    let env = TestEnvironment.shared

    static let profiles = [
        #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"seg":"in","name":"Zoë 😀 naïve","big":9223372036854775807,"huge":12345678901234567890,"score":0.1,"vip":true,"tags":["a","b"],"address":{"city":"Seoul","zip":"04524"},"mixed":1}"#,
        #"{"identityMap":{"Email":[{"id":"b@x.io","primary":true}]},"seg":"in","name":"line\nbreak \"q\", comma","big":-42,"huge":1,"score":-1.5e300,"vip":false,"tags":[],"address":{"city":"Busan"},"mixed":"one"}"#,
        #"{"identityMap":{"Email":[{"id":"c@x.io","primary":true}]},"seg":"in"}"#,
        #"{"identityMap":{"Email":[{"id":"d@x.io","primary":true}]},"seg":"out","name":"not a member"}"#,
    ]

    static let maps = [
        "identityMap.Email=email", "name", "big", "score", "vip", "tags", "address", "mixed",
        "segmentMembership.lastQualificationTime=qualified",
    ].flatMap { ["--map", $0] }

    func setUp(_ destinations: [(name: String, options: [String])], prefix: String) async throws -> WorkspaceCLI {
        let cli = WorkspaceCLI(environment: env.awsEnvironment())
        try await cli.importLines(Self.profiles)
        #expect(try await cli(["segments", "create", "members", "--pql", #"seg = "in""#]).exitCode == 0)
        for (name, options) in destinations {
            let created = try await cli(
                ["destinations", "create", name, "--bucket", env.bucket, "--folder-path", prefix + name] + options)
            #expect(created.exitCode == 0, "\(created.stderr)")
        }
        return cli
    }

    /// The keys an export printed, with their row counts.
    func exportedFiles(_ result: FerryRun) -> [(key: String, rows: Int)] {
        result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.trimmingCharacters(in: .whitespaces).split(separator: "\t")
            guard fields.count == 3, fields[0].hasPrefix("s3://") else { return nil }
            return (String(fields[0].dropFirst("s3://\(env.bucket)/".count)), Int(fields[1].split(separator: " ")[0])!)
        }
    }

    func download(_ key: String) async throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            UUID().uuidString + "-" + (key.split(separator: "/").last.map(String.init) ?? "file"))
        try Data(try await env.client().getObject(bucket: env.bucket, key: key)).write(to: url)
        return url
    }

    /// Rows as pyarrow and DuckDB read them, each normalized to JSON (times as
    /// ISO text, floats by repr); the script fails unless both readers agree.
    static let readParquet = """
        import pyarrow.parquet as pq, pyarrow as pa, duckdb, json, sys, datetime
        def conv(v):
            if isinstance(v, datetime.datetime): return v.isoformat()
            if isinstance(v, float): return repr(v)
            if isinstance(v, list): return [conv(x) for x in v]
            if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
            return v
        paths = sys.argv[1:]
        table = pa.concat_tables([pq.read_table(p) for p in paths])
        rows = [{k: conv(v) for k, v in r.items()} for r in table.to_pylist()]
        files = ", ".join("'" + p + "'" for p in paths)
        rel = duckdb.sql(f"SELECT * FROM read_parquet([{files}])")
        duck = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
        duck = [{k: conv(v.astimezone(datetime.timezone.utc) if isinstance(v, datetime.datetime) else v) for k, v in r.items()} for r in duck]
        assert duck == rows, (duck, rows)
        print(json.dumps({"schema": [f"{f.name}:{f.type}" for f in table.schema],
                          "rows": [{k: v for k, v in r.items() if k != "qualified"} for r in rows],
                          "qualified": [r["qualified"] is not None and r["qualified"].endswith("+00:00") for r in rows]},
                         ensure_ascii=False, sort_keys=True))
        """

    func readParquet(_ keys: [String]) async throws -> [String: Any] {
        var paths: [String] = []
        for key in keys { paths.append(try await download(key).path) }
        let output = try await runPython(["-c", Self.readParquet] + paths)
        return try JSONSerialization.jsonObject(with: output) as? [String: Any] ?? [:]
    }

    static let flatRows = """
        [{"address": "{\\"city\\":\\"Seoul\\",\\"zip\\":\\"04524\\"}", "big": 9223372036854775807, "email": "a@x.io", "mixed": "1", "name": "Zoë 😀 naïve", "score": "0.1", "tags": "[\\"a\\",\\"b\\"]", "vip": true}, \
        {"address": "{\\"city\\":\\"Busan\\"}", "big": -42, "email": "b@x.io", "mixed": "one", "name": "line\\nbreak \\"q\\", comma", "score": "-1.5e+300", "tags": "[]", "vip": false}, \
        {"address": null, "big": null, "email": "c@x.io", "mixed": null, "name": null, "score": null, "tags": null, "vip": null}]
        """

    func canonical(_ value: Any) async throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: ["none", "snappy", "gzip"])
    func parquetReadsBackExactlyWithPyarrowAndDuckDB(compression: String) async throws {
        let prefix = TestEnvironment.prefix("parquet-\(compression)")
        let cli = try await setUp([("pq", ["--file-type", "parquet", "--compression", compression])], prefix: prefix)
        #expect(
            try await cli(["activations", "create", "a", "--destination", "pq", "--segment", "members"] + Self.maps)
                .exitCode
                == 0)
        let exported = try await cli(["export", "a"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let files = exportedFiles(exported)
        #expect(files.count == 1)
        #expect(files.first?.key.hasSuffix(".parquet") == true)
        let read = try await readParquet(files.map(\.key))
        #expect(
            read["schema"] as? [String] == [
                "email:string", "name:string", "big:int64", "score:double", "vip:bool", "tags:string",
                "address:string", "mixed:string", "qualified:timestamp[us, tz=UTC]",
            ])
        #expect(
            try await canonical(read["rows"] ?? [])
                == (try canonical(JSONSerialization.jsonObject(with: Data(Self.flatRows.utf8)))))
        #expect(read["qualified"] as? [Bool] == [true, true, true])
    }

    @Test func nestedParquetHasListsAndStructs() async throws {
        let prefix = TestEnvironment.prefix("parquet-nested")
        let cli = try await setUp(
            [("pq", ["--file-type", "parquet", "--nested", "--compression", "snappy"])], prefix: prefix)
        #expect(
            try await cli(["activations", "create", "a", "--destination", "pq", "--segment", "members"] + Self.maps)
                .exitCode
                == 0)
        let exported = try await cli(["export", "a"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let read = try await readParquet(exportedFiles(exported).map(\.key))
        let schema = read["schema"] as? [String] ?? []
        #expect(schema.contains("tags:list<element: string>"))
        #expect(schema.contains("address:struct<city: string, zip: string>"))
        let rows = read["rows"] as? [[String: Any]] ?? []
        #expect(
            try await canonical(rows.map { ["tags": $0["tags"]!, "address": $0["address"]!] }) == """
                [{"address":{"city":"Seoul","zip":"04524"},"tags":["a","b"]},{"address":{"city":"Busan","zip":null},"tags":[]},{"address":null,"tags":null}]
                """)
    }

    /// Python's json module reads every line; numbers keep every digit, containers stay nested.
    @Test(arguments: ["none", "gzip"])
    func jsonLinesReadBackWithPythonsJSON(compression: String) async throws {
        let prefix = TestEnvironment.prefix("jsonl-\(compression)")
        let cli = try await setUp([("js", ["--file-type", "json", "--compression", compression])], prefix: prefix)
        #expect(
            try await cli(
                ["activations", "create", "a", "--destination", "js", "--segment", "members", "--map", "huge"]
                    + Self.maps
            ).exitCode == 0)
        let exported = try await cli(["export", "a"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let key = try #require(exportedFiles(exported).first?.key)
        #expect(key.hasSuffix(compression == "gzip" ? ".json.gz" : ".json"))
        let path = try await download(key).path
        let output = try await runPython([
            "-c",
            """
            import json, sys, gzip, datetime
            opener = gzip.open if sys.argv[1].endswith('.gz') else open
            rows = []
            with opener(sys.argv[1], 'rt', encoding='utf-8') as f:
                for line in f:
                    row = json.loads(line)
                    q = row.pop('qualified')
                    assert datetime.datetime.fromisoformat(q.replace('Z', '+00:00')).tzinfo is not None
                    assert isinstance(row['big'], (int, type(None))) and isinstance(row['huge'], (int, type(None)))
                    rows.append(row)
            print(json.dumps(rows, ensure_ascii=False, sort_keys=True))
            """, path,
        ])
        let expected = """
            [{"address": {"city": "Seoul", "zip": "04524"}, "big": 9223372036854775807, "email": "a@x.io", "huge": 12345678901234567890, "mixed": 1, "name": "Zoë 😀 naïve", "score": 0.1, "tags": ["a", "b"], "vip": true}, \
            {"address": {"city": "Busan"}, "big": -42, "email": "b@x.io", "huge": 1, "mixed": "one", "name": "line\\nbreak \\"q\\", comma", "score": -1.5e+300, "tags": [], "vip": false}, \
            {"address": null, "big": null, "email": "c@x.io", "huge": null, "mixed": null, "name": null, "score": null, "tags": null, "vip": null}]
            """
        #expect(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .newlines) == expected)
    }

    /// A small --max-rows-per-file forces the split; the manifest lists each
    /// file as stored, and the files together hold every row once, in order.
    @Test(arguments: ["parquet", "json"])
    func splitFilesWithAManifest(fileType: String) async throws {
        let prefix = TestEnvironment.prefix("split-\(fileType)")
        let cli = try await setUp([("d", ["--file-type", fileType, "--manifest"])], prefix: prefix)
        #expect(
            try await cli(
                [
                    "activations", "create", "a", "--destination", "d", "--segment", "members", "--max-rows-per-file",
                    "2",
                ]
                    + Self.maps
            ).exitCode == 0)
        let exported = try await cli(["export", "a"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let files = exportedFiles(exported)
        #expect(files.map(\.rows) == [2, 1])
        #expect(files.allSatisfy { $0.key.hasSuffix("." + fileType) })
        let listing = try await env.client().listObjects(bucket: env.bucket, prefix: prefix)
        let manifestKey = try #require(listing.map(\.key).first { $0.contains("manifest-") })
        let manifest =
            try JSONSerialization.jsonObject(
                with: Data(try await env.client().getObject(bucket: env.bucket, key: manifestKey)))
            as? [String: Any]
        let entries = manifest?["exportResults"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["rows"] as? Int } == [2, 1])
        for (entry, file) in zip(entries, files) {
            let body = try await env.client().getObject(bucket: env.bucket, key: file.key)
            #expect(entry["size"] as? Int == body.count)
            #expect(entry["sha256"] as? String == SigV4Signer.sha256Hex(body))
            #expect(file.key.hasSuffix(entry["name"] as? String ?? "?"))
        }
        if fileType == "parquet" {
            let read = try await readParquet(files.map(\.key))
            let rows = read["rows"] as? [[String: Any]] ?? []
            #expect(rows.map { $0["email"] as? String } == ["a@x.io", "b@x.io", "c@x.io"])
        }
    }

    @Test func incrementalParquetSendsOnlyTheNewMembers() async throws {
        let prefix = TestEnvironment.prefix("incr-parquet")
        let cli = try await setUp([("pq", ["--file-type", "parquet"])], prefix: prefix)
        #expect(
            try await cli(
                [
                    "activations", "create", "a", "--destination", "pq", "--segment", "members", "--mode",
                    "incremental", "--file-name", "%DESTINATION_NAME%_%SEGMENT_ID%_%TIMESTAMP%",
                ] + Self.maps
            ).exitCode == 0)
        let first = try await cli(["export", "a", "--at", "2026-11-30T00:00:00Z"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(exportedFiles(first).map(\.rows) == [3])
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"e@x.io","primary":true}]},"seg":"in","name":"Eve","big":7,"score":2.5,"vip":true}"#
        ])
        #expect(try await cli(["segments", "evaluate", "members"]).exitCode == 0)
        let second = try await cli(["export", "a", "--at", "2026-12-01T00:00:00Z"])
        #expect(second.exitCode == 0, "\(second.stderr)")
        let files = exportedFiles(second)
        #expect(files.map(\.rows) == [1])
        let read = try await readParquet(files.map(\.key))
        let rows = read["rows"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["email"] as? String } == ["e@x.io"])
        #expect((rows.first?["big"] as? NSNumber)?.intValue == 7)
    }

    /// With keys that may not write, a dry run still shows everything and leaves the bucket as it was.
    @Test(arguments: ["csv", "json", "parquet"])
    func dryRunWritesNothingAndNeedsNoWritePermission(fileType: String) async throws {
        let prefix = TestEnvironment.prefix("dry-\(fileType)")
        let cli = try await setUp([], prefix: prefix)
        let readOnly = env.awsEnvironment(user: "no-s3:PutObject")
        let created = try await cli(
            [
                "destinations", "create", "ro", "--bucket", env.bucket, "--folder-path", prefix + "ro", "--file-type",
                fileType, "--manifest", "--skip-validation",
            ], user: readOnly)
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(
            try await cli(
                [
                    "activations", "create", "a", "--destination", "ro", "--segment", "members", "--mandatory", "name",
                    "--max-rows-per-file", "1",
                ] + Self.maps
            ).exitCode == 0)
        let dry = try await cli(["export", "a", "--dry-run"], user: readOnly)
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("received 3, exported 2, excluded 1 (missing a mandatory field: 1, duplicate: 0)"))
        let keys = exportedFiles(dry)
        #expect(keys.map(\.rows) == [1, 1])
        #expect(keys.allSatisfy { $0.key.hasPrefix(prefix + "ro/") })
        #expect(dry.stdout.contains("manifest s3://"))
        #expect(dry.stdout.contains("a@x.io"))
        #expect(dry.stdout.contains(fileType == "csv" ? "email,name,big" : "\"email\":\"b@x.io\""))
        if fileType == "parquet" {
            #expect(dry.stdout.contains("parquet schema: email: string, name: string, big: int64"))
        }
        #expect(try await env.client(user: "admin").listObjects(bucket: env.bucket, prefix: prefix).isEmpty)
        #expect(try await env.client(user: "admin").listMultipartUploads(bucket: env.bucket, prefix: prefix).isEmpty)
        let runs = try await cli(["runs", "list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.isEmpty == true)
    }

    @Test func badFileOptionsAreRefused() async throws {
        let cli = try await setUp([], prefix: TestEnvironment.prefix("bad-file-options"))
        let cases: [([String], String)] = [
            (["--file-type", "xml"], "--file-type must be one of csv, tsv, json, parquet"),
            (["--file-type", "csv", "--compression", "snappy"], "--compression snappy is for parquet files"),
            (["--file-type", "json", "--nested"], "--nested is for parquet files"),
        ]
        for (options, needle) in cases {
            let result = try await cli(
                ["destinations", "create", "x", "--bucket", env.bucket, "--skip-validation"] + options)
            #expect(result.exitCode == 2, "\(options)")
            #expect(result.stderr.contains(needle), "\(result.stderr)")
        }
    }

    /// A value a column's Parquet type cannot hold fails the run, naming the column and the profile.
    @Test func aValueBeyondItsParquetTypeFailsTheRunNamingIt() async throws {
        let cli = try await setUp(
            [("pq", ["--file-type", "parquet"])], prefix: TestEnvironment.prefix("parquet-beyond"))
        #expect(
            try await cli([
                "activations", "create", "a", "--destination", "pq", "--segment", "members", "--map", "huge",
            ])
            .exitCode == 0)
        let exported = try await cli(["export", "a"])
        #expect(exported.exitCode != 0)
        #expect(exported.stderr.contains("column 'huge'"), "\(exported.stderr)")
        #expect(exported.stderr.contains("a@x.io"), "\(exported.stderr)")
    }
}
