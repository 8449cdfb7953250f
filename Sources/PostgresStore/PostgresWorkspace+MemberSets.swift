import Foundation
import PostgresNIO
import Workspace

/// Memberships as member sets, the SQLite workspace's design and stored form
/// (`MemberBitmap`): per segment its current members (`segment_members`), and
/// per evaluation who entered and who exited (`member_delta`).
///
/// A row per member cost about 10 µs to insert, half of an evaluation of the
/// 10 bench segments; a set of a million profiles is 125 KB, and an evaluation
/// writes two rows whatever the segment's size.
extension PostgresWorkspace {
    static let memberSetsMigration = "2026-12-02 member sets"

    /// One segment's current members and deltas, as its last evaluation left them.
    static func membershipSnapshot(sid: Int64, on connection: PostgresConnection, logger: Logger) async throws
        -> MembershipSnapshot
    {
        let current = try await connection.query(
            "SELECT members FROM segment_members WHERE sid = \(sid)", logger: logger
        ).collect().first.map { try MemberBitmap(data: try $0.decode(Data.self)) }
        var deltas: [MembershipSnapshot.Delta] = []
        for row in try await connection.query(
            """
            SELECT e.id, e.started_at, d.entered, d.exited FROM evaluation e
            JOIN member_delta d ON d.evaluation_id = e.id WHERE e.sid = \(sid) ORDER BY e.id
            """, logger: logger
        ).collect() {
            let (id, time, entered, exited) = try row.decode((Int64, Double, Data, Data).self)
            deltas.append(
                .init(
                    evaluationId: id, time: time, entered: try MemberBitmap(data: entered),
                    exited: try MemberBitmap(data: exited)))
        }
        return MembershipSnapshot(current: current ?? MemberBitmap(), profileVersion: nil, deltas: deltas)
    }

    func membershipSnapshot(sid: Int64) async throws -> MembershipSnapshot {
        try await withConnection { connection in
            try await Self.membershipSnapshot(sid: sid, on: connection, logger: self.logger)
        }
    }

