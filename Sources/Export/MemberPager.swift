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
    let pageSize: Int
    /// Sorted pids that won deduplication; nil when no dedup key is set or
    /// the key is an identity namespace.
    let winners: [Int64]?
    var winnerIndex = 0
    /// With an identity namespace as the dedup key, the reference exports a
    /// row per id of that namespace: the namespace, the position of its list
    /// among the fields read, and the ids another member keeps.
    let perIdentity: (namespace: String, slot: Int, losers: Set<MemberIdentity>)?

    var lastPid: Int64 = 0
    var exhausted = false
    var pending: ExportRows
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
        self.pageSize = pageSize
        pending = ExportRows(columns: sources.count)
        var slots = Self.slots(sources + mandatory)
        mappedSlots = Array(slots.slots.prefix(sources.count))
        mandatorySlots = Array(slots.slots.dropFirst(sources.count))
        let required = mandatory.compactMap(\.memberField)
        if dedup.count == 1, case .identity(let namespace) = dedup[0] {
            slots.fields.append(.identityList(namespace: namespace))
            perIdentity = (
                namespace, slots.fields.count - 1,
                try await workspace.identityDedupLosers(
                    segmentSid: sid, namespace: namespace, mandatory: required, selection: selection)
            )
            winners = nil
        } else {
            perIdentity = nil
            winners =
                dedup.isEmpty
                ? nil
                : try await workspace.dedupWinners(
                    segmentSid: sid, keys: dedup.map(\.memberValue), mandatory: required, selection: selection)
        }
        reader = try await workspace.exportRows(segmentSid: sid, fields: slots.fields, selection: selection)
    }

    /// The ids a member's list of identity entries holds, in order, each
    /// once as the identity graph compares them (`Ann@x.io` is `ann@x.io`).
    static func ids(_ list: JSONValue, namespace: String) -> [(id: String, key: String)] {
        guard case .array(let entries) = list else { return [] }
        var seen: Set<String> = []
        return entries.compactMap { entry in
            guard case .object(let members) = entry, case .string(let id)? = members["id"] else { return nil }
            let key = IdentityKey(namespace: namespace, id: id).id
            return seen.insert(key).inserted ? (id, key) : nil
        }
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
    func next(maxRows: Int) async throws -> ExportRows {
        while pendingStart == pending.count && !exhausted { try await fill() }
        let take = min(maxRows, pending.count - pendingStart)
        defer { pendingStart += take }
        if pendingStart == 0 && take == pending.count { return pending }
        return pending.rows(pendingStart..<pendingStart + take)
    }

    func currentCounts() -> Counts { counts }

    private func fill() async throws {
        pendingStart = 0
        let page = try await reader.page(afterPid: lastPid, limit: pageSize)
        if page.count < pageSize { exhausted = true }
        // The page's string bytes become the rows', uncopied.
        pending = ExportRows(columns: sources.count, text: page.text)
        pending.reserve(rows: page.count)
        for row in 0..<page.count {
            let pid = page.pids[row]
            lastPid = pid
            counts.received += 1
            // A member lacking a mandatory profile field is left out; a membership field is always there.
            if mandatorySlots.contains(where: { $0.map { page[row, $0] == .json(.null) } ?? false }) {
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
            func append(identity: (namespace: String, id: String)?) {
                pending.startRow(pid: pid)
                for (index, (source, slot)) in zip(sources, mappedSlots).enumerated() {
                    let cell: ExportCell
                    switch source {
                    case .membershipStatus: cell = .text(page.statuses[row])
                    case .lastQualificationTime: cell = .time(Date(timeIntervalSince1970: page.qualifiedAt[row]))
                    case .identity(let namespace) where namespace == identity?.namespace:
                        cell = .value(identity.map { .string($0.id) } ?? .null)
                    default:
                        guard let slot else {
                            cell = .value(.null)
                            break
                        }
                        switch page[row, slot] {
                        case .json(let value): cell = .value(value)
                        case .text(let range): cell = .bytes(range)
                        }
                    }
                    pending.append(hashed[index] ? cell.hashedForMatching(page.text) : cell)
                }
            }
            guard let perIdentity else {
                append(identity: nil)
                counts.exported += 1
                continue
            }
            let list = page.json(row: row, field: perIdentity.slot)
            let ids = Self.ids(list, namespace: perIdentity.namespace)
            // A member with no id in the namespace keeps its row, as members with no dedup key value do.
            if ids.isEmpty {
                append(identity: nil)
                counts.exported += 1
            }
            for (id, key) in ids {
                guard !perIdentity.losers.contains(MemberIdentity(pid: pid, id: key)) else {
                    counts.excludedDuplicate += 1
                    continue
                }
                append(identity: (perIdentity.namespace, id))
                counts.exported += 1
            }
        }
    }
}

/// ISO-8601 in UTC with seconds, as the manifest and the CSV cells spell times.
enum ISO8601 {
    static func string(_ date: Date) -> String { date.formatted(.iso8601) }
}
