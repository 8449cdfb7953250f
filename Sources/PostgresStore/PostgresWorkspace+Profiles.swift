import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace: ProfileStore {
    /// Each batch goes in with `COPY ... FROM STDIN` into session-local
    /// staging tables, then set-based statements write it, the identity
    /// graph included (`writeFragments`): one transaction per batch, so a
    /// killed import keeps every batch committed before it, and other
    /// processes keep working meanwhile. Into an empty identity graph it is
    /// one transaction instead (`importIntoEmptyGraph`).
    public func importProfiles(_ inputs: [ImportInput], options: ImportOptions, onReject: (ImportRejection) -> Void)
        async throws -> ImportSummary
    {
        let limit = options.identityLimit
        // The default batch is sized for SQLite. Here each batch pays a dozen
        // round trips and a commit, so an import left at the default takes
        // batches four times larger (about 20 MB of documents in flight).
        var options = options
        if options.batchSize == ImportOptions().batchSize { options.batchSize *= Self.batchSizeFactor }
        let summary: ImportSummary
        if let bulk = try await importIntoEmptyGraph(inputs, options: options, onReject: onReject) {
            summary = bulk
        } else {
            // Two batches at once, on two connections: while one holds the identity
            // graph's lock, the next is staged (its documents parsed into jsonb, most
            // of the server's work), so both cores work. One connection cannot wait
            // for another, so a pool of one writes a batch at a time.
            let footprint = ImportFootprint()
            summary = try await ProfileInputReader(options: options).run(
                inputs, onReject: onReject, overlapping: min(2, maxConnections)
            ) { batch, previous in
                try await self.writeFragments(batch, at: Date(), limit: limit, footprint: footprint, after: previous)
            }
        }
        // Row counts are what plans over these tables need; statistics of every typed column would cost seconds.
        try await refreshStatistics(
            of: "profile (pid), profile_value (pid), identity (pid)", afterChanging: summary.inserted + summary.updated)
        return summary
    }

    static let batchSizeFactor = 4

    /// ANALYZE after a bulk change, rather than waiting for autovacuum: with
    /// the statistics of an empty table, the planner reads 1 row for the
    /// 500,000 members an evaluation just wrote, and an export's page query
    /// then sorts all remaining members for every page. ANALYZE samples, so
    /// it costs a fraction of a second whatever the size.
    func refreshStatistics(of tables: String, afterChanging rows: Int) async throws {
        guard rows >= 10_000 else { return }
        _ = try await withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ANALYZE \(tables)"), logger: self.logger).collect()
        }
    }

    /// COPY's text format: backslash, tab, newline and carriage return escaped.
    /// The runs between them are copied whole: a document seldom has any, and
    /// a byte at a time cost a tenth of an import's CPU.
    static func writeCopyText(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var start = 0
            var index = 0
            while index < bytes.count {
                // Eight bytes at a time while none is below 0x0E or a backslash
                // (the byte loop was still 8% of a bulk import's own CPU).
                while index + 8 <= bytes.count {
                    let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    let ones: UInt64 = 0x0101_0101_0101_0101
                    let highs: UInt64 = 0x8080_8080_8080_8080
                    let below = (word &- ones &* 0x0E) & ~word & highs
                    let slashes = word ^ (ones &* 0x5C)
                    let backslash = (slashes &- ones) & ~slashes & highs
                    if below | backslash != 0 { break }
                    index += 8
                }
                guard index < bytes.count else { break }
                defer { index += 1 }
                let escaped: StaticString
                switch bytes[index] {
                case UInt8(ascii: "\\"): escaped = "\\\\"
                case 0x09: escaped = "\\t"
                case 0x0A: escaped = "\\n"
                case 0x0D: escaped = "\\r"
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<index]))
                buffer.writeStaticString(escaped)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
    }

    public func profileCount() async throws -> Int {
        try await withConnection { connection in
            try await connection.query("SELECT count(*) FROM profile", logger: self.logger).collect().first?.decode(
                Int.self) ?? 0
        }
    }

    /// The merged profile any of whose identities is `namespace:identity`, or nil.
    public func profile(namespace: String, identity: String) async throws -> ProfileRecord? {
        try await linkedProfile(IdentityKey(namespace: namespace, id: identity))?.profile
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
