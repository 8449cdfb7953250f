/// How one batch of fragments meets the identity graph, for a store that
/// writes a batch with set-based statements (PostgreSQL): the fragments of
/// new people and those that update their own record go in bulk; only
/// fragments that link profiles, or each other, are merged one group at a time.
public struct IdentityBatchPlan: Sendable, Equatable {
    /// Fragments (by position in the batch) that merge with others or with
    /// existing profiles, with the existing profiles they reach.
    public struct Group: Sendable, Equatable {
        public var ordinals: [Int]
        public var pids: [Int64]
    }

    /// New profiles: no identity of theirs is known, and no other fragment of the batch shares one.
    public private(set) var fresh: [Int] = []
    /// Updates of a one-record profile by the same record (same primary identity).
    public private(set) var same: [Int] = []
    public private(set) var groups: [Group] = []

    /// - Parameters:
    ///   - identities: each fragment's identities, its primary identity first.
    ///   - holders: the profile each already-linked identity points to.
    ///   - ownRows: per fragment, the profile stored under its primary identity, if any, and whether
    ///     that profile is made of several records.
    ///   - limit: the identities-per-profile limit; a fragment with more goes through a group.
    public init(
        identities: [[IdentityKey]], holders: [IdentityKey: Int64], ownRows: [Int: (pid: Int64, merged: Bool)],
        limit: Int
    ) {
        var parent = Array(identities.indices)
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        var firstWith: [IdentityKey: Int] = [:]
        for (ordinal, keys) in identities.enumerated() {
            for key in keys {
                if let other = firstWith[key] {
                    let (a, b) = (root(other), root(ordinal))
                    if a != b { parent[max(a, b)] = min(a, b) }
                } else {
                    firstWith[key] = ordinal
                }
            }
        }
        var members: [Int: [Int]] = [:]
        var reached: [Int: Set<Int64>] = [:]
        for (ordinal, keys) in identities.enumerated() {
            let group = root(ordinal)
            members[group, default: []].append(ordinal)
            for key in keys { if let pid = holders[key] { reached[group, default: []].insert(pid) } }
            if let own = ownRows[ordinal] { reached[group, default: []].insert(own.pid) }
        }
        for group in members.keys.sorted() {
            let ordinals = members[group]!
            let pids = (reached[group] ?? []).sorted()
            if ordinals.count == 1 {
                let ordinal = ordinals[0]
                if pids.isEmpty, ownRows[ordinal] == nil, identities[ordinal].count <= limit {
                    fresh.append(ordinal)
                    continue
                }
                if let own = ownRows[ordinal], !own.merged, pids == [own.pid] {
                    same.append(ordinal)
                    continue
                }
            }
            groups.append(Group(ordinals: ordinals, pids: pids))
        }
    }

    /// What importing a group's fragments one after another does, as the
    /// SQLite store counts it, so both stores report the same summary: a
    /// fragment that meets no profile makes one; one that meets profiles
    /// updates them and merges all but one of them.
    public static func counts(
        of ordinals: [Int], identities: [[IdentityKey]], holders: [IdentityKey: Int64],
        ownRows: [Int: (pid: Int64, merged: Bool)]
    ) -> (inserted: Int, updated: Int, merged: Int) {
        var parent: [Int64: Int64] = [:]
        func root(_ node: Int64) -> Int64 {
            var node = node
            while let next = parent[node], next != node { node = next }
            return node
        }
        var owner = holders
        var made: Int64 = 0
        var counts = (inserted: 0, updated: 0, merged: 0)
        for ordinal in ordinals {
            var met = Set(identities[ordinal].compactMap { owner[$0].map(root) })
            if let own = ownRows[ordinal] { met.insert(root(own.pid)) }
            let target: Int64
            if let first = met.min() {
                target = first
                counts.updated += 1
                counts.merged += met.count - 1
                for other in met where other != target { parent[other] = target }
            } else {
                made -= 1
                target = made
                counts.inserted += 1
            }
            for key in identities[ordinal] { owner[key] = target }
        }
        return counts
    }
}
