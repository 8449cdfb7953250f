import Foundation
import GRDB
import GRDBSQLite
import Segmentation
import Synchronization

/// Evaluates segments over all profiles and records each segment's new member
/// set, without holding the workspace's write lock for the scan.
///
/// All segments of a pass share one scan of `profile` in a read transaction
/// (a snapshot: imports, runs and other processes keep writing meanwhile).
/// Each row's predicates come back as one column per segment and set bits in
/// that segment's member set; segments without an SQL translation are
/// evaluated together by one Swift function that returns a bit per segment.
/// The changes against the previous member set are then written in one short
/// transaction: a few bitmaps, not a row per member.
enum SegmentEvaluator {
    /// Segments per shared scan; Swift-evaluated ones also share one 63-bit mask.
    static let segmentsPerPass = 32

    static func evaluate(
        _ segments: [(SegmentRecord, PQLExpression)], now: Date, pool: DatabasePool, full: Bool = false,
        resolve: @escaping @Sendable (String) -> Int64? = { _ in nil }
    ) async throws -> [EvaluationSummary] {
        var summaries: [EvaluationSummary] = []
        var start = 0
        while start < segments.count {
            let pass = Array(segments[start..<min(start + segmentsPerPass, segments.count)])
            summaries += try await evaluatePass(pass, now: now, pool: pool, full: full, resolve: resolve)
            start += segmentsPerPass
        }
        return summaries
    }

    /// One segment's result: every member, or the verdicts on the profiles
    /// changed since the version its member set reflects.
    enum Outcome: Sendable {
        case full(MemberBitmap)
        case changes(since: Int64, changed: MemberBitmap, qualifying: MemberBitmap)
    }

