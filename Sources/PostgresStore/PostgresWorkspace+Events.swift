import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace: EventStore {
    /// Each batch finds its profiles in one query, makes the missing ones
    /// through the profile import, then goes in with `COPY ... FROM STDIN`
    /// into a staging table and one `INSERT ... ON CONFLICT (id) DO NOTHING`.
    public func importEvents(
        _ inputs: [ImportInput], maxErrors: Int, onReject: (ImportRejection) -> Void
    ) async throws -> EventImportSummary {
        try await EventInputReader(maxErrors: maxErrors).run(inputs, onReject: onReject) { batch in
            try await self.writeEvents(batch)
        }
    }

    func writeEvents(_ batch: [ImportedEvent]) async throws -> EventImportSummary {
        var summary = EventImportSummary()
        var pids = try await profileIds(for: batch)
        let orphans = batch.indices.filter { pids[$0] == nil }
        if !orphans.isEmpty {
            summary.profilesCreated = try await createProfiles(for: orphans.map { batch[$0] })
            let found = try await profileIds(for: orphans.map { batch[$0] })
            for (index, pid) in zip(orphans, found) { pids[index] = pid }
        }
        var buffer = ByteBuffer()
        for (event, pid) in zip(batch, pids) {
            guard let pid else { continue }
            let type = event.eventType.map { text in
                var escaped = ByteBuffer()
                Self.writeCopyText(text, to: &escaped)
                return String(buffer: escaped)
            }
            var id = ByteBuffer()
            Self.writeCopyText(event.id, to: &id)
            buffer.writeBuffer(&id)
            buffer.writeString("\t\(pid)\t\(event.seconds)\t\(type ?? "\\N")\t")
            Self.writeCopyText(event.document, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        let data = buffer
        let paths = ImportedEvent.scalarPaths(of: batch)
        let written = try await transaction { connection in
            if !paths.isEmpty {
                let known = try await Self.eventColumns(on: connection, logger: self.logger)
                let fresh = paths.filter { known[$0] == nil }
                if !fresh.isEmpty, known.count < Self.maximumEventPaths,
                    try await Self.hasEventCatalog(on: connection, logger: self.logger)
                {
                    try await Self.addEventColumns(fresh, on: connection, logger: self.logger)
                }
            }
            _ = try await connection.query(
                """
                CREATE TEMP TABLE event_stage (id TEXT, epid BIGINT, ets DOUBLE PRECISION, etype TEXT, edoc TEXT)
                ON COMMIT DROP
                """, logger: self.logger
            ).collect()
            try await connection.copyFrom(
                table: "event_stage", columns: ["id", "epid", "ets", "etype", "edoc"], logger: self.logger
            ) { writer in try await writer.write(data) }
            return try await connection.query(
                """
                WITH added AS (
                    INSERT INTO event (id, epid, ets, etype, edoc)
                    SELECT DISTINCT ON (id) id, epid, ets, etype, edoc::jsonb FROM event_stage
                    ON CONFLICT (id) DO NOTHING RETURNING 1)
                SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM event_stage)
                """, logger: self.logger
            ).collect().first?.decode((Int, Int).self) ?? (0, 0)
        }
        summary.inserted = written.0
        summary.duplicates = written.1 - written.0
        return summary
    }

    /// The profile holding any identity of each event: through the identity
    /// graph's table when the database has one, else by primary identity.
    func profileIds(for events: [ImportedEvent]) async throws -> [Int64?] {
        var namespaces: [String] = []
        var ids: [String] = []
        var owners: [Int] = []
        let graph = try await hasIdentityTable()
        for (index, event) in events.enumerated() {
            for raw in event.identities {
                let identity = graph ? raw.normalized : raw
                namespaces.append(identity.namespace)
                ids.append(identity.id)
                owners.append(index)
            }
        }
        let (table, idColumn) = graph ? ("identity", "id") : ("profile", "identity")
        let (namespaceList, idList) = (namespaces, ids)
        let rows = try await withConnection { connection in
            var bindings = PostgresBindings()
            bindings.append(namespaceList)
            bindings.append(idList)
            let query = PostgresQuery(
                unsafeSQL: """
                    SELECT s.i, t.pid FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(ns, id, i)
                    JOIN \(table) t ON t.namespace = s.ns AND t.\(idColumn) = s.id
                    """, binds: bindings)
            return try await connection.query(query, logger: self.logger).collect().map {
                try $0.decode((Int, Int64).self)
            }
        }
        // The first identity (the primary one) that leads somewhere wins.
        var best: [Int: (Int, Int64)] = [:]
        for (ordinal, pid) in rows {
            let owner = owners[ordinal - 1]
            if let current = best[owner], current.0 < ordinal { continue }
            best[owner] = (ordinal, pid)
        }
        return events.indices.map { best[$0]?.1 }
    }

    private func hasIdentityTable() async throws -> Bool {
        try await withConnection { connection in
            try await connection.query("SELECT to_regclass('identity') IS NOT NULL", logger: self.logger).collect()
                .first?.decode(Bool.self) ?? false
        }
    }

    /// Makes a profile per primary identity by importing a record of the
    /// event's identityMap, so it gets what any imported profile gets.
    private func createProfiles(for events: [ImportedEvent]) async throws -> Int {
        var seen = Set<EventIdentity>()
        var lines: [String] = []
        for event in events where seen.insert(event.identities[0]).inserted {
            lines.append(EventProfileRecord.line(event.identities))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-event-profiles-\(UUID()).jsonl")
        try lines.joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await importProfiles([.file(file.path)], options: ImportOptions(format: .jsonl)) { _ in }.inserted
    }

    public func eventRetentionDays() async throws -> Int {
        try await withConnection { connection in
            try await connection.query(
                "SELECT value FROM workspace_setting WHERE name = 'eventRetentionDays'", logger: self.logger
            ).collect().first.flatMap { Int(try $0.decode(String.self)) } ?? EventRetention.defaultDays
        }
    }

    public func setEventRetentionDays(_ days: Int) async throws {
        guard days >= 1 else {
            throw WorkspaceError(.badName, "The event retention is a whole number of days, at least 1.")
        }
        _ = try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO workspace_setting (name, value) VALUES ('eventRetentionDays', \(String(days)))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, logger: self.logger
            ).collect()
        }
    }

    public func eventCount() async throws -> Int {
        try await withConnection { connection in
            try await connection.query("SELECT count(*) FROM event", logger: self.logger).collect().first?.decode(
                Int.self) ?? 0
        }
    }

    public func pruneEvents(now: Date) async throws -> Int {
        let since = EventRetention.since(now: now, days: try await eventRetentionDays())
        return try await transaction { connection in
            try await connection.query(
                "WITH gone AS (DELETE FROM event WHERE ets < \(since) RETURNING 1) SELECT count(*) FROM gone",
                logger: self.logger
            ).collect().first?.decode(Int.self) ?? 0
        }
    }

    /// The compiler's view of the event table for an evaluation at `now`.
    func eventTable(now: Date) async throws -> PQLEventStore {
        let columns = try await withConnection { connection in
            try await Self.eventColumns(on: connection, logger: self.logger)
        }
        return PQLEventStore(
            profileKey: "profile.pid",
            retainedSince: EventRetention.since(now: now, days: try await eventRetentionDays()), columns: columns)
    }
}

extension PostgresWorkspace {
    /// Event forms SQL can't say: each profile's retained events come with its
    /// row, gathered by PostgreSQL in the same statement, as one JSON array.
    func qualifyingWithEvents(_ expression: PQLExpression, now: Date, events: PQLEventStore) async throws -> [Int64] {
        try await withConnection { connection in
            var pids: [Int64] = []
            let rows = try await connection.query(
                """
                SELECT pid, doc::text, COALESCE((SELECT json_agg(e.edoc ORDER BY e.ets, e.eid) FROM event e
                    WHERE e.epid = profile.pid AND e.ets >= \(events.retainedSince)), '[]'::json)::text FROM profile
                """, logger: self.logger)
            for try await (pid, text, list) in rows.decode((Int64, String, String).self) {
                guard case .array(let items) = try JSONValue.parse(list) else { continue }
                if PQL.evaluate(expression, on: try JSONValue.parse(text), events: items, now: now) { pids.append(pid) }
            }
            return pids
        }
    }
}
