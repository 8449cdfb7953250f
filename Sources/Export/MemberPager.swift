import Foundation
import Segmentation
import Workspace

/// Reads a segment's members page by page, in pid order, applies the
/// mandatory-attribute and dedup rules, and hands on the rows that pass as
/// cells; each file's encoder turns them into bytes.
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

    let workspace: any FerryStore
    let reader: any ExportRowPages
    let sources: [ExportSource]
    /// Per mapped source: whether its cell is written hashed.
    let hashed: [Bool]
    let mandatory: [ExportSource]
    let pageSize: Int
    /// Sorted pids that won deduplication; nil when no dedup key is set.
    let winners: [Int64]?
    var winnerIndex = 0

    var lastPid: Int64 = 0
    var exhausted = false
    var pending: [ExportRecord] = []
    var pendingStart = 0
    var counts = Counts()
    /// Positions of each mapped and mandatory source among the fields read.
    let mappedSlots: [Int?]
    let mandatorySlots: [Int?]

    init(
        workspace: any FerryStore, sid: Int64, sources: [ExportSource], hashed: [Bool], mandatory: [ExportSource],
        dedup: [ExportSource], selection: MemberSelection, pageSize: Int = 2000
    ) async throws {
        self.workspace = workspace
        self.sources = sources
        self.hashed = hashed
        self.mandatory = mandatory
        self.pageSize = pageSize
        let slots = Self.slots(sources + mandatory)
        mappedSlots = Array(slots.slots.prefix(sources.count))
        mandatorySlots = Array(slots.slots.dropFirst(sources.count))
        reader = try await workspace.exportRows(segmentSid: sid, fields: slots.fields, selection: selection)
        winners =
            dedup.isEmpty
            ? nil
            : try await workspace.dedupWinners(
                segmentSid: sid, keys: dedup.map(\.memberValue), mandatory: mandatory.compactMap(\.memberField),
                selection: selection)
    }

    /// Assigns each source a position among the fields read, sharing
    /// positions between sources that read the same field.
    static func slots(_ sources: [ExportSource]) -> (fields: [MemberField], slots: [Int?]) {
        var fields: [MemberField] = []
        let slots = sources.map { source -> Int? in
            guard let field = source.memberField else { return nil }
            if let i = fields.firstIndex(of: field) { return i }
            fields.append(field)
            return fields.count - 1
        }
        return (fields, slots)
    }

    /// Whether another exportable row is left, reading ahead when needed.
    func hasMore() async throws -> Bool {
        while pendingStart == pending.count && !exhausted { try await fill() }
        return pendingStart < pending.count
    }

    /// The next rows, at most `maxRows` and at most a page of them; none when the members are exhausted.
    func next(maxRows: Int) async throws -> [ExportRecord] {
        while pendingStart == pending.count && !exhausted { try await fill() }
        let take = min(maxRows, pending.count - pendingStart)
        defer { pendingStart += take }
        return Array(pending[pendingStart..<pendingStart + take])
    }

    func currentCounts() -> Counts { counts }

    private func fill() async throws {
        pending.removeAll(keepingCapacity: true)
        pendingStart = 0
        let page = try await reader.page(afterPid: lastPid, limit: pageSize)
        if page.count < pageSize { exhausted = true }
        for row in page {
            let (pid, status, qualified, values) = (row.pid, row.status, row.qualifiedAt, row.values)
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
            var cells: [ExportCell] = []
            cells.reserveCapacity(sources.count)
            for (index, (source, slot)) in zip(sources, mappedSlots).enumerated() {
                let cell: ExportCell
                switch source {
                case .membershipStatus: cell = .text(status)
                case .lastQualificationTime: cell = .time(Date(timeIntervalSince1970: qualified))
                default: cell = .value(slot.map { $0 < values.count ? values[$0] : .null } ?? .null)
                }
                cells.append(hashed[index] ? cell.hashedForMatching() : cell)
            }
            pending.append(ExportRecord(pid: pid, cells: cells))
            counts.exported += 1
        }
    }
}

/// ISO-8601 in UTC with seconds, as the manifest and the CSV cells spell times.
enum ISO8601 {
    static func string(_ date: Date) -> String { date.formatted(.iso8601) }
}
