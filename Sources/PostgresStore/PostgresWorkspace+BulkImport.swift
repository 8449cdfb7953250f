import Foundation
import PostgresNIO
import Segmentation
import Synchronization
import Workspace

/// An import into an empty identity graph, as one transaction that keeps no
/// index up row by row.
///
/// Batch by batch, each profile cost 5 B-tree inserts and each identity 2
/// (perf: btinsert was 28% of the server's CPU), two of them into random
/// places of text indexes, plus the staging copy and a typed-values insert per
/// batch. Here, while the graph was empty and every batch is only new people
/// with no key of an earlier batch, nothing needs to be looked up, so the
/// indexes of `profile`, `identity` and `profile_value` are dropped in the
/// import's transaction; documents are COPYed straight into `profile` with
/// their pids; `profile_value` is filled by one statement at the end; and the
/// indexes are built once by sorting.
///
/// One transaction, so other processes see the workspace as before until it
/// commits, and a killed import leaves it so. It holds the identity graph's
/// lock and the three tables exclusively throughout, taken in that order,
/// before anything else: imports take the graph's lock first too, and
/// evaluations and exports read these tables without holding anything an
/// import waits for, so they wait for the commit rather than deadlock. The
/// graph being empty, no member set holds a pid this import makes.
///
/// A batch that repeats a key (possibly: key hashes), or whose records share
/// one, needs lookups and merges: the values and indexes are built at that
/// point and the rest of the import goes batch by batch in the same
/// transaction, as `writeFragments` does.
extension PostgresWorkspace {
    /// The summary, or nil when the graph was not empty (the caller imports batch by batch).
    func importIntoEmptyGraph(
        _ inputs: [ImportInput], options: ImportOptions, onReject: (ImportRejection) -> Void
    ) async throws -> ImportSummary? {
        guard try await graphIsEmpty() else { return nil }
        // Reported once the import has ended: it runs in a task of its own, so
        // that a connection closing under it always ends it (`ConnectionWatch`).
        let rejections = RejectionQueue()
        defer { for rejection in rejections.drain() { onReject(rejection) } }
        let logger = self.logger
        return try await ConnectionWatch.run { watch in
            try await self.client.withConnection { connection in
                watch(connection)
                return try await connection.withTransaction(logger: logger) { connection -> ImportSummary? in
                    _ = try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(Self.identityGraphLock))", logger: logger
                    ).collect()
                    _ = try await connection.query(
                        "LOCK TABLE profile, identity, profile_value IN ACCESS EXCLUSIVE MODE", logger: logger
                    ).collect()
                    guard try await Self.graphIsEmpty(on: connection, logger: logger) else { return nil }
                    let load = BulkLoad(workspace: self, connection: connection, limit: options.identityLimit)
                    let summary = try await ProfileInputReader(options: options).run(
                        inputs, onReject: { rejections.add($0) }, overlapping: 1
                    ) { batch, previous in
                        try await previous()
                        return try await load.write(batch, full: batch.count >= options.batchSize)
                    }
                    try await load.finish()
                    return summary
                }
            }
        }
    }

    func graphIsEmpty() async throws -> Bool {
        try await withConnection { connection in try await Self.graphIsEmpty(on: connection, logger: self.logger) }
    }

    static func graphIsEmpty(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(
            "SELECT NOT EXISTS (SELECT 1 FROM identity) AND NOT EXISTS (SELECT 1 FROM profile)", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
    }
}

final class RejectionQueue: Sendable {
    private let items = Mutex<[ImportRejection]>([])
    func add(_ rejection: ImportRejection) { items.withLock { $0.append(rejection) } }
    func drain() -> [ImportRejection] {
        items.withLock { items in
            defer { items = [] }; return items
        }
    }
}

/// The state of one bulk import. Its batches are written one at a time (the
/// reader runs with one write in flight, each awaiting the one before), so
/// nothing here is touched from two tasks at once.
final class BulkLoad: @unchecked Sendable {
    enum Mode {
        /// Nothing written yet: the first batch decides.
        case starting
        /// Indexes dropped; `restore` builds them again.
        case bulk(restore: [String])
        /// Indexes in place, batch by batch.
        case batches
    }

