import Foundation
import PostgresNIO
import Segmentation
import Workspace

/// The typed columns of profiles on PostgreSQL, the layout `SQLDialect`
/// describes: per attribute path N, `vN` holds the value as `jsonb` and `tN`
/// the SQLite `json_type` name of it. The `vN` live in `profile_value` (pid,
/// v1, v2, ...), beside `profile` rather than in it: a segment's scan then
/// reads a narrow row instead of one with the whole document (a third of the
/// pages at the bench's profiles). Triggers on `profile` fill them from `doc`
/// for every write of a document (COPY, a merge, a re-import, a delete), in
/// the writing statement, so no write path has code of its own for them.
/// `tN` is derived from `vN` where a segment reads it (`typedProfiles`):
/// storing it too would double what each imported row costs. `sN` and `nN`
/// hold it as text or numeric when it is a string or a number, written with
/// `vN` by whoever writes it (the triggers, `fillTypedColumns`, a bulk import's
/// `typedValuesInsert`); before `plainNativeValuesMigration` they were
/// generated from `vN` (`addNativeValues`). `profile_field` lists the paths.
/// Beside them, `oN` is the object mark of a path that is an object and has
/// no column (`objectMarksMigration`, `PQL.markValue`), listed in `profile_object`
/// and written by the same writers (`ValueLayout`).
extension PostgresWorkspace {
    static let typedValuesMigration = "2026-12-02 typed values in their own table"

    /// PostgreSQL allows 1,600 columns; the rest of a very wide schema stays in `doc`.
    static let maximumTypedPaths = 300

    /// Paths to their column numbers.
    func typedColumns() async throws -> [[String]: Int] {
        try await withConnection { connection in try await Self.typedColumns(on: connection, logger: self.logger) }
    }

    static func typedColumns(on connection: PostgresConnection, logger: Logger) async throws -> [[String]: Int] {
        var columns: [[String]: Int] = [:]
        for row in try await connection.query("SELECT col, path FROM profile_field", logger: logger).collect() {
            let (number, path) = try row.decode((Int, [String]).self)
            columns[path] = number
        }
        return columns
    }

    /// `profile` as segment SQL reads it: each typed column's type `tN` beside
    /// its value, from `profile_value` alone unless the condition reads the
    /// document too (`readsDocument`).
    static func typedProfiles(_ columns: [[String]: Int], marks: [[String]: Int], readsDocument: Bool) -> String {
        let numbers = columns.values.sorted()
        let types = numbers.map { ", " + sqliteTypeName("v\($0)") + " AS t\($0)" }.joined()
        guard readsDocument else { return "(SELECT profile_value.*\(types) FROM profile_value) AS profile" }
        let values =
            numbers.map { ", profile_value.v\($0), profile_value.s\($0), profile_value.n\($0)" }.joined()
            + marks.values.sorted().map { ", profile_value.o\($0)" }.joined()
        return "(SELECT p.*\(values)\(types) FROM profile p JOIN profile_value USING (pid)) AS profile"
    }