    private static func evaluatePass(
        _ segments: [(SegmentRecord, PQLExpression)], now: Date, pool: DatabasePool, full: Bool,
        resolve: @escaping @Sendable (String) -> Int64?, catalogTries: Int = 3
    ) async throws -> [EvaluationSummary] {
        let catalog = catalogTries > 0
        let scanStart = Date()
        let (columns, eventColumns, eventsSince) = try await pool.read { db in
            (try ProfileColumns.load(db), try EventColumns.load(db), try Workspace.eventsRetainedSince(now: now, db))
        }
        let typed = columns.numbers
        // An import may add a type to a path between this read and the scan's: the
        // scan reads the catalog again in its own snapshot and refuses a changed one.
        let kinds = catalog ? Self.kinds(of: columns) : [:]
        let eventKinds = catalog ? Self.kinds(of: eventColumns) : [:]
        let events = PQLEventStore(
            profileKey: "profile.pid", retainedSince: eventsSince, columns: eventColumns.numbers, kinds: eventKinds)
        let referenced = Set(segments.flatMap { PQL.segmentReferences($0.1).compactMap(resolve) })
        let lookup = MemberLookup(sids: referenced)
        let fragments = segments.map { segment in
            PQL.sqlWhere(
                segment.1, dialect: .sqlite, documentColumn: "doc", typedColumns: typed, typedKinds: kinds, now: now,
                membership: { reference in
                    // The scan fills the lookup with the named segments' members, in its own snapshot.
                    SQLFragment(sql: resolve(reference).map { "\(MemberLookup.functionName)(\($0), pid)" } ?? "0")
                }, events: events)
        }
        // A result that depends on nothing but the profile's own row can be
        // kept for the profiles that did not change.
        let rowOnly = segments.indices.map { index in
            !full && fragments[index] != nil && !dependsOnClock(segments[index].1, typed: typed, now: now)
                && PQL.segmentReferences(segments[index].1).isEmpty && !PQL.readsEvents(segments[index].1)
        }
        let sids = segments.map { $0.0.sid ?? -1 }
        let bases: [Int64?] = try await pool.read { db in
            try sids.indices.map { index in
                guard rowOnly[index] else { return nil }
                return try Int64.fetchOne(
                    db, sql: "SELECT profileVersion FROM segmentMembers WHERE sid = ?", arguments: [sids[index]])
            }
        }
        let scan = try makeScan(
            segments, fragments: fragments, bases: bases, now: now, eventsSince: eventsSince, lookup: lookup,
            kinds: kinds, eventKinds: eventKinds, resolve: resolve)
        let outcomes: [Outcome]
        let version: Int64
        do {
            (outcomes, version) = try await scan.run(pool)
        } catch is Scan.CatalogChanged {
            // Compiled again against the new catalog; past a few tries, without it.
            return try await evaluatePass(
                segments, now: now, pool: pool, full: full, resolve: resolve, catalogTries: catalogTries - 1)
        } catch let error as DatabaseError {
            // One segment's SQL must not stop the others: each goes alone, and
            // the one that still fails is reported in a sentence, not its SQL.
            guard segments.count == 1 else {
                var summaries: [EvaluationSummary] = []
                for segment in segments {
                    summaries += try await evaluatePass([segment], now: now, pool: pool, full: full, resolve: resolve)
                }
                return summaries
            }
            let (segment, _) = segments[0]
            var failed = EvaluationSummary(
                evaluationId: 0, segmentId: segment.id, segmentName: segment.name, realized: 0, existing: 0,
                exited: 0, purged: 0, usedSQL: fragments[0] != nil, seconds: Date().timeIntervalSince(scanStart))
            failed.failure =
                "SQLite could not evaluate it (\(String((error.message ?? "\(error.resultCode)").prefix(120))))"
            return [failed]
        }
        let scanShare = Date().timeIntervalSince(scanStart) / Double(segments.count)
        let written = try await pool.write { db in
            try segments.indices.map { index -> EvaluationSummary? in
                let writeStart = Date()
                guard
                    var summary = try record(
                        outcomes[index], version: version, of: segments[index].0, usedSQL: fragments[index] != nil,
                        now: now, in: db)
                else { return nil }
                summary.seconds = scanShare + Date().timeIntervalSince(writeStart)
                try db.execute(
                    sql: "UPDATE evaluation SET finishedAt = ? WHERE id = ?",
                    arguments: [now.timeIntervalSince1970 + summary.seconds, summary.evaluationId])
                return summary
            }
        }
        var summaries = written.compactMap { $0 }
        let redo = segments.indices.filter { written[$0] == nil }.map { segments[$0] }
        // Another process evaluated one of these meanwhile, so its changes no
        // longer apply to the stored set; a full scan settles it.
        if !redo.isEmpty {
            summaries += try await evaluatePass(redo, now: now, pool: pool, full: true, resolve: resolve)
        }
        let order = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1.0.id, $0) })
        return summaries.sorted { order[$0.segmentId, default: 0] < order[$1.segmentId, default: 0] }
    }

    /// Whether the SQL for `expression` changes with the evaluation time:
    /// `now`, `today`, relative dates and the current month all reach SQL as
    /// arguments or text, so two times far apart in every calendar field tell.
    static func dependsOnClock(_ expression: PQLExpression, typed: [[String]: Int], now: Date) -> Bool {
        let later = now.addingTimeInterval(400 * 86_400 + 3_661)
        return PQL.sqliteWhere(expression, jsonColumn: "doc", typedColumns: typed, now: now)
            != PQL.sqliteWhere(expression, jsonColumn: "doc", typedColumns: typed, now: later)
    }

    /// The statements of one pass: a scan of every profile for the segments
    /// evaluated in full, and one of the changed profiles for the others.
    struct Scan: Sendable {
        struct Part: Sendable {
            var sql: String
            var arguments: StatementArguments
            /// Per segment in this part: its index, its result column or mask bit, its base version.
            var members: [(index: Int, column: Int32, bit: Int?, base: Int64?)]
            var maskColumn: Int32?
            var mask: DatabaseFunction?
        }
        var parts: [Part]
        var count: Int
        var lookup: MemberLookup
        /// The catalog the SQL was compiled against (empty: compiled without it).
        var kinds: [[String]: Set<String>]
        /// The event columns' catalog the SQL was compiled against.
        var eventKinds: [[String]: Set<String>] = [:]

        /// Whether halves of the profiles may be scanned on two connections at once: a
        /// full scan of predicates over each row alone. Every write to `profile` stamps a
        /// new version, so two snapshots with the same version hold the same profiles;
        /// events and other segments' members carry no such stamp.
        var splits = false

        /// The catalog changed since the SQL was compiled; the SQL may not hold for the new types.
        struct CatalogChanged: Error {}

        /// Runs the scan, in two halves by pid on two connections when it `splits` (both
        /// cores), in one read transaction otherwise.
        func run(_ pool: DatabasePool) async throws -> ([Outcome], Int64) {
            guard splits else { return try await pool.read { db in try run(db) } }
            let halves = try await withThrowingTaskGroup(of: ([Outcome], Int64).self) { group in
                for half in 0..<2 { group.addTask { try await pool.read { db in try run(db, slice: (half, 2)) } } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // An import committed between the two snapshots: the halves may not fit together.
            guard halves[0].1 == halves[1].1 else { return try await pool.read { db in try run(db) } }
            let merged = zip(halves[0].0, halves[1].0).map { a, b -> Outcome in
                switch (a, b) {
                case (.full(let x), .full(let y)): .full(x.union(y))
                default: preconditionFailure("only full scans split")
                }
            }
            return (merged, halves[0].1)
        }

        func run(_ db: Database, slice: (index: Int, count: Int) = (0, 1)) throws -> ([Outcome], Int64) {
            // The version is read in the scan's own snapshot: every profile
            // stamped up to it is in what the scan sees.
            let version = try Int64.fetchOne(db, sql: "SELECT version FROM profileVersion WHERE id = 1") ?? 0
            if !kinds.isEmpty, try SegmentEvaluator.kinds(of: ProfileColumns.load(db)) != kinds {
                throw CatalogChanged()
            }
            if !eventKinds.isEmpty, try SegmentEvaluator.kinds(of: EventColumns.load(db)) != eventKinds {
                throw CatalogChanged()
            }
            var range: (Int64, Int64)?
            if slice.count > 1 {
                let top = try Int64.fetchOne(db, sql: "SELECT max(pid) FROM profile") ?? 0
                let bound = { (index: Int) in index == 0 ? Int64.min : top / Int64(slice.count) * Int64(index) }
                range = (bound(slice.index), slice.index == slice.count - 1 ? Int64.max : bound(slice.index + 1))
            }
            try lookup.load(db)
            db.add(function: lookup.function)
            defer { db.remove(function: lookup.function) }
            var outcomes = [Outcome](repeating: .full(MemberBitmap()), count: count)
            for part in parts {
                var changed = [MemberBitmap](repeating: MemberBitmap(), count: part.members.count)
                var qualifying = [MemberBitmap](repeating: MemberBitmap(), count: part.members.count)
                try Self.step(part, db, range: range) { pid, rowVersion, handle in
                    let bits = part.maskColumn.map { sqlite3_column_int64(handle, $0) } ?? 0
                    for (slot, member) in part.members.enumerated() {
                        if let base = member.base {
                            guard rowVersion > base else { continue }
                            changed[slot].insert(pid)
                        }
                        let qualifies: Bool
                        if let bit = member.bit {
                            qualifies = bits & (1 << Int64(bit)) != 0
                        } else {
                            // NULL (unknown) does not qualify, as in a WHERE clause.
                            qualifies = sqlite3_column_int64(handle, member.column) != 0
                        }
                        if qualifies { qualifying[slot].insert(pid) }
                    }
                }
                for (slot, member) in part.members.enumerated() {
                    if let base = member.base {
                        outcomes[member.index] = .changes(
                            since: base, changed: changed[slot], qualifying: qualifying[slot])
                    } else {
                        outcomes[member.index] = .full(qualifying[slot])
                    }
                }
            }
            return (outcomes, version)
        }

        /// Steps a part's statement through SQLite's C API: a million rows of
        /// ten columns through GRDB's Row would cost more than the predicates.
        private static func step(
            _ part: Part, _ db: Database, range: (Int64, Int64)?, _ body: (Int64, Int64, SQLiteStatement) throws -> Void
        ) throws {
            if let mask = part.mask { db.add(function: mask) }
            defer { if let mask = part.mask { db.remove(function: mask) } }
            var sql = part.sql
            var arguments = part.arguments
            if let (above, upTo) = range {
                // Parts that split have no WHERE of their own (`splits`).
                sql += " WHERE pid > ? AND pid <= ?"
                arguments += [above, upTo]
            }
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(arguments)
            let handle = statement.sqliteStatement
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: code),
                        message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                try body(sqlite3_column_int64(handle, 0), sqlite3_column_int64(handle, 1), handle)
            }
        }
    }

    private static func makeScan(
        _ segments: [(SegmentRecord, PQLExpression)], fragments: [SQLFragment?], bases: [Int64?], now: Date,
        eventsSince: Double, lookup: MemberLookup, kinds: [[String]: Set<String>],
        eventKinds: [[String]: Set<String>], resolve: @escaping @Sendable (String) -> Int64?
    ) throws -> Scan {
        var parts: [Scan.Part] = []
        let full = segments.indices.filter { bases[$0] == nil }
        let incremental = segments.indices.filter { bases[$0] != nil }
        for (indices, since) in [(full, nil as Int64?), (incremental, incremental.compactMap { bases[$0] }.min())]
        where !indices.isEmpty {
            var columns = ["pid", "version"]
            var arguments: [SQLArgument] = []
            var inSwift: [PQLExpression] = []
            var members: [(index: Int, column: Int32, bit: Int?, base: Int64?)] = []
            for index in indices {
                if let fragment = fragments[index] {
                    columns.append("(\(fragment.sql))")
                    arguments += fragment.arguments
                    members.append((index, Int32(columns.count - 1), nil, bases[index]))
                } else {
                    members.append((index, -1, inSwift.count, bases[index]))
                    inSwift.append(segments[index].1)
                }
            }
            let mask =
                inSwift.isEmpty
                ? nil
                : swiftMask(inSwift, now: now, eventsSince: eventsSince) { reference, pid in
                    resolve(reference).map { lookup.contains(pid, inSegment: $0) } ?? false
                }
            if let mask { columns.append("\(mask.function.name)(\(mask.arguments.joined(separator: ", ")))") }
            var sql = "SELECT \(columns.joined(separator: ", ")) FROM profile"
            if let since {
                sql += " WHERE version > ?"
                arguments.append(.int(since))
            }
            parts.append(
                Scan.Part(
                    sql: sql, arguments: statementArguments(arguments), members: members,
                    maskColumn: mask == nil ? nil : Int32(columns.count - 1), mask: mask?.function))
        }
        var scan = Scan(parts: parts, count: segments.count, lookup: lookup, kinds: kinds, eventKinds: eventKinds)
        scan.splits =
            incremental.isEmpty && parts.allSatisfy { $0.mask == nil } && lookup.sids.isEmpty
            && !segments.contains { PQL.readsEvents($0.1) }
        return scan
    }

    /// The catalog: per typed path, the `json_type` names seen there.
    static func kinds(of columns: ProfileColumns) -> [[String]: Set<String>] {
        Dictionary(zip(columns.paths.map(\.keys), columns.kinds), uniquingKeysWith: { $0.union($1) })
    }

    /// Records one evaluation: its counts, who entered and who exited since
    /// the previous one, and the new member set. Nil when `outcome` holds
    /// changes against a set that another evaluation has replaced since.
    private static func record(
        _ outcome: Outcome, version: Int64, of segment: SegmentRecord, usedSQL: Bool, now: Date, in db: Database
    ) throws -> EvaluationSummary? {
        guard let sid = segment.sid else { preconditionFailure("a fetched segment has a sid") }
        // Read inside the write: another process may have evaluated meanwhile.
        let before = try MembershipSnapshot.load(sid: sid, in: db)
        let members: MemberBitmap
        switch outcome {
        case .full(let all):
            members = all
        case .changes(let base, let changed, let qualifying):
            guard before.profileVersion == base else { return nil }
            members = before.current.subtracting(changed).union(qualifying)
        }
        let entered = members.subtracting(before.current)
        let exited = before.current.subtracting(members)
        var evaluation = EvaluationRecord(
            id: nil, sid: sid, startedAt: now, finishedAt: nil,
            realized: entered.count, existing: members.count - entered.count, exited: exited.count,
            usedSQL: usedSQL)
        try evaluation.insert(db)
        guard let evaluationId = evaluation.id else { preconditionFailure("an inserted evaluation has an id") }
        try db.execute(
            sql: "INSERT INTO memberDelta (evaluationId, entered, exited) VALUES (?, ?, ?)",
            arguments: [evaluationId, entered.data, exited.data])
        // The same members (most segments after a small import) keep their
        // stored set: rewriting it would cost more than the evaluation itself.
        var unchangedSetKept = false
        if entered.isEmpty, exited.isEmpty {
            try db.execute(
                sql: "UPDATE segmentMembers SET evaluationId = ?, profileVersion = ? WHERE sid = ?",
                arguments: [evaluationId, version, sid])
            unchangedSetKept = db.changesCount == 1
        }
        if !unchangedSetKept {
            try db.execute(
                sql: """
                    INSERT INTO segmentMembers (sid, evaluationId, members, profileVersion) VALUES (?, ?, ?, ?)
                    ON CONFLICT (sid) DO UPDATE SET evaluationId = excluded.evaluationId, members = excluded.members,
                        profileVersion = excluded.profileVersion
                    """, arguments: [sid, evaluationId, members.data, version])
        }
        var after = before
        after.current = members
        after.deltas.append(
            .init(evaluationId: evaluationId, time: now.timeIntervalSince1970, entered: entered, exited: exited))
        // Exits that fell out of the 30 days are forgotten by this evaluation.
        let purged = before.exited.subtracting(after.exited).subtracting(members).count
        var summary = EvaluationSummary(
            evaluationId: evaluationId, segmentId: segment.id, segmentName: segment.name,
            realized: entered.count, existing: members.count - entered.count, exited: exited.count, purged: purged,
            usedSQL: usedSQL, seconds: 0)
        if case .changes(_, let changed, _) = outcome { summary.changedProfiles = changed.count }
        return summary
    }

    /// Arguments beyond this many fields pass the whole document instead.
    static let maximumExtractedFields = 100

    /// An SQL function `ferry_pql_mask(...)` whose bit i is set when expression i holds.
    ///
    /// Rather than the whole document, it receives only the fields the expressions
    /// read (`doc -> '$."a"."b"'`, JSON text or NULL), extracted by SQLite from a
    /// parse it shares with the SQL predicates of the same scan. Rebuilding a small
    /// document from those is far cheaper than parsing every profile in Swift.
    private static func swiftMask(
        _ expressions: [PQLExpression], now: Date, eventsSince: Double,
        isMember: @escaping @Sendable (String, Int64) -> Bool
    ) -> (function: DatabaseFunction, arguments: [String]) {
        precondition(expressions.count <= 63)
        // Event forms SQL can't say get the profile's retained events, gathered by
        // SQLite in the same statement, under `xEvent`.
        let eventArgument = expressions.contains(where: PQL.readsEvents) ? EventSQL.eventsJSON(since: eventsSince) : nil
        let paths = expressions.reduce(into: Set<String>()) { $0.formUnion(PQL.fieldPaths($1)) }
            .filter { $0 != PQL.eventsField && !$0.hasPrefix(PQL.eventsField + ".") }.sorted()
        let keyPaths = paths.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
        let sqlPaths = keyPaths.map(ProfileColumns.jsonPath)
        let wholeDocument = paths.count > maximumExtractedFields || sqlPaths.contains(nil)

        // The first argument is the row's pid, which `inSegment` looks up.
        @Sendable func mask(_ document: JSONValue, pid: Int64) -> Int64 {
            var bits: Int64 = 0
            for (bit, expression) in expressions.enumerated()
            where PQL.evaluate(expression, on: document, now: now, isMember: { isMember($0, pid) }) {
                bits |= 1 << Int64(bit)
            }
            return bits
        }
        let extra = eventArgument == nil ? 0 : 1
        @Sendable func withEvents(_ document: JSONValue, _ arguments: [DatabaseValue]) throws -> JSONValue {
            guard eventArgument != nil else { return document }
            let events = try String.fromDatabaseValue(arguments[arguments.count - 1]).map(JSONValue.parse)
            guard case .array(let list)? = events else { return PQL.withEvents(document, []) }
            return PQL.withEvents(document, list)
        }
        if wholeDocument {
            let function = DatabaseFunction("ferry_pql_mask", argumentCount: 2 + extra, pure: true) { arguments in
                guard let text = String.fromDatabaseValue(arguments[1]) else { return 0 }
                let document = try withEvents(try JSONValue.parse(text), arguments)
                return mask(document, pid: Int64.fromDatabaseValue(arguments[0]) ?? -1)
            }
            return (function, ["pid", "doc"] + (eventArgument.map { [$0] } ?? []))
        }
        let function = DatabaseFunction("ferry_pql_mask", argumentCount: paths.count + 1 + extra, pure: true) {
            arguments in
            var document: [String: JSONValue] = [:]
            // Sorted paths put "a" before "a.b", so a nested value lands inside its parent.
            for (keys, argument) in zip(keyPaths, arguments.dropFirst()) {
                guard let text = String.fromDatabaseValue(argument) else { continue }
                JSONValue.insert(try JSONValue.parse(text), at: keys[...], into: &document)
            }
            return mask(try withEvents(.object(document), arguments), pid: Int64.fromDatabaseValue(arguments[0]) ?? -1)
        }
        return (function, ["pid"] + sqlPaths.map { "doc -> \($0!)" } + (eventArgument.map { [$0] } ?? []))
    }

    static func statementArguments(_ arguments: [SQLArgument]) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> DatabaseValue in
                switch argument {
                case .null: .null
                case .int(let value): value.databaseValue
                case .double(let value): value.databaseValue
                case .string(let value): value.databaseValue
                }
            })
    }
}