    /// The set of the pids `condition` selects from `profiles`, built inside
    /// PostgreSQL as 64-bit words (a row per 64 pids rather than per member).
    static func qualifyingSet(
        from profiles: String, where condition: String, binds: PostgresBindings, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> MemberBitmap {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT pid >> 6, bit_or(1::bigint << (pid & 63)::integer) FROM \(profiles)
                    WHERE \(condition) GROUP BY 1
                    """, binds: binds), logger: logger)
        var members = MemberBitmap()
        for try await (word, bits) in rows.decode((Int64, Int64).self) { members.insert(word: word, bits: bits) }
        return members
    }

    /// The pids, and for each its status and last qualification time, that `selection` picks.
    static func selectedMembers(_ snapshot: MembershipSnapshot, _ selection: MemberSelection) -> (
        pids: [Int64], statuses: [String], times: [Double]
    ) {
        let exited = snapshot.exited
        var (pids, statuses, times) = ([Int64](), [String](), [Double]())
        let selected = snapshot.selected(selection, exited: exited)
        var cursor: Int64 = -1
        while let pid = selected.member(after: cursor) {
            cursor = pid
            guard let facts = snapshot.describe(pid, exited: exited) else { continue }
            pids.append(pid)
            statuses.append(facts.status.rawValue)
            times.append(facts.lastQualificationTime)
        }
        return (pids, statuses, times)
    }

    /// Moves absorbed profiles' bits to the profiles kept, in the current sets
    /// and in every evaluation's entered and exited sets, as the SQLite
    /// workspace's `ProfileRemap` does.
    static func remapMemberSets(_ kept: [Int64: Int64], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        let absorbed = ProfileRemap.absorbedSet(kept)
        func remapped(_ bytes: Data) throws -> MemberBitmap? {
            ProfileRemap.remapped(try MemberBitmap(data: bytes), kept, absorbed: absorbed)
        }
        for row in try await connection.query("SELECT sid, members FROM segment_members", logger: logger).collect() {
            let (sid, members) = try row.decode((Int64, Data).self)
            guard let moved = try remapped(members) else { continue }
            _ = try await connection.query(
                "UPDATE segment_members SET members = \(moved.data) WHERE sid = \(sid)", logger: logger
            ).collect()
        }
        for row in try await connection.query(
            "SELECT evaluation_id, entered, exited FROM member_delta", logger: logger
        ).collect() {
            let (id, entered, exited) = try row.decode((Int64, Data, Data).self)
            let newEntered = try remapped(entered)
            let newExited = try remapped(exited)
            guard newEntered != nil || newExited != nil else { continue }
            let enteredData = try (newEntered ?? MemberBitmap(data: entered)).data
            let exitedData = try (newExited ?? MemberBitmap(data: exited)).data
            _ = try await connection.query(
                "UPDATE member_delta SET entered = \(enteredData), exited = \(exitedData) WHERE evaluation_id = \(id)",
                logger: logger
            ).collect()
        }
    }

    /// Turns the row-per-member `membership` table of an older workspace into
    /// member sets (the facts an export and a member list read are kept), then drops it.
    static func convertMembershipRows(on connection: PostgresConnection, logger: Logger) async throws {
        let segments = try await connection.query(
            "SELECT DISTINCT sid FROM membership ORDER BY sid", logger: logger
        ).collect().map { try $0.decode(Int64.self) }
        for sid in segments {
            var current = MemberBitmap()
            var entered: [Int64: MemberBitmap] = [:]
            var exited: [Int64: MemberBitmap] = [:]
            // A row kept its last change's evaluation, and for an exited member
            // the time it had entered; that time names the evaluation it entered in.
            var evaluationAt: [Double: Int64] = [:]
            var evaluations: [Int64] = []
            for row in try await connection.query(
                "SELECT id, started_at FROM evaluation WHERE sid = \(sid) ORDER BY id", logger: logger
            ).collect() {
                let (id, time) = try row.decode((Int64, Double).self)
                evaluationAt[time] = max(evaluationAt[time] ?? id, id)
                evaluations.append(id)
            }
            let rows = try await connection.query(
                """
                SELECT pid, status = 'realized', last_qualification_time, changed_in_evaluation FROM membership
                WHERE sid = \(sid)
                """, logger: logger)
            for try await (pid, realized, qualified, changedIn) in rows.decode((Int64, Bool, Double, Int64).self) {
                if realized {
                    current.insert(pid)
                    entered[changedIn, default: MemberBitmap()].insert(pid)
                } else {
                    exited[changedIn, default: MemberBitmap()].insert(pid)
                    if let enteredIn = evaluationAt[qualified] {
                        entered[enteredIn, default: MemberBitmap()].insert(pid)
                    }
                }
            }
            for id in evaluations {
                _ = try await connection.query(
                    """
                    INSERT INTO member_delta (evaluation_id, entered, exited)
                    VALUES (\(id), \((entered[id] ?? MemberBitmap()).data), \((exited[id] ?? MemberBitmap()).data))
                    """, logger: logger
                ).collect()
            }
            if let latest = evaluations.last {
                _ = try await connection.query(
                    """
                    INSERT INTO segment_members (sid, evaluation_id, members)
                    VALUES (\(sid), \(latest), \(current.data))
                    """, logger: logger
                ).collect()
            }
        }
        _ = try await connection.query("DROP TABLE membership", logger: logger).collect()
    }
}

extension MemberBitmap {
    /// Adds the pids `word * 64 + i` for each bit i set in `bits`.
    mutating func insert(word: Int64, bits: Int64) {
        var remaining = UInt64(bitPattern: bits)
        while remaining != 0 {
            insert(word << 6 + Int64(remaining.trailingZeroBitCount))
            remaining &= remaining - 1
        }
    }
}
