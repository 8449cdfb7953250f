import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace: IdentityStore {
    /// Taken by each import batch for its transaction, so two workers'
    /// batches cannot both make a profile for one new identity.
    static let identityGraphLock: Int64 = 0x4665_7272_7949_6447

    /// Fragments per sequence number: a batch takes one number and its
    /// fragments are ordered by their position in it.
    static let sequenceStride: Int64 = 1 << 24

    /// Writes one batch of fragments in one transaction: new people and
    /// updates of a one-record profile in bulk (`COPY`, then set-based SQL);
    /// fragments that link profiles, or each other, one group at a time.
    /// The batch is staged first, then `previous` is awaited (the batch before
    /// it, being stored meanwhile on another connection), then the graph's lock
    /// is taken and the staged rows written.
    func writeFragments(
        _ batch: [ImportedProfile], at date: Date, limit: Int, footprint: ImportFootprint? = nil,
        after previous: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> ImportSummary {
        let now = date.timeIntervalSince1970
        let hashes = footprint.map { _ in ImportFootprint.hashes(of: batch) } ?? []
        let (summary, base, pure) = try await transaction { connection in
            try await self.storeBatch(
                batch, now: now, limit: limit, footprint: footprint, hashes: hashes, on: connection, after: previous)
        }
        footprint?.record(hashes, at: base, sole: pure)
        return summary
    }

    /// `writeFragments`' work in the caller's transaction: the batch's
    /// summary, its sequence number, and whether it only made new profiles
    /// without looking anything up. `sharedTransaction` is set when earlier
    /// batches ran in the same transaction (the bulk import's fallback), whose
    /// staging tables are then emptied first, since no commit did it.
    func storeBatch(
        _ batch: [ImportedProfile], now: Double, limit: Int, footprint: ImportFootprint?, hashes: [Int],
        sharedTransaction: Bool = false, on connection: PostgresConnection,
        after previous: @escaping @Sendable () async throws -> Void
    ) async throws -> (ImportSummary, Int64, Bool) {
        var documentRows = ByteBuffer()
        documentRows.reserveCapacity(batch.reduce(0) { $0 + $1.document.utf8.count + 64 })
        var identityRows = ByteBuffer()
        for (ordinal, profile) in batch.enumerated() {
            let ordinalText = String(ordinal)
            Self.writeCopyRow(
                [ordinalText, profile.namespace, profile.identity, profile.document, String(profile.timestamp ?? now)],
                to: &documentRows)
            for key in profile.identities {
                Self.writeCopyRow([ordinalText, key.namespace, key.id], to: &identityRows)
            }
        }
        let (documentData, identityData) = (documentRows, identityRows)
        do {
            _ = try await connection.query(
                """
                DO $$ BEGIN
                CREATE TEMP TABLE IF NOT EXISTS fragment_staging (
                    ordinal INTEGER, namespace TEXT, identity TEXT, doc JSONB, time DOUBLE PRECISION) ON COMMIT DELETE ROWS;
                CREATE TEMP TABLE IF NOT EXISTS identity_staging (ordinal INTEGER, namespace TEXT, id TEXT) ON COMMIT DELETE ROWS;
                END $$
                """, logger: self.logger
            ).collect()
            if sharedTransaction {
                _ = try await connection.query("TRUNCATE fragment_staging, identity_staging", logger: self.logger)
                    .collect()
                _ = try await connection.query("DROP TABLE IF EXISTS fragment_value", logger: self.logger).collect()
            }
            // Every document is parsed into jsonb here, before the lock, while
            // another connection may hold it: the fresh profiles are then
            // copied from this table, and the updates read it.
            try await connection.copyFrom(
                table: "fragment_staging", columns: ["ordinal", "namespace", "identity", "doc", "time"],
                logger: self.logger
            ) { writer in try await writer.write(documentData) }
            try await connection.copyFrom(
                table: "identity_staging", columns: ["ordinal", "namespace", "id"], logger: self.logger
            ) { writer in try await writer.write(identityData) }
            // The typed values too, for the columns known now; used if no column
            // is added before the lock is taken (by this batch or another worker).
            let staged = try await Self.valueLayout(on: connection, logger: self.logger)
            var stagedNames: [String] = []
            if !staged.typed.isEmpty {
                stagedNames = try await Self.stageTypedValues(staged, on: connection, logger: self.logger)
            }
            try await previous()
            // Each statement is a round trip, and a batch makes few rows per
            // statement, so the small ones are folded together.
            let base =
                try await connection.query(
                    "SELECT nextval('fragment_sequence') FROM pg_advisory_xact_lock(\(Self.identityGraphLock))",
                    logger: self.logger
                ).collect().first?.decode(Int64.self) ?? 0
            // While this import's batches are the only writes to a graph that was
            // empty, what is stored is what they wrote: a batch none of whose keys
            // they wrote holds nothing stored, and needs no index probe per key.
            var unheld = false
            if let footprint {
                switch footprint.state(at: base) {
                case .unchecked:
                    unheld =
                        try await connection.query(
                            "SELECT NOT EXISTS (SELECT 1 FROM identity) AND NOT EXISTS (SELECT 1 FROM profile)",
                            logger: self.logger
                        ).collect().first?.decode(Bool.self) ?? false
                case .sole: unheld = !footprint.containsAny(of: hashes)
                case .shared: break
                }
            }
            var holders: [IdentityKey: Int64] = [:]
            var ownRows: [Int: (pid: Int64, merged: Bool)] = [:]
            if !unheld { (holders, ownRows) = try await Self.lookUpStaged(on: connection, logger: self.logger) }
            // Paths first met in this batch get their typed columns before its rows go in.
            let known = try await Self.typedColumns(on: connection, logger: self.logger)
            let paths = Self.leafPaths(ofSampleOf: batch, known: Set(known.keys))
            if !paths.isEmpty { try await Self.addTypedColumns(for: paths, on: connection, logger: self.logger) }
            let valuesStaged = paths.isEmpty && !staged.typed.isEmpty && known == staged.typed
            let plan = IdentityBatchPlan(
                identities: batch.map(\.identities), holders: holders, ownRows: ownRows, limit: limit)
            var graph = PostgresIdentityGraph(
                connection: connection, logger: self.logger, now: now, base: base, limit: limit,
                stagedValues: valuesStaged ? stagedNames : nil)
            try await graph.insertFresh(plan.fresh, batch: batch)
            try await graph.updateSame(plan.same, batch: batch)
            for group in plan.groups {
                try await graph.merge(group, batch: batch)
                let counts = IdentityBatchPlan.counts(
                    of: group.ordinals, identities: batch.map(\.identities), holders: holders, ownRows: ownRows)
                graph.summary.inserted += counts.inserted
                graph.summary.updated += counts.updated
                graph.summary.merged += counts.merged
            }
            try await graph.finish()
            // Only new profiles, each made of one record, keep the footprint whole.
            return (graph.summary, base, unheld && plan.same.isEmpty && plan.groups.isEmpty)
        }
    }

    /// Who holds each staged identity, and the stored row of each staged
    /// record's own identity.
    static func lookUpStaged(on connection: PostgresConnection, logger: Logger) async throws -> (
        holders: [IdentityKey: Int64], ownRows: [Int: (pid: Int64, merged: Bool)]
    ) {
        // A batch is a few thousand keys against millions of stored ones: an
        // index probe per key. Without statistics on the staging tables the
        // planner may hash the whole identity table instead, once per batch.
        try await setJoins(hashAndMerge: false, on: connection, logger: logger)
        var holders: [IdentityKey: Int64] = [:]
        for row in try await connection.query(
            "SELECT DISTINCT s.namespace, s.id, i.pid FROM identity_staging s JOIN identity i USING (namespace, id)",
            logger: logger
        ).collect() {
            let (namespace, id, pid) = try row.decode((String, String, Int64).self)
            holders[IdentityKey(namespace: namespace, id: id)] = pid
        }
        var ownRows: [Int: (pid: Int64, merged: Bool)] = [:]
        for row in try await connection.query(
            "SELECT s.ordinal, p.pid, p.merged FROM fragment_staging s JOIN profile p USING (namespace, identity)",
            logger: logger
        ).collect() {
            let (ordinal, pid, merged) = try row.decode((Int, Int64, Bool).self)
            ownRows[ordinal] = (pid, merged)
        }
        try await setJoins(hashAndMerge: true, on: connection, logger: logger)
        return (holders, ownRows)
    }

    /// Allows or forbids hash and merge joins until the transaction ends.
    static func setJoins(hashAndMerge allowed: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        let value = allowed ? "on" : "off"
        _ = try await connection.query(
            "SELECT set_config('enable_hashjoin', \(value), true), set_config('enable_mergejoin', \(value), true)",
            logger: logger
        ).collect()
    }

    /// One row of COPY's text format.
    static func writeCopyRow(_ fields: [String], to buffer: inout ByteBuffer) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            writeCopyText(field, to: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// The pid of the profile `key` points to, or nil.
    public func profileId(for key: IdentityKey) async throws -> Int64? {
        try await withConnection { connection in
            try await connection.query(
                "SELECT pid FROM identity WHERE namespace = \(key.namespace) AND id = \(key.id)", logger: self.logger
            ).collect().first?.decode(Int64.self)
        }
    }

    public func linkedProfile(_ key: IdentityKey) async throws -> LinkedProfile? {
        try await withConnection { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT p.pid, p.namespace, p.identity, p.doc::text, p.updated_at
                    FROM identity i JOIN profile p ON p.pid = i.pid
                    WHERE i.namespace = \(key.namespace) AND i.id = \(key.id)
                    """, logger: self.logger
                ).collect().first
            else { return nil }
            let (pid, namespace, identity, doc, updated) = try row.decode((Int64, String, String, String, Double).self)
            let identities = try await connection.query(
                "SELECT namespace, id, linked_at FROM identity WHERE pid = \(pid) ORDER BY linked_at, namespace, id",
                logger: self.logger
            ).collect().map { row in
                let (namespace, id, linkedAt) = try row.decode((String, String, Double).self)
                return LinkedIdentity(key: IdentityKey(namespace: namespace, id: id), linkedAt: linkedAt)
            }
            return LinkedProfile(
                profile: ProfileRecord(
                    pid: pid, namespace: namespace, identity: identity, doc: doc,
                    updatedAt: Date(timeIntervalSince1970: updated)),
                identities: identities)
        }
    }
}

/// What one import's batches wrote, while they are the only writes to an
/// identity graph that was empty when the first took the lock: hashes of
/// their identity keys and of their records' own keys, and the sequence
/// number of the last. A batch whose number follows it had no other batch
/// (of any process: each takes a number under the lock) stored in between.
final class ImportFootprint: @unchecked Sendable {
    enum State { case unchecked, sole, shared }

    private let lock = NSLock()
    private var state = State.unchecked
    private var last: Int64 = 0
    private var written: Set<Int> = []

    /// The footprint's standing for the batch that took sequence number `base`.
    func state(at base: Int64) -> State {
        lock.withLock {
            if state == .sole, base != last + 1 { state = .shared }
            return state
        }
    }

    func containsAny(of hashes: [Int]) -> Bool {
        lock.withLock { hashes.contains(where: written.contains) }
    }

    /// After a batch committed: `sole` when it looked nothing up and wrote only new profiles.
    func record(_ hashes: [Int], at base: Int64, sole: Bool) {
        lock.withLock {
            guard sole, state == .unchecked || (state == .sole && base == last + 1) else {
                state = .shared
                written = []
                return
            }
            state = .sole
            last = base
            written.formUnion(hashes)
        }
    }

    /// A hash per identity key and per own key (namespace, identity as given) of the records.
    static func hashes(of batch: [ImportedProfile]) -> [Int] {
        var hashes: [Int] = []
        hashes.reserveCapacity(batch.count * 3)
        for profile in batch {
            var own = Hasher()
            own.combine(1)
            own.combine(profile.namespace)
            own.combine(profile.identity)
            hashes.append(own.finalize())
            for key in profile.identities {
                var hasher = Hasher()
                hasher.combine(0)
                hasher.combine(key.namespace)
                hasher.combine(key.id)
                hashes.append(hasher.finalize())
            }
        }
        return hashes
    }
}

/// The identity graph's side of one import batch on PostgreSQL, in the
/// batch's transaction, over the staged fragments and identities.
struct PostgresIdentityGraph {
    let connection: PostgresConnection
    let logger: Logger
    let now: Double
    /// The batch's sequence number; a fragment's order key is base * stride + ordinal.
    let base: Int64
    let limit: Int
    /// The columns of `profile_value` whose values are in `fragment_value`, nil
    /// when the insert trigger must extract them (a column was added since they were).
    let stagedValues: [String]?
    var summary = ImportSummary()
    /// Absorbed pid -> kept pid.
    var kept: [Int64: Int64] = [:]

    func sequence(_ ordinal: Int) -> Int64 { base * PostgresWorkspace.sequenceStride + Int64(ordinal) }

    /// New people: their pids are taken from the sequence as one range, then
    /// their profiles are copied from the staged documents and their
    /// identities go in with `COPY`. No identity of theirs is held (the batch
    /// holds the graph's lock and found none), so nothing can conflict. Every
    /// profile is made under that lock too, so no other `nextval` falls inside the range.
    mutating func insertFresh(_ ordinals: [Int], batch: [ImportedProfile]) async throws {
        guard !ordinals.isEmpty else { return }
        let last =
            try await connection.query(
                """
                SELECT setval(pg_get_serial_sequence('profile', 'pid'),
                              nextval(pg_get_serial_sequence('profile', 'pid')) + \(ordinals.count - 1))
                """, logger: logger
            ).collect().first?.decode(Int64.self) ?? 0
        let pids = (last - Int64(ordinals.count) + 1)...last
        // Indexed by ordinal, 0 for the batch's other records. No NULLs: an
        // array with them is searched from its start for every element read.
        var pidOf = [Int64](repeating: 0, count: batch.count)
        var links: [(key: IdentityKey, pid: Int64)] = []
        for (ordinal, pid) in zip(ordinals, pids) {
            pidOf[ordinal] = pid
            // A record has a few identities: a scan of those before is cheaper than a set.
            let keys = batch[ordinal].identities
            for (index, key) in keys.enumerated() where !keys[..<index].contains(key) { links.append((key, pid)) }
        }
        // In key order, each insert into the identity index lands beside the one
        // before, in pages just read, rather than anywhere in it.
        links.sort { ($0.key.namespace, $0.key.id) < ($1.key.namespace, $1.key.id) }
        var identityRows = ByteBuffer()
        let stamp = String(now)
        for link in links {
            PostgresWorkspace.writeCopyRow(
                [link.key.namespace, link.key.id, String(link.pid), stamp], to: &identityRows)
        }
        let stride = PostgresWorkspace.sequenceStride
        let setting = PostgresWorkspace.valuesWrittenSetting
        if stagedValues != nil {
            _ = try await connection.query("SELECT set_config(\(setting), 'on', true)", logger: logger).collect()
        }
        _ = try await connection.query(
            """
            INSERT INTO profile (pid, namespace, identity, doc, updated_at, fragment_time, fragment_sequence)
            SELECT p.pid, f.namespace, f.identity, f.doc, \(now), f.time, \(base) * \(stride) + f.ordinal
            FROM fragment_staging f, LATERAL (SELECT (\(pidOf)::bigint[])[f.ordinal + 1] AS pid) p
            WHERE p.pid <> 0
            """, logger: logger
        ).collect()
        if let columns = stagedValues {
            // The trigger left these rows alone; every later write of `profile` is its again.
            _ = try await connection.query("SELECT set_config(\(setting), 'off', true)", logger: logger).collect()
            let names = columns.map { ", " + $0 }.joined()
            var bindings = PostgresBindings()
            bindings.append(pidOf)
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO profile_value (pid\(names))
                        SELECT p.pid\(names) FROM fragment_value v, LATERAL (SELECT ($1::bigint[])[v.ordinal + 1] AS pid) p
                        WHERE p.pid <> 0
                        """, binds: bindings), logger: logger
            ).collect()
        }
        let identityData = identityRows
        try await connection.copyFrom(
            table: "identity", columns: ["namespace", "id", "pid", "linked_at"], logger: logger
        ) { writer in try await writer.write(identityData) }
        summary.inserted += ordinals.count
    }

    /// The same record again: merged over its profile as a re-import always
    /// was, and any new identity of it linked. Only these records' documents
    /// are staged.
    mutating func updateSame(_ ordinals: [Int], batch: [ImportedProfile]) async throws {
        guard !ordinals.isEmpty else { return }
        // The staged documents of the batch's other records are left out: the
        // fresh ones are in `profile` by now, under the same keys.
        let same = ordinals.map(Int32.init)
        _ = try await connection.query(
            "DELETE FROM fragment_staging WHERE NOT ordinal = ANY(\(same))", logger: logger
        ).collect()
        _ = try await connection.query("ANALYZE fragment_staging (ordinal, namespace, identity)", logger: logger)
            .collect()
        _ = try await connection.query("ANALYZE identity_staging", logger: logger).collect()
        let stride = PostgresWorkspace.sequenceStride
        _ = try await connection.query(
            """
            UPDATE profile p SET doc = ferry_merge(p.doc, f.doc), updated_at = \(now), fragment_time = f.time,
                fragment_sequence = \(base) * \(stride) + f.ordinal
            FROM fragment_staging f
            WHERE p.namespace = f.namespace AND p.identity = f.identity
            """, logger: logger
        ).collect()
        let grown = try await connection.query(
            """
            WITH linked AS (
                INSERT INTO identity (namespace, id, pid, linked_at)
                SELECT s.namespace, s.id, p.pid, \(now)
                FROM fragment_staging f JOIN profile p ON p.namespace = f.namespace AND p.identity = f.identity
                    JOIN identity_staging s ON s.ordinal = f.ordinal
                ON CONFLICT DO NOTHING
                RETURNING pid
            )
            SELECT DISTINCT pid FROM linked
            """, logger: logger
        ).collect().map { try $0.decode(Int64.self) }
        for pid in grown { try await enforceLimit(on: pid) }
        summary.updated += ordinals.count
    }

    /// Merges a group's fragments and the profiles they reach into the
    /// smallest pid (a new profile when they reach none).
    mutating func merge(_ group: IdentityBatchPlan.Group, batch: [ImportedProfile]) async throws {
        var fragments: [ProfileFragment] = []
        var primary: IdentityKey?
        if !group.pids.isEmpty {
            let rows = try await connection.query(
                """
                SELECT pid, namespace, identity, doc::text, updated_at, fragment_time, fragment_sequence, merged
                FROM profile WHERE pid = ANY(\(group.pids)) ORDER BY pid
                """, logger: logger
            ).collect()
            let stored = try await connection.query(
                """
                SELECT pid, namespace, identity, time, sequence, doc::text FROM fragment
                WHERE pid = ANY(\(group.pids)) ORDER BY pid, sequence
                """, logger: logger
            ).collect()
            for row in rows {
                let (pid, namespace, identity, doc, updated, time, sequence, merged) = try row.decode(
                    (Int64, String, String, String, Double, Double?, Int64, Bool).self)
                if pid == group.pids[0] { primary = IdentityKey(namespace: namespace, id: identity) }
                if merged {
                    for part in stored {
                        let (owner, namespace, identity, time, sequence, doc) = try part.decode(
                            (Int64, String, String, Double, Int64, String).self)
                        guard owner == pid else { continue }
                        IdentityMergePolicy.upsert(
                            ProfileFragment(
                                key: IdentityKey(namespace: namespace, id: identity), time: time, sequence: sequence,
                                document: try JSONValue.parse(doc)),
                            into: &fragments)
                    }
                } else {
                    IdentityMergePolicy.upsert(
                        ProfileFragment(
                            key: IdentityKey(namespace: namespace, id: identity), time: time ?? updated,
                            sequence: sequence, document: try JSONValue.parse(doc)),
                        into: &fragments)
                }
            }
        }
        var keys: [IdentityKey] = []
        for ordinal in group.ordinals {
            let profile = batch[ordinal]
            IdentityMergePolicy.upsert(
                ProfileFragment(
                    key: profile.identities[0], time: profile.timestamp ?? now, sequence: sequence(ordinal),
                    document: try JSONValue.parse(profile.document)),
                into: &fragments)
            for key in profile.identities where !keys.contains(key) { keys.append(key) }
        }
        let keep: Int64
        if let first = group.pids.first {
            keep = first
            let others = Array(group.pids.dropFirst())
            if !others.isEmpty {
                _ = try await connection.query(
                    "UPDATE identity SET pid = \(keep) WHERE pid = ANY(\(others))", logger: logger
                ).collect()
                _ = try await connection.query("DELETE FROM fragment WHERE pid = ANY(\(others))", logger: logger)
                    .collect()
                _ = try await connection.query("DELETE FROM profile WHERE pid = ANY(\(others))", logger: logger)
                    .collect()
                for pid in others {
                    for (from, to) in kept where to == pid { kept[from] = keep }
                    kept[pid] = keep
                }
            }
        } else {
            let first = batch[group.ordinals[0]]
            primary = first.identities[0]
            keep =
                try await connection.query(
                    """
                    INSERT INTO profile (namespace, identity, doc, updated_at)
                    VALUES (\(first.namespace), \(first.identity), '{}'::jsonb, \(now)) RETURNING pid
                    """, logger: logger
                ).collect().first?.decode(Int64.self) ?? 0
        }
        _ = try await connection.query(
            """
            INSERT INTO identity (namespace, id, pid, linked_at)
            SELECT namespace, id, \(keep), \(now) FROM unnest(\(keys.map(\.namespace)), \(keys.map(\.id))) AS k(namespace, id)
            ON CONFLICT DO NOTHING
            """, logger: logger
        ).collect()
        try await enforceLimit(on: keep)
        _ = try await connection.query("DELETE FROM fragment WHERE pid = \(keep)", logger: logger).collect()
        if fragments.count == 1 {
            // One record after all (the same one twice in a batch): kept in the row.
            let only = fragments[0]
            _ = try await connection.query(
                """
                UPDATE profile SET doc = \(only.document.serialized())::jsonb, updated_at = \(now),
                    fragment_time = \(only.time), fragment_sequence = \(only.sequence), merged = FALSE
                WHERE pid = \(keep)
                """, logger: logger
            ).collect()
            return
        }
        let identities = try await connection.query(
            "SELECT namespace, id FROM identity WHERE pid = \(keep) ORDER BY linked_at, namespace, id", logger: logger
        ).collect().map { row in
            let (namespace, id) = try row.decode((String, String).self)
            return IdentityKey(namespace: namespace, id: id)
        }
        let document = IdentityMergePolicy.merge(
            fragments, identities: identities, primary: primary ?? fragments[0].key)
        _ = try await connection.query(
            """
            INSERT INTO fragment (pid, namespace, identity, time, sequence, doc)
            SELECT \(keep), namespace, identity, time, sequence, doc::jsonb
            FROM unnest(\(fragments.map(\.key.namespace)), \(fragments.map(\.key.id)), \(fragments.map(\.time)),
                        \(fragments.map(\.sequence)), \(fragments.map { $0.document.serialized() }))
                AS f(namespace, identity, time, sequence, doc)
            """, logger: logger
        ).collect()
        _ = try await connection.query(
            """
            UPDATE profile SET doc = \(document.serialized())::jsonb, updated_at = \(now),
                fragment_time = \(fragments.map(\.time).max() ?? now), merged = TRUE
            WHERE pid = \(keep)
            """, logger: logger
        ).collect()
    }

    /// Past the limit, drops the oldest links of `pid`, never the identity
    /// its row is stored under.
    mutating func enforceLimit(on pid: Int64) async throws {
        guard
            let row = try await connection.query(
                """
                SELECT p.namespace, p.identity, (SELECT count(*) FROM identity WHERE pid = p.pid)
                FROM profile p WHERE p.pid = \(pid)
                """, logger: logger
            ).collect().first
        else { return }
        let (namespace, identity, count) = try row.decode((String, String, Int).self)
        guard count > limit else { return }
        let own = IdentityKey(namespace: namespace, id: identity)
        let dropped = try await connection.query(
            """
            DELETE FROM identity WHERE (namespace, id) IN (
                SELECT namespace, id FROM identity
                WHERE pid = \(pid) AND NOT (namespace = \(own.namespace) AND id = \(own.id))
                ORDER BY linked_at, namespace, id LIMIT \(count - limit))
            RETURNING 1
            """, logger: logger
        ).collect().count
        summary.identitiesDropped += dropped
    }

    /// Moves the absorbed profiles' memberships (their bits in the member sets,
    /// and rows of any table in `ProfileRemap.pidColumns`) to the profiles kept.
    /// A kept profile is a member where either was, until the next evaluation re-reads it.
    func finish() async throws {
        guard !kept.isEmpty else { return }
        let from = Array(kept.keys)
        let to = from.map { kept[$0]! }
        // Waits for the evaluations running (they never wait for the identity
        // graph, so no cycle) and keeps new ones out until the batch commits:
        // each replaces its segment's set with one read before this remap.
        _ = try await connection.query("LOCK TABLE segment_members IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            .collect()
        try await PostgresWorkspace.remapMemberSets(kept, on: connection, logger: logger)
        for (table, column) in ProfileRemap.pidColumns {
            let exists =
                try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: logger).collect()
                .first?.decode(Bool.self) ?? false
            guard exists else { continue }
            let quotedTable = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let quotedColumn = "\"" + column.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            var bindings = PostgresBindings()
            bindings.append(from)
            bindings.append(to)
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE \(quotedTable) t SET \(quotedColumn) = r.kept FROM unnest($1::bigint[], $2::bigint[]) AS r(absorbed, kept)
                        WHERE t.\(quotedColumn) = r.absorbed
                        """, binds: bindings), logger: logger
            ).collect()
        }
    }
}