extension SegmentEvaluator {
    /// The SQL functions compiled PQL calls, on every connection of a workspace.
    static func registerPQLFunctions(_ db: Database) {
        // `matches` calls back for the pattern, so the regular expression is the evaluator's.
        db.add(
            function: DatabaseFunction(PQL.matchesFunctionName, argumentCount: 2, pure: true) { arguments in
                guard let pattern = String.fromDatabaseValue(arguments[0]),
                    let text = String.fromDatabaseValue(arguments[1])
                else { return 0 }
                return PQL.matches(pattern: pattern, text: text) ? 1 : 0
            })
        // Times are read by the evaluator's parser from SQLite's own bytes, through the
        // C API: GRDB's wrapper would copy every value into a String and an array first.
        sqlite3_create_function_v2(
            db.sqliteConnection, PQL.timeFunctionName, 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, arguments in
                guard let value = arguments?[0], sqlite3_value_type(value) == SQLITE_TEXT,
                    let text = sqlite3_value_text(value),
                    let part = PQL.TimePart(rawValue: sqlite3_value_int(arguments?[1]))
                else { return sqlite3_result_null(context) }
                let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
                switch PQL.time(utf8: bytes, part: part) {
                case .integer(let number): sqlite3_result_int64(context, number)
                case .real(let number): sqlite3_result_double(context, number)
                case nil: sqlite3_result_null(context)
                }
            }, nil, nil, nil)
    }
}

/// The members of the segments a pass names with `inSegment`, read in the
/// scan's snapshot, for the SQL function and the Swift evaluator alike.
final class MemberLookup: Sendable {
    static let functionName = "ferry_in_segment"
    let sids: Set<Int64>
    private let sets = Mutex<[Int64: MemberBitmap]>([:])

    init(sids: Set<Int64>) { self.sids = sids }

    func load(_ db: Database) throws {
        var loaded: [Int64: MemberBitmap] = [:]
        for sid in sids {
            let data = try Data.fetchOne(db, sql: "SELECT members FROM segmentMembers WHERE sid = ?", arguments: [sid])
            loaded[sid] = try data.map(MemberBitmap.init(data:)) ?? MemberBitmap()
        }
        sets.withLock { $0 = loaded }
    }

    func contains(_ pid: Int64, inSegment sid: Int64) -> Bool {
        sets.withLock { $0[sid]?.contains(pid) ?? false }
    }

    var function: DatabaseFunction {
        DatabaseFunction(Self.functionName, argumentCount: 2, pure: true) { [self] arguments in
            contains(
                Int64.fromDatabaseValue(arguments[1]) ?? -1, inSegment: Int64.fromDatabaseValue(arguments[0]) ?? -1)
        }
    }
}
