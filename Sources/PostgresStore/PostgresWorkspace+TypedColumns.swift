import Foundation
import PostgresNIO
import Segmentation
import Workspace

/// The typed columns of `profile` on PostgreSQL, the layout `SQLDialect`
/// describes: per attribute path N, `vN` holds the value as `jsonb` and `tN`
/// the SQLite `json_type` name of it. `vN` is a stored generated column
/// computed from `doc`, so every write of a document (COPY, a merge, a
/// re-import) keeps it right without code of its own, and segment SQL reads a
/// small value instead of walking each document. `tN` is derived from `vN`
/// where a segment reads it (`typedProfiles`): storing it too would double
/// what each imported row costs. `profile_field` lists the paths.
extension PostgresWorkspace {
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

    /// `profile` as segment SQL reads it: each typed column's type `tN` beside its value.
    static func typedProfiles(_ columns: [[String]: Int]) -> String {
        let types = columns.values.sorted().map { ", " + sqliteTypeName("v\($0)") + " AS t\($0)" }
        return types.isEmpty ? "profile" : "(SELECT profile.*" + types.joined() + " FROM profile) AS profile"
    }

    /// Adds a column for each of `paths` not known yet, in the caller's
    /// transaction. On a table holding rows this rewrites it, so callers pass
    /// paths of new data only; the first import into an empty workspace pays nothing.
    static func addTypedColumns(for paths: [[String]], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        var known = try await typedColumns(on: connection, logger: logger)
        var next = (known.values.max() ?? 0) + 1
        var clauses: [String] = []
        var added: [(Int, [String])] = []
        for path in paths where known[path] == nil && known.count < maximumTypedPaths {
            guard !path.isEmpty, !path.contains(where: { $0.utf8.contains(0) }) else { continue }
            let value = "jsonb_extract_path(doc, " + path.map(literal).joined(separator: ", ") + ")"
            clauses.append("ADD COLUMN v\(next) JSONB GENERATED ALWAYS AS (\(value)) STORED")
            added.append((next, path))
            known[path] = next
            next += 1
        }
        guard !added.isEmpty else { return }
        try await connection.query(
            PostgresQuery(unsafeSQL: "ALTER TABLE profile " + clauses.joined(separator: ", ")), logger: logger
        ).collect()
        for (number, path) in added {
            try await connection.query(
                "INSERT INTO profile_field (col, path) VALUES (\(number), \(path))", logger: logger
            ).collect()
        }
        logger.info("typed columns for \(added.count) new attribute path(s)")
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
        return found
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