    let workspace: PostgresWorkspace
    let connection: PostgresConnection
    let limit: Int
    var mode = Mode.starting
    /// Hashes of every key written in bulk (as `ImportFootprint.hashes` makes them).
    var written: Set<Int> = []
    let now = Date().timeIntervalSince1970
    var logger: Logger { workspace.logger }

    /// The tables whose indexes the bulk path drops (none is referenced by a foreign key).
    static let tables = ["profile", "identity", "profile_value"]

    init(workspace: PostgresWorkspace, connection: PostgresConnection, limit: Int) {
        self.workspace = workspace
        self.connection = connection
        self.limit = limit
    }

    func write(_ batch: [ImportedProfile], full: Bool) async throws -> ImportSummary {
        if case .starting = mode {
            // A batch that is all there is gains nothing: its rows are written either way, then sorted again.
            mode = full ? .bulk(restore: try await dropIndexes()) : .batches
        }
        if case .bulk = mode {
            if allNew(batch) {
                try await insert(batch)
                var summary = ImportSummary()
                summary.inserted = batch.count
                return summary
            }
            try await rebuild()
        }
        return try await workspace.storeBatch(
            batch, now: now, limit: limit, footprint: nil, hashes: [], sharedTransaction: true, on: connection,
            after: {}
        ).0
    }

    /// Whether every record of `batch` is a new person within the identities
    /// limit: none of its keys (identities, and the key it is stored under) is
    /// one of an earlier bulk batch's or another record's of this one, as an
    /// `IdentityBatchPlan` with no holders would find every record fresh. Keys
    /// are compared by hash, adding them to `written` on the way: a collision
    /// only sends the import batch by batch (where `written` is not read), at
    /// a fraction of the plan's dictionaries of keys.
    func allNew(_ batch: [ImportedProfile]) -> Bool {
        guard batch.allSatisfy({ $0.identities.count <= limit }) else { return false }
        written.reserveCapacity(written.count + batch.count * 3)
        for profile in batch {
            var own = Hasher()
            own.combine(1)
            own.combine(profile.namespace)
            own.combine(profile.identity)
            guard written.insert(own.finalize()).inserted else { return false }
            for key in profile.identities {
                var hasher = Hasher()
                hasher.combine(0)
                hasher.combine(key.namespace)
                hasher.combine(key.id)
                guard written.insert(hasher.finalize()).inserted else { return false }
            }
        }
        return true
    }

    /// Builds what the bulk batches left out, if any.
    func finish() async throws {
        if case .bulk = mode { try await rebuild() }
    }

    /// Drops every index of `tables` (constraints through their table) and
    /// the insert trigger, and returns the statements that make them again.
    private func dropIndexes() async throws -> [String] {
        let names = BulkLoad.tables
        var restore: [String] = []
        var drop: [String] = []
        for row in try await connection.query(
            """
            SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
            FROM pg_constraint c WHERE c.conrelid = ANY(\(names)::regclass[]) AND c.contype IN ('p', 'u')
            ORDER BY c.conrelid::regclass::text, c.conname
            """, logger: logger
        ).collect() {
            let (table, name, definition) = try row.decode((String, String, String).self)
            drop.append("ALTER TABLE \(table) DROP CONSTRAINT \(name)")
            restore.append("ALTER TABLE \(table) ADD CONSTRAINT \(name) \(definition)")
        }
        for row in try await connection.query(
            """
            SELECT quote_ident(i.indexrelid::regclass::text), pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = ANY(\(names)::regclass[])
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """, logger: logger
        ).collect() {
            let (name, definition) = try row.decode((String, String).self)
            drop.append("DROP INDEX \(name)")
            restore.append(definition)
        }
        drop.append("ALTER TABLE profile DISABLE TRIGGER profile_values_insert")
        restore.insert("ALTER TABLE profile ENABLE TRIGGER profile_values_insert", at: 0)
        for statement in drop {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
        }
        return restore
    }

