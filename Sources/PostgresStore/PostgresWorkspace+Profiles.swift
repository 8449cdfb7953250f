import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace: ProfileStore {
    /// Each batch goes in with `COPY ... FROM STDIN` into a session-local
    /// staging table, then one `INSERT ... ON CONFLICT` merges it into
    /// `profile`: one transaction per batch, so a killed import keeps every
    /// batch committed before it, and other processes keep working meanwhile.
    public func importProfiles(_ inputs: [ImportInput], options: ImportOptions, onReject: (ImportRejection) -> Void)
        async throws -> ImportSummary
    {
        try await ProfileInputReader(options: options).run(inputs, onReject: onReject) { batch in
            var written = (inserted: 0, updated: 0)
            for part in Self.distinctIdentityParts(batch) {
                let counts = try await self.writeProfiles(part, at: Date())
                written.inserted += counts.inserted
                written.updated += counts.updated
            }
            return written
        }
    }

    /// `ON CONFLICT DO UPDATE` may touch a row once per statement: a batch
    /// naming one identity twice is split so each part names it once, and
    /// the later line is merged over the earlier, as on SQLite.
    static func distinctIdentityParts(_ batch: [ImportedProfile]) -> [[ImportedProfile]] {
        var parts: [[ImportedProfile]] = [[]]
        var seen: [Set<String>] = [[]]
        for profile in batch {
            let key = profile.namespace + "\u{0}" + profile.identity
            if let index = seen.firstIndex(where: { !$0.contains(key) }) {
                parts[index].append(profile)
                seen[index].insert(key)
            } else {
                parts.append([profile])
                seen.append([key])
            }
        }
        return parts.filter { !$0.isEmpty }
    }

    func writeProfiles(_ profiles: [ImportedProfile], at time: Date) async throws -> (inserted: Int, updated: Int) {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(profiles.reduce(0) { $0 + $1.document.utf8.count + 64 })
        for (ordinal, profile) in profiles.enumerated() {
            buffer.writeString(String(ordinal))
            buffer.writeInteger(UInt8(ascii: "\t"))
            Self.writeCopyText(profile.namespace, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\t"))
            Self.writeCopyText(profile.identity, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\t"))
            Self.writeCopyText(profile.document, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        let data = buffer
        return try await transaction { connection in
            try await connection.query(
                """
                CREATE TEMP TABLE IF NOT EXISTS profile_staging (
                    ordinal INTEGER, namespace TEXT, identity TEXT, doc JSONB) ON COMMIT DELETE ROWS
                """, logger: self.logger
            ).collect()
            try await connection.copyFrom(
                table: "profile_staging", columns: ["ordinal", "namespace", "identity", "doc"], logger: self.logger
            ) { writer in try await writer.write(data) }
            let row = try await connection.query(
                """
                WITH upserted AS (
                    INSERT INTO profile (namespace, identity, doc, updated_at)
                    SELECT namespace, identity, doc, \(time.timeIntervalSince1970) FROM profile_staging ORDER BY ordinal
                    ON CONFLICT (namespace, identity) DO UPDATE
                        SET doc = ferry_merge(profile.doc, excluded.doc), updated_at = excluded.updated_at
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
                """, logger: self.logger
            ).collect().first
            let (inserted, updated) = try row?.decode((Int, Int).self) ?? (0, 0)
            return (inserted, updated)
        }
    }

    /// COPY's text format: backslash, tab, newline and carriage return escaped.
    static func writeCopyText(_ text: String, to buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    public func profileCount() async throws -> Int {
        try await withConnection { connection in
            try await connection.query("SELECT count(*) FROM profile", logger: self.logger).collect().first?.decode(
                Int.self) ?? 0
        }
    }

    public func profile(namespace: String, identity: String) async throws -> ProfileRecord? {
        try await withConnection { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT pid, doc::text, updated_at FROM profile
                    WHERE namespace = \(namespace) AND identity = \(identity)
                    """, logger: self.logger
                ).collect().first
            else { return nil }
            let (pid, doc, updated) = try row.decode((Int64, String, Double).self)
            return ProfileRecord(
                pid: pid, namespace: namespace, identity: identity, doc: doc,
                updatedAt: Date(timeIntervalSince1970: updated))
        }
    }

    public func hasIdentities(inNamespace namespace: String) async throws -> Bool {
        try await withConnection { connection in
            try await !connection.query(
                """
                SELECT 1 FROM profile
                WHERE namespace = \(namespace) OR doc -> 'identityMap' -> \(namespace) IS NOT NULL LIMIT 1
                """, logger: self.logger
            ).collect().isEmpty
        }
    }

    /// The JSON kind of each field path in a sample of profiles, for PQL's
    /// type check; a path seen with two kinds is left out, as on SQLite.
    func sampledFieldKinds() async throws -> [String: JSONValueKind] {
        let documents = try await sampledDocuments()
        var kinds: [String: JSONValueKind] = [:]
        var conflicting: Set<String> = []
        func record(_ value: JSONValue, prefix: String) {
            if !prefix.isEmpty, value.kind != .null {
                if let known = kinds[prefix], known != value.kind {
                    conflicting.insert(prefix)
                } else {
                    kinds[prefix] = value.kind
                }
            }
            if case .object(let members) = value {
                for (key, member) in members { record(member, prefix: prefix.isEmpty ? key : prefix + "." + key) }
            }
        }
        for document in documents { record(try JSONValue.parse(document), prefix: "") }
        for path in conflicting { kinds[path] = nil }
        return kinds
    }

    /// Up to `limit` documents at evenly spaced pids, rather than `ORDER BY
    /// random()`, which would read every row of a large workspace.
    func sampledDocuments(limit: Int = 1000) async throws -> [String] {
        try await withConnection { connection in
            try await connection.query(
                """
                SELECT doc::text FROM profile
                WHERE pid IN (SELECT generate_series(1, m, GREATEST(1, m / \(limit)))
                              FROM (SELECT max(pid) AS m FROM profile) s)
                LIMIT \(limit)
                """, logger: self.logger
            ).collect().map { try $0.decode(String.self) }
        }
    }
}
