import Foundation
import GRDB
import Segmentation
import Workspace

/// Reads a segment's members page by page, in pid order, applies the
/// mandatory-attribute and dedup rules, and encodes the rows that pass.
///
/// Pages are read with keyset pagination (`pid > last`), so no read
/// transaction stays open during an upload and memory holds one page.
actor MemberPager {
    struct Counts: Sendable, Equatable {
        var received = 0
        var exported = 0
        var excludedMandatory = 0
        var excludedDuplicate = 0
    }

    let dbPool: DatabasePool
    let sid: Int64
    let sources: [ExportSource]
    /// Per mapped source: whether its cell is written hashed.
    let hashed: [Bool]
    let mandatory: [ExportSource]
    let encoder: CSVEncoder
    /// SQL condition on `m` (membership) selecting which members go in.
    let memberFilter: String
    let memberArguments: StatementArguments
    let pageSize: Int
    /// Sorted pids that won deduplication; nil when no dedup key is set.
    let winners: [Int64]?
    var winnerIndex = 0

    var lastPid: Int64 = 0
    var exhausted = false
    var pending: [[UInt8]] = []
    var counts = Counts()
    let sql: String
    let paths: [String]
    /// Positions of each mapped and mandatory source in the extracted JSON array.
    let mappedSlots: [Int?]
    let mandatorySlots: [Int?]

    init(
        dbPool: DatabasePool, sid: Int64, sources: [ExportSource], hashed: [Bool], mandatory: [ExportSource],
        dedup: [ExportSource], encoder: CSVEncoder, memberFilter: String, memberArguments: StatementArguments,
        pageSize: Int = 2000
    ) async throws {
        self.dbPool = dbPool
        self.sid = sid
        self.sources = sources
        self.hashed = hashed
        self.mandatory = mandatory
        self.encoder = encoder
        self.memberFilter = memberFilter
        self.memberArguments = memberArguments
        self.pageSize = pageSize
        let slots = Self.slots(sources + mandatory)
        mappedSlots = Array(slots.slots.prefix(sources.count))
        mandatorySlots = Array(slots.slots.dropFirst(sources.count))
        let paths = slots.paths
        self.paths = paths
        let typed = try await dbPool.read { db in try ProfileColumns.current(in: db) }
        // Each slot is read as a (json_type, json_extract) pair, from the typed
        // columns when the path has one, so no document is parsed per row.
        let pairs = slots.sources.map { source -> String in
            switch source {
            case .attribute(let keys):
                if let n = typed.column(for: keys) { return "p.t\(n), p.v\(n)" }
            case .identity(let namespace):
                if let n = typed.column(for: ["identityMap", namespace]) {
                    return
                        "CASE WHEN p.t\(n) = 'array' THEN json_type(p.v\(n), '$[0].id') END, CASE WHEN p.t\(n) = 'array' THEN json_extract(p.v\(n), '$[0].id') END"
                }
            default: break
            }
            let path = "'\(source.jsonPath!.replacingOccurrences(of: "'", with: "''"))'"
            return "json_type(p.doc, \(path)), json_extract(p.doc, \(path))"
        }
        // Rows with numbers only their text spells exactly take them from the
        // document: one json_extract with several paths returns them as written.
        let exactList: String
        if paths.isEmpty {
            exactList = "NULL"
        } else {
            let list = (paths.count == 1 ? [paths[0], paths[0]] : paths).map {
                "'\($0.replacingOccurrences(of: "'", with: "''"))'"
            }
            exactList = "CASE WHEN p.exact THEN json_extract(p.doc, \(list.joined(separator: ", "))) END"
        }
        sql = """
            SELECT m.pid, m.status, m.lastQualificationTime, \(exactList)\(pairs.map { ", " + $0 }.joined())
            FROM membership m JOIN profile p ON p.pid = m.pid
            WHERE m.sid = ? AND m.pid > ? AND \(memberFilter)
            ORDER BY m.pid LIMIT ?
            """
        winners = try await Self.dedupWinners(
            dbPool: dbPool, sid: sid, dedup: dedup, mandatory: mandatory, memberFilter: memberFilter,
            memberArguments: memberArguments)
    }

    /// Assigns each source a position in the extracted array, sharing
    /// positions between sources that read the same path.
    static func slots(_ sources: [ExportSource]) -> (paths: [String], sources: [ExportSource], slots: [Int?]) {
        var paths: [String] = []
        var distinct: [ExportSource] = []
        let slots = sources.map { source -> Int? in
            guard let path = source.jsonPath else { return nil }
            if let i = paths.firstIndex(of: path) { return i }
            paths.append(path)
            distinct.append(source)
            return paths.count - 1
        }
        return (paths, distinct, slots)
    }

    /// The pid that wins each dedup key: the most recently updated profile,
    /// then the smallest identity. Profiles with no key value are kept.
    static func dedupWinners(
        dbPool: DatabasePool, sid: Int64, dedup: [ExportSource], mandatory: [ExportSource], memberFilter: String,
        memberArguments: StatementArguments
    ) async throws -> [Int64]? {
        guard !dedup.isEmpty else { return nil }
        func value(_ source: ExportSource) -> String {
            switch source {
            case .membershipStatus: return "m.status"
            case .lastQualificationTime: return "m.lastQualificationTime"
            default: return "json_extract(p.doc, '\(source.jsonPath!.replacingOccurrences(of: "'", with: "''"))')"
            }
        }
        let keys = dedup.enumerated().map { "\(value($1)) AS k\($0)" }.joined(separator: ", ")
        // SQLite does not let a window clause name the select's own aliases.
        let partition = dedup.map(value).joined(separator: ", ")
        let allNull = dedup.indices.map { "k\($0) IS NULL" }.joined(separator: " AND ")
        let mandatoryPresent = mandatory.compactMap { source -> String? in
            guard let path = source.jsonPath else { return nil }
            return "json_type(p.doc, '\(path.replacingOccurrences(of: "'", with: "''"))') NOT IN ('null')"
        }
        let required = mandatoryPresent.isEmpty ? "" : " AND " + mandatoryPresent.joined(separator: " AND ")
        let sql = """
            SELECT pid FROM (
                SELECT m.pid AS pid, \(keys),
                       ROW_NUMBER() OVER (PARTITION BY \(partition)
                                          ORDER BY p.updatedAt DESC, p.namespace, p.identity) AS rn
                FROM membership m JOIN profile p ON p.pid = m.pid
                WHERE m.sid = ? AND \(memberFilter)\(required)
            ) WHERE rn = 1 OR (\(allNull))
            ORDER BY pid
            """
        var arguments: StatementArguments = [sid]
        arguments += memberArguments
        let args = arguments
        return try await dbPool.read { db in try Int64.fetchAll(db, sql: sql, arguments: args) }
    }

    /// Whether another exportable row is left, reading ahead when needed.
    func hasMore() async throws -> Bool {
        while pending.isEmpty && !exhausted { try await fill() }
        return !pending.isEmpty
    }

    /// Encoded rows, at most `maxRows` of them.
    func next(maxRows: Int) async throws -> (bytes: [UInt8], rows: Int) {
        var out: [UInt8] = []
        var rows = 0
        while rows < maxRows {
            if pending.isEmpty {
                if exhausted { break }
                try await fill()
                continue
            }
            let take = min(maxRows - rows, pending.count)
            for row in pending.prefix(take) { out += row }
            pending.removeFirst(take)
            rows += take
            if out.count > 256 * 1024 { break }
        }
        return (out, rows)
    }

    func currentCounts() -> Counts { counts }

    private func fill() async throws {
        var arguments: StatementArguments = [sid, lastPid]
        arguments += memberArguments
        arguments += [pageSize]
        let sql = self.sql
        let args = arguments
        let slotCount = paths.count
        let page = try await dbPool.read { db -> [(Int64, String, Double, [JSONValue])] in
            try Row.fetchAll(db, sql: sql, arguments: args).map { row in
                var values: [JSONValue] = []
                values.reserveCapacity(slotCount)
                if let exact = row[3] as String? {
                    if case .array(let items) = (try? JSONValue.parse(exact)) ?? .array([]) { values = items }
                } else {
                    for slot in 0..<slotCount {
                        values.append(
                            JSONValue(
                                sqliteType: row[4 + 2 * slot] as String?, value: row[5 + 2 * slot] as DatabaseValue))
                    }
                }
                return (row[0], row[1], row[2], values)
            }
        }
        if page.count < pageSize { exhausted = true }
        for (pid, status, qualified, values) in page {
            lastPid = pid
            counts.received += 1
            func present(_ slot: Int?, _ source: ExportSource) -> Bool {
                guard let slot else { return true }
                guard slot < values.count else { return false }
                if case .null = values[slot] { return false }
                return true
            }
            if zip(mandatorySlots, mandatory).contains(where: { !present($0.0, $0.1) }) {
                counts.excludedMandatory += 1
                continue
            }
            if let winners {
                while winnerIndex < winners.count && winners[winnerIndex] < pid { winnerIndex += 1 }
                guard winnerIndex < winners.count && winners[winnerIndex] == pid else {
                    counts.excludedDuplicate += 1
                    continue
                }
            }
            var fields: [CSVField] = []
            fields.reserveCapacity(sources.count)
            for (index, (source, slot)) in zip(sources, mappedSlots).enumerated() {
                let field: CSVField
                switch source {
                case .membershipStatus: field = .text(status)
                case .lastQualificationTime: field = .text(ISO8601.string(Date(timeIntervalSince1970: qualified)))
                default: field = slot.map { $0 < values.count ? CSVField(values[$0]) : .null } ?? .null
                }
                fields.append(hashed[index] ? field.hashedForMatching() : field)
            }
            var line: [UInt8] = []
            do {
                try encoder.appendRow(fields, to: &line)
            } catch {
                throw await error.exportError(pid: pid, dbPool: dbPool)
            }
            pending.append(line)
            counts.exported += 1
        }
    }
}

/// ISO-8601 in UTC with seconds, as the manifest and the CSV cells spell times.
enum ISO8601 {
    static func string(_ date: Date) -> String { date.formatted(.iso8601) }
}