    /// New people only, none of whose keys is stored: COPYed into `profile`
    /// with pids of one range of the sequence (nothing else makes profiles
    /// while the graph's lock is held), and their identities into `identity`.
    private func insert(_ batch: [ImportedProfile]) async throws {
        let known = try await PostgresWorkspace.typedColumns(on: connection, logger: logger)
        let paths = PostgresWorkspace.leafPaths(ofSampleOf: batch, known: Set(known.keys))
        if !paths.isEmpty { try await PostgresWorkspace.addTypedColumns(for: paths, on: connection, logger: logger) }
        let row = try await connection.query(
            """
            SELECT setval(pg_get_serial_sequence('profile', 'pid'),
                          nextval(pg_get_serial_sequence('profile', 'pid')) + \(batch.count - 1)),
                   nextval('fragment_sequence')
            """, logger: logger
        ).collect().first
        guard let (last, base) = try row?.decode((Int64, Int64).self) else { return }
        let first = last - Int64(batch.count) + 1
        // Fields written one by one, not as a row of strings: that array and
        // its strings per record were a tenth of the import's own CPU.
        let stamp = String(now)
        var profileRows = ByteBuffer()
        profileRows.reserveCapacity(batch.reduce(0) { $0 + $1.document.utf8.count + 96 })
        var identityRows = ByteBuffer()
        identityRows.reserveCapacity(batch.count * 96)
        func tab(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\t")) }
        func end(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\n")) }
        for (ordinal, profile) in batch.enumerated() {
            let pid = first + Int64(ordinal)
            Self.writeDigits(pid, to: &profileRows)
            tab(&profileRows)
            PostgresWorkspace.writeCopyText(profile.namespace, to: &profileRows)
            tab(&profileRows)
            PostgresWorkspace.writeCopyText(profile.identity, to: &profileRows)
            tab(&profileRows)
            PostgresWorkspace.writeCopyText(profile.document, to: &profileRows)
            tab(&profileRows)
            profileRows.writeString(stamp)
            tab(&profileRows)
            if let timestamp = profile.timestamp {
                profileRows.writeString(String(timestamp))
            } else {
                profileRows.writeString(stamp)
            }
            tab(&profileRows)
            Self.writeDigits(base * PostgresWorkspace.sequenceStride + Int64(ordinal), to: &profileRows)
            end(&profileRows)
            let keys = profile.identities
            for (index, key) in keys.enumerated() where !keys[..<index].contains(key) {
                PostgresWorkspace.writeCopyText(key.namespace, to: &identityRows)
                tab(&identityRows)
                PostgresWorkspace.writeCopyText(key.id, to: &identityRows)
                tab(&identityRows)
                Self.writeDigits(pid, to: &identityRows)
                tab(&identityRows)
                identityRows.writeString(stamp)
                end(&identityRows)
            }
        }
        let (profileData, identityData) = (profileRows, identityRows)
        try await connection.copyFrom(
            table: "profile",
            columns: ["pid", "namespace", "identity", "doc", "updated_at", "fragment_time", "fragment_sequence"],
            logger: logger
        ) { writer in try await writer.write(profileData) }
        try await connection.copyFrom(
            table: "identity", columns: ["namespace", "id", "pid", "linked_at"], logger: logger
        ) { writer in try await writer.write(identityData) }
    }

    /// `value` in decimal, as `String(value)` spells it, without making that string.
    static func writeDigits(_ value: Int64, to buffer: inout ByteBuffer) {
        // 20 digits and a sign at most.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            var magnitude = value.magnitude
            var at = raw.count
            repeat {
                at -= 1
                raw[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                at -= 1
                raw[at] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[at...]))
        }
    }

    /// The typed values of every profile in one statement, then the indexes
    /// by sorting; from then on batches go one by one.
    private func rebuild() async throws {
        guard case .bulk(let restore) = mode else { return }
        mode = .batches
        _ = try await connection.query(
            PostgresQuery(
                unsafeSQL: PostgresWorkspace.typedValuesInsert(
                    try await PostgresWorkspace.valueLayout(on: connection, logger: logger), from: "profile")),
            logger: logger
        ).collect()
        // Each index is one sort of the whole table: in memory rather than in
        // runs on disk, with the parallel workers the server allows.
        _ = try await connection.query("SET LOCAL maintenance_work_mem = '256MB'", logger: logger).collect()
        for statement in restore {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
        }
        _ = try await connection.query("RESET maintenance_work_mem", logger: logger).collect()
    }
}