    /// Whether compiled segment SQL reads the document column for every row (`doc`; events'
    /// is `edoc`, and `lazyDocument` reads `d.doc` for a few).
    static func readsDocument(_ fragment: SQLFragment) -> Bool {
        fragment.sql.range(of: #"(?<!\.)\bdoc\b"#, options: .regularExpression) != nil
    }

    /// The row's document read by itself, for the compiler's `lazyDocument`: an index
    /// probe, made only for the rows that reach it.
    static let lazyDocument = "(SELECT d.doc FROM profile d WHERE d.pid = profile.pid)"

    /// Adds a column for each of `paths` not known yet, in the caller's
    /// transaction, fills it for the profiles stored before (a batch's paths
    /// are found in a sample of it, so an earlier batch may hold one), and
    /// has the triggers fill it from then on.
    static func addTypedColumns(for paths: [[String]], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        var known = try await typedColumns(on: connection, logger: logger)
        var next = (known.values.max() ?? 0) + 1
        var added: [(Int, [String])] = []
        for path in paths where known[path] == nil && known.count < maximumTypedPaths {
            guard !path.isEmpty, !path.contains(where: { $0.utf8.contains(0) }) else { continue }
            added.append((next, path))
            known[path] = next
            next += 1
        }
        let marks = try await newObjectMarks(for: known, on: connection, logger: logger)
        try await createTypedColumns(added, marks: marks, on: connection, logger: logger)
        try await fillTypedColumns(added, on: connection, logger: logger)
        try await fillObjectMarks(marks, typed: known, on: connection, logger: logger)
    }

    /// The object marks (numbers not used yet, with their paths) that the typed
    /// columns `typed` call for and the catalog lacks; none before `objectMarksMigration`.
    static func newObjectMarks(for typed: [[String]: Int], on connection: PostgresConnection, logger: Logger)
        async throws -> [(Int, [String])]
    {
        guard try await hasObjectMarks(on: connection, logger: logger) else { return [] }
        let known = try await valueLayout(on: connection, logger: logger).marks
        var next = (known.values.max() ?? 0) + 1
        var marks: [(Int, [String])] = []
        for path in PQL.objectMarkPaths(for: typed, marked: Set(known.keys))
        where known.count + marks.count < maximumTypedPaths {
            marks.append((next, path))
            next += 1
        }
        return marks
    }

    /// Catalogues the columns `added` and the object marks `marks` (numbers not
    /// used yet) and adds them to `profile_value`, empty, with the triggers
    /// filling them from then on. The caller fills them for the rows stored
    /// (`fillTypedColumns`, `fillObjectMarks`).
    static func createTypedColumns(
        _ added: [(Int, [String])], marks: [(Int, [String])], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !added.isEmpty || !marks.isEmpty else { return }
        for (number, path) in added {
            _ = try await connection.query(
                "INSERT INTO profile_field (col, path) VALUES (\(number), \(path))", logger: logger
            ).collect()
        }
        for (number, path) in marks {
            _ = try await connection.query(
                "INSERT INTO profile_object (col, path) VALUES (\(number), \(path))", logger: logger
            ).collect()
        }
        // An older workspace being migrated gets its columns with `profile_value` itself.
        guard try await hasValueTable(on: connection, logger: logger) else { return }
        let layout = try await nativeLayout(on: connection, logger: logger)
        var columns = added.map { "ADD COLUMN v\($0.0) JSONB" }
        if layout == .plain {
            columns += added.flatMap { ["ADD COLUMN s\($0.0) TEXT", "ADD COLUMN n\($0.0) NUMERIC"] }
        }
        columns += marks.map { "ADD COLUMN o\($0.0) JSONB" }
        // Without a default, adding a column rewrites nothing.
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "ALTER TABLE profile_value " + columns.joined(separator: ", ")), logger: logger
        ).collect()
        if layout == .generated { try await addNativeValues(added.map(\.0), on: connection, logger: logger) }
        try await installValueTriggers(on: connection, logger: logger)
        logger.info("typed columns for \(added.count) new attribute path(s), \(marks.count) object mark(s)")
    }

    /// Sets the columns `columns` of the stored rows from their documents. Only
    /// rows whose values differ are written, so new columns cost nothing on rows
    /// that lack them.
    static func fillTypedColumns(_ columns: [(Int, [String])], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !columns.isEmpty else { return }
        guard try await hasValueTable(on: connection, logger: logger) else { return }
        let plain = try await nativeLayout(on: connection, logger: logger) == .plain
        let extracted = extractedValues(columns, from: "p.doc")
        let sets = columns.map { number, _ in
            "v\(number) = x.v\(number)"
                + (plain ? ", s\(number) = \(textOf("x.v\(number)")), n\(number) = \(numberOf("x.v\(number)"))" : "")
        }.joined(separator: ", ")
        let holding = columns.map { "x.v\($0.0) IS DISTINCT FROM v.v\($0.0)" }.joined(separator: " OR ")
        try await updateValues(set: sets, from: extracted, where: holding, on: connection, logger: logger)
    }

    /// Sets the object marks `marks` of the stored rows from their documents and
    /// the typed values stored (`typed` is every typed column). Only rows whose
    /// mark is not NULL are written: those whose path is missing, or an object
    /// with a typed value below it set, cost one read.
    static func fillObjectMarks(
        _ marks: [(Int, [String])], typed: [[String]: Int], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !marks.isEmpty else { return }
        let extracted = marks.map { ", " + extraction(of: $0.1, from: "p.doc") + " AS o\($0.0)" }.joined()
        let values = marks.map { number, path in
            let below = PQL.objectMarkColumns(below: path, in: typed).map { "v.v\($0)" }
            return (number, PQL.markValue("x.o\(number)", below: below))
        }
        let sets = values.map { "o\($0.0) = \($0.1)" }.joined(separator: ", ")
        let holding = values.map { "(\($0.1)) IS NOT NULL" }.joined(separator: " OR ")
        try await updateValues(set: sets, from: extracted, where: holding, on: connection, logger: logger)
    }

    /// Writes `profile_value` from the documents: `extracted` reads each row's
    /// values once (as `x`), and only the rows where `holding` is true are written.
    private static func updateValues(
        set sets: String, from extracted: String, where holding: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        _ = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE profile_value v SET \(sets)
                    FROM (SELECT p.pid\(extracted) FROM profile p OFFSET 0) x
                    WHERE x.pid = v.pid AND (\(holding))
                    """),
            logger: logger
        ).collect()
    }

    /// How `sN` and `nN` are kept: not at all before `nativeValuesMigration`,
    /// generated from `vN` until `plainNativeValuesMigration`, by their writers since.
    enum NativeLayout { case none, generated, plain }

    static func nativeLayout(on connection: PostgresConnection, logger: Logger) async throws -> NativeLayout {
        let names = try await connection.query(
            """
            SELECT name FROM ferry_migration WHERE name IN (\(nativeValuesMigration), \(plainNativeValuesMigration))
            """, logger: logger
        ).collect().map { try $0.decode(String.self) }
        return names.contains(plainNativeValuesMigration) ? .plain : names.isEmpty ? .none : .generated
    }

    /// Whether `profile_value` exists yet: an older workspace being migrated gets it later.
    static func hasValueTable(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT to_regclass('profile_value') IS NOT NULL", logger: logger).collect()
            .first?.decode(Bool.self) ?? false
    }

    /// Since this, `profile_value` has an object mark `oN` per path that is an
    /// object in profiles and has no typed column (`PQL.markValue`), catalogued
    /// in `profile_object`: segment SQL answers `loyalty.isNull()` from it and the
    /// typed values below instead of reading each document without them (an
    /// index probe per profile, which also kept the segment out of the shared,
    /// parallel scan). `migrate` adds the marks the typed columns call for.
    static let objectMarksMigration = "2026-12-03 object marks"

    /// Whether `profile_object` exists yet: an older workspace being migrated gets it later.
    static func hasObjectMarks(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT to_regclass('profile_object') IS NOT NULL", logger: logger).collect()
            .first?.decode(Bool.self) ?? false
    }

    /// What every writer of `profile_value` writes of a row, in one order: per
    /// typed column `vN` (with `sN` and `nN` in the plain layout), then per
    /// object mark `oN`, whose NULL for a set typed value below it (`PQL.markValue`)
    /// is decided by the typed values written beside it.
    struct ValueLayout: Equatable {
        var typed: [[String]: Int]
        var marks: [[String]: Int]
        var plain: Bool

        var columns: [(number: Int, path: [String])] { Self.ordered(typed) }
        var markColumns: [(number: Int, path: [String])] { Self.ordered(marks) }

        private static func ordered(_ numbers: [[String]: Int]) -> [(number: Int, path: [String])] {
            numbers.sorted { $0.value < $1.value }.map { ($0.value, $0.key) }
        }

        /// `, <value at path> AS vN` per column, from the jsonb `document`, which
        /// comes along as `ferry_doc` for the marks: a mark reads its path only when no
        /// typed value below it is set, for few rows.
        func extracted(from document: String) -> String {
            extractedValues(columns.map { ($0.number, $0.path) }, from: document)
                + (marks.isEmpty ? "" : ", \(document) AS ferry_doc")
        }

        /// `, vN, sN, nN, ..., oN, ...`: the columns `expressions` gives values for.
        var names: String {
            valueColumnList(columns.map(\.number), plain: plain) + markColumns.map { ", o\($0.number)" }.joined()
        }

        /// `names`' values from the `extracted` ones, named `alias.vN` and `alias.ferry_doc`.
        func expressions(of alias: String) -> String {
            valueExpressionList(columns.map(\.number), of: alias, plain: plain)
                + markColumns.map { number, path in
                    let below = PQL.objectMarkColumns(below: path, in: typed).map { "\(alias).v\($0)" }
                    return ", " + PQL.markValue(extraction(of: path, from: "\(alias).ferry_doc"), below: below)
                }.joined()
        }
    }

    /// The layout of `profile_value` now; both catalogs are read by one statement,
    /// so a writer never pairs marks with typed columns of another moment.
    static func valueLayout(on connection: PostgresConnection, logger: Logger) async throws -> ValueLayout {
        let plain = try await nativeLayout(on: connection, logger: logger) == .plain
        let marked = try await hasObjectMarks(on: connection, logger: logger)
        var layout = ValueLayout(typed: [:], marks: [:], plain: plain)
        let sql =
            "SELECT col, path, false FROM profile_field"
            + (marked ? " UNION ALL SELECT col, path, true FROM profile_object" : "")
        for row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect() {
            let (number, path, mark) = try row.decode((Int, [String], Bool).self)
            if mark { layout.marks[path] = number } else { layout.typed[path] = number }
        }
        return layout
    }

    /// `, <value at path> AS vN` for each column, extracted from the jsonb `document`.
    static func extractedValues(_ columns: [(Int, [String])], from document: String) -> String {
        columns.map { number, path in ", " + extraction(of: path, from: document) + " AS v\(number)" }.joined()
    }

    /// A jsonb value's string as text, NULL when it is another kind.
    static func textOf(_ value: String) -> String {
        "CASE WHEN jsonb_typeof(\(value)) = 'string' THEN \(value) #>> '{}' END"
    }

    /// A jsonb value's number as numeric, NULL when it is another kind.
    static func numberOf(_ value: String) -> String {
        "CASE WHEN jsonb_typeof(\(value)) = 'number' THEN (\(value))::numeric END"
    }

    /// `, vN, sN, nN` for each of `numbers` in order (`, vN` before the plain layout).
    static func valueColumnList(_ numbers: [Int], plain: Bool) -> String {
        numbers.sorted().map { plain ? ", v\($0), s\($0), n\($0)" : ", v\($0)" }.joined()
    }

    /// `, x.vN, <text of x.vN>, <numeric of x.vN>` for each of `numbers`, in `valueColumnList`'s order.
    static func valueExpressionList(_ numbers: [Int], of alias: String, plain: Bool) -> String {
        numbers.sorted().map { number in
            let value = "\(alias).v\(number)"
            return plain ? ", \(value), \(textOf(value)), \(numberOf(value))" : ", \(value)"
        }.joined()
    }

    /// `INSERT INTO profile_value` of every row of `table` (pid, doc), its
    /// values extracted from the document once each (`OFFSET 0` keeps the
    /// planner from pasting the extraction into each of `vN`, `sN` and `nN`).
    static func typedValuesInsert(_ layout: ValueLayout, from table: String) -> String {
        "INSERT INTO profile_value (pid\(layout.names)) SELECT x.pid" + layout.expressions(of: "x")
            + " FROM (SELECT t.pid\(layout.extracted(from: "t.doc")) FROM \(table) t OFFSET 0) x"
    }

    /// Since this, `sN` and `nN` are plain columns that every writer of `vN`
    /// fills in the same statement. Generated, they were most of the cost of
    /// writing a row (200,000 rows: 2.98 s with them, 0.42 s without): the
    /// server forms each row twice. Written by the statement, the same values
    /// cost a third less (100,000 bench profiles: 0.97 s against 1.42 s).
    /// Dropping the expressions keeps the values and rewrites nothing.
    static let plainNativeValuesMigration = "2026-12-02 typed text and numeric kept by their writers"

    static func makeNativeValuesPlain(on connection: PostgresConnection, logger: Logger) async throws {
        let numbers = try await typedColumns(on: connection, logger: logger).values.sorted()
        guard try await hasValueTable(on: connection, logger: logger) else { return }
        if !numbers.isEmpty {
            let alterations = numbers.flatMap {
                ["ALTER COLUMN s\($0) DROP EXPRESSION", "ALTER COLUMN n\($0) DROP EXPRESSION"]
            }
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "ALTER TABLE profile_value " + alterations.joined(separator: ", ")),
                logger: logger
            ).collect()
        }
        try await installValueTriggers(on: connection, logger: logger)
    }

    static let nativeValuesMigration = "2026-12-02 typed values as text and numeric"

    /// Adds `sN` (text) and `nN` (numeric) beside each `vN` of `numbers`: the value
    /// when it is a string or a number, else NULL, which segment SQL reads
    /// (`nativeValues`) instead of decoding the jsonb, at a third of the cost per
    /// row. Generated here, for a workspace not yet past `plainNativeValuesMigration`;
    /// adding them rewrites `profile_value` once.
    static func addNativeValues(_ numbers: [Int], on connection: PostgresConnection, logger: Logger) async throws {
        guard !numbers.isEmpty else { return }
        let columns = numbers.sorted().flatMap { number in
            nativeValueColumns(text: "s\(number)", number: "n\(number)", of: "v\(number)")
        }
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "ALTER TABLE profile_value " + columns.joined(separator: ", ")), logger: logger
        ).collect()
    }

    /// The `ALTER TABLE` clauses adding a jsonb `value`'s string as column `text`
    /// and its number as column `number`, NULL when it is another kind.
    static func nativeValueColumns(text: String, number: String, of value: String) -> [String] {
        [
            "ADD COLUMN \(text) TEXT GENERATED ALWAYS AS (\(textOf(value))) STORED",
            "ADD COLUMN \(number) NUMERIC GENERATED ALWAYS AS (\(numberOf(value))) STORED",
        ]
    }

    /// `jsonb_extract_path(document, 'a', 'b')`, keys pasted as literals (for DDL and trigger bodies).
    static func extraction(of path: [String], from document: String) -> String {
        "jsonb_extract_path(\(document), " + path.map(literal).joined(separator: ", ") + ")"
    }

    /// The trigger functions that keep `profile_value` in step with `profile`,
    /// for the typed columns `columns`: rows a statement inserted get theirs,
    /// rows it updated have theirs computed again, rows it deleted lose theirs.
    /// Statement triggers over transition tables, so a COPY of 20,000 profiles
    /// costs one set-based INSERT, not 20,000 calls.
    static func installValueTriggers(on connection: PostgresConnection, logger: Logger) async throws {
        let layout = try await valueLayout(on: connection, logger: logger)
        let names = layout.names
        let extracted = layout.extracted(from: "n.doc")
        let values = layout.expressions(of: "x")
        let update =
            names.isEmpty
            ? ""
            : "UPDATE profile_value v SET (" + names.dropFirst(2) + ") = ROW(" + values.dropFirst(2)
                + ") FROM (SELECT n.pid\(extracted) FROM ferry_new n OFFSET 0) x WHERE v.pid = x.pid;"
        for statement in [
            triggerFunction(
                "ferry_profile_values_insert",
                """
                IF current_setting('\(valuesWrittenSetting)', true) = 'on' THEN RETURN NULL; END IF;
                    \(typedValuesInsert(layout, from: "ferry_new"));
                """),
            triggerFunction("ferry_profile_values_update", update),
        ] {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
        }
    }

    /// Set (for one statement) by an import that writes the typed values of the
    /// profiles it inserts itself, from values extracted before it took the
    /// identity graph's lock: the insert trigger then leaves them alone.
    static let valuesWrittenSetting = "ferry.typed_values_written"

    static let valuesWrittenMigration = "2026-12-02 typed values written by the import"

    /// Extracts the typed values of every staged document (`fragment_staging`)
    /// into `fragment_value` (ordinal, v..., with s... and n... in the plain
    /// layout), for `insertFresh` to copy; returns the names of the value columns.
    static func stageTypedValues(_ layout: ValueLayout, on connection: PostgresConnection, logger: Logger)
        async throws -> [String]
    {
        let extracted = layout.extracted(from: "f.doc")
        let names = layout.names
        let values = layout.expressions(of: "x")
        _ = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TEMP TABLE fragment_value (ordinal\(names)) ON COMMIT DROP AS
                    SELECT x.ordinal\(values) FROM (SELECT f.ordinal\(extracted) FROM fragment_staging f OFFSET 0) x
                    """),
            logger: logger
        ).collect()
        return names.dropFirst(2).components(separatedBy: ", ")
    }

    /// A plpgsql statement-trigger function running `body`.
    static func triggerFunction(_ name: String, _ body: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $function$
        BEGIN
            \(body)
            RETURN NULL;
        END
        $function$
        """
    }

    /// Moves an older workspace's typed values into `profile_value` (created
    /// empty by its migration): a column per known path, filled from the
    /// documents, the triggers installed, and `profile`'s generated columns
    /// dropped (without rewriting it).
    static func moveTypedValues(on connection: PostgresConnection, logger: Logger) async throws {
        let columns = try await typedColumns(on: connection, logger: logger)
        let ordered = columns.sorted { $0.value < $1.value }
        if !ordered.isEmpty {
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE profile_value "
                        + ordered.map { "ADD COLUMN v\($0.value) JSONB" }.joined(separator: ", ")), logger: logger
            ).collect()
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE profile "
                        + ordered.map { "DROP COLUMN IF EXISTS v\($0.value)" }.joined(separator: ", ")),
                logger: logger
            ).collect()
        }
        let names = ordered.map { ", v\($0.value)" }.joined()
        let values = ordered.map { ", " + extraction(of: $0.key, from: "doc") }.joined()
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "INSERT INTO profile_value (pid\(names)) SELECT pid\(values) FROM profile"),
            logger: logger
        ).collect()
        try await installValueTriggers(on: connection, logger: logger)
    }

    /// The leaf paths, not known yet, of a sample of a batch's documents
    /// (the paths SQLite's workspace gives columns).
    static func leafPaths(ofSampleOf batch: [ImportedProfile], known: Set<[String]>) -> [[String]] {
        var seen = known
        var found: [[String]] = []
        for index in Swift.stride(from: 0, to: batch.count, by: max(1, batch.count / 64)) {
            guard let document = try? JSONValue.parse(batch[index].document) else { continue }
            for path in ProfileColumns.leafPaths(of: document) where seen.insert(path).inserted { found.append(path) }
        }
        // A document's keys come in the order of a Swift dictionary, which differs
        // from process to process: sorted, the same input numbers its columns the same way.
        return found.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The leaf paths in up to 1,000 stored documents, for a workspace that
    /// held profiles before it had typed columns.
    static func storedLeafPaths(on connection: PostgresConnection, logger: Logger) async throws -> [[String]] {
        try await connection.query(
            """
            WITH RECURSIVE sample AS (
                SELECT doc FROM profile
                WHERE pid IN (SELECT generate_series(1, m, GREATEST(1, m / 1000)) FROM (SELECT max(pid) AS m FROM profile) s)
            ), walk(keys, value) AS (
                SELECT ARRAY[e.key], e.value FROM sample, jsonb_each(sample.doc) e WHERE jsonb_typeof(sample.doc) = 'object'
                UNION ALL
                SELECT w.keys || e.key, e.value FROM walk w, jsonb_each(w.value) e
                WHERE jsonb_typeof(w.value) = 'object' AND w.value <> '{}'::jsonb
            )
            SELECT DISTINCT keys FROM walk WHERE jsonb_typeof(value) <> 'object' OR value = '{}'::jsonb ORDER BY keys
            """, logger: logger
        ).collect().map { try $0.decode([String].self) }
    }

    /// A string literal for SQL pasted into DDL (standard_conforming_strings is on since PostgreSQL 9.1).
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
