import Foundation
import PostgresNIO
import Segmentation
import Workspace

/// Typed columns of events on PostgreSQL, the profiles' layout (`SQLDialect`)
/// on `event` itself: per path N, `xvN` holds the value as `jsonb`, `xsN` it
/// as text when it is a string and `xnN` as numeric when it is a number.
/// All three are generated from `edoc`, so COPY, the import's insert and the
/// table's rewrite when a column is added (which fills it for the events stored
/// before) need no code of their own. A path gets its columns once an event
/// holds a scalar there (`ImportedEvent.scalarPaths`); `event_field` lists them.
extension PostgresWorkspace {
    static let eventColumnsMigration = "2026-12-02 typed event columns"

    /// Each column is stored in every event row; more paths stay in `edoc`.
    static let maximumEventPaths = 100

    /// Event paths to their column numbers.
    /// None in a workspace not migrated to them yet (an upgrade test's older schema).
    static func eventColumns(on connection: PostgresConnection, logger: Logger) async throws -> [[String]: Int] {
        var columns: [[String]: Int] = [:]
        guard try await hasEventCatalog(on: connection, logger: logger) else { return columns }
        for row in try await connection.query("SELECT col, path FROM event_field", logger: logger).collect() {
            let (number, path) = try row.decode((Int, [String]).self)
            columns[path] = number
        }
        return columns
    }

    static func hasEventCatalog(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT to_regclass('event_field') IS NOT NULL", logger: logger).collect()
            .first?.decode(Bool.self) ?? false
    }

    /// Adds columns for `paths` not known yet, in the caller's transaction.
    static func addEventColumns(_ paths: [[String]], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        // Two imports adding columns at once would pick the same numbers.
        _ = try await connection.query("SELECT pg_advisory_xact_lock(\(eventColumnsLock))", logger: logger).collect()
        let known = try await eventColumns(on: connection, logger: logger)
        var next = (known.values.max() ?? 0) + 1
        var added: [(Int, [String])] = []
        for path in paths where known[path] == nil && known.count + added.count < maximumEventPaths {
            guard !path.isEmpty, !path.contains(where: { $0.utf8.contains(0) }) else { continue }
            added.append((next, path))
            next += 1
        }
        guard !added.isEmpty else { return }
        var alterations: [String] = []
        for (number, path) in added {
            _ = try await connection.query(
                "INSERT INTO event_field (col, path) VALUES (\(number), \(path))", logger: logger
            ).collect()
            let keys = path.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
            let value = "jsonb_extract_path(edoc, \(keys))"
            alterations.append("ADD COLUMN xv\(number) JSONB GENERATED ALWAYS AS (\(value)) STORED")
            alterations += nativeValueColumns(text: "xs\(number)", number: "xn\(number)", of: value)
        }
        // One rewrite of the table for every column added.
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "ALTER TABLE event " + alterations.joined(separator: ", ")), logger: logger
        ).collect()
        logger.info("typed event columns for \(added.count) new path(s)")
    }

    /// An advisory lock key of its own ("ferryevc").
    static let eventColumnsLock: Int64 = 0x6665_7272_7965_7663

    /// The scalar paths of the events stored, for a workspace from before the columns.
    static func storedEventPaths(on connection: PostgresConnection, logger: Logger) async throws -> [[String]] {
        try await connection.query(
            """
            WITH RECURSIVE walk(keys, value) AS (
                SELECT ARRAY[e.key], e.value FROM event, jsonb_each(event.edoc) e
                WHERE e.key NOT IN ('_id', 'timestamp', 'eventType', 'identityMap')
                UNION ALL
                SELECT w.keys || e.key, e.value FROM walk w, jsonb_each(w.value) e WHERE jsonb_typeof(w.value) = 'object'
            )
            SELECT DISTINCT keys FROM walk WHERE jsonb_typeof(value) IN ('string', 'number', 'boolean') ORDER BY keys
            """, logger: logger
        ).collect().map { try $0.decode([String].self) }
    }
}
