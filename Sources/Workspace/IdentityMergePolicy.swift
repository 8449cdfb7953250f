import Foundation
import Segmentation

/// One record a profile was built from: the fragment stored under a primary
/// identity, with the timestamp the merge policy orders it by.
public struct ProfileFragment: Sendable, Equatable {
    /// Its primary identity; a later record with the same one updates it.
    public var key: IdentityKey
    /// `extSourceSystemAudit.lastUpdatedDate` when the record has one, else
    /// the time it was imported (Unix seconds).
    public var time: Double
    /// Import order: later imports have larger numbers, so they win ties.
    public var sequence: Int64
    public var document: JSONValue

    public init(key: IdentityKey, time: Double, sequence: Int64, document: JSONValue) {
        self.key = key
        self.time = time
        self.sequence = sequence
        self.document = document
    }
}

/// The "timestamp ordered" merge policy, the reference's default: for each
/// attribute, the fragment with the later timestamp wins; on equal
/// timestamps, the later import. Objects merge attribute by attribute;
/// anything else (text, number, array, null) is one attribute, so arrays are
/// replaced, not concatenated.
public enum IdentityMergePolicy {
    /// The path of the timestamp a record may carry, as in the reference's
    /// External Source System Audit field group.
    static let timestampPath = ["extSourceSystemAudit", "lastUpdatedDate"]

    /// The record's own timestamp, or nil when it has none that reads as ISO 8601.
    static func timestamp(of document: JSONValue) -> Double? {
        guard case .string(let text)? = document[path: timestampPath] else { return nil }
        return ISOTimestamp.seconds(text)
    }

    /// Adds `fragment` to `fragments`: a fragment with the same primary
    /// identity is updated in place (the newer record merged over it, as a
    /// re-import always did), any other is appended.
    public static func upsert(_ fragment: ProfileFragment, into fragments: inout [ProfileFragment]) {
        guard let index = fragments.firstIndex(where: { $0.key == fragment.key }) else {
            fragments.append(fragment)
            return
        }
        fragments[index].document = fragments[index].document.merging(fragment.document)
        fragments[index].time = fragment.time
        fragments[index].sequence = fragment.sequence
    }

    /// Oldest first: applying them in this order lets each later one win.
    static func ordered(_ fragments: [ProfileFragment]) -> [ProfileFragment] {
        fragments.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
    }

    /// The merged profile of `fragments`. Its `identityMap` lists `identities`
    /// (the profile's linked identities, `primary` among them) rather than the
    /// latest fragment's array, since an export of `identityMap.NS` stands for
    /// every id the graph links; each entry keeps the fields of the newest
    /// fragment that names it.
    public static func merge(_ fragments: [ProfileFragment], identities: [IdentityKey], primary: IdentityKey)
        -> JSONValue
    {
        let ordered = ordered(fragments)
        var merged = ordered.reduce(JSONValue.object([:])) { $0.merging($1.document) }
        var entries: [IdentityKey: [String: JSONValue]] = [:]
        for fragment in ordered {
            guard case .object(let top) = fragment.document, case .object(let map)? = top["identityMap"] else {
                continue
            }
            for (namespace, value) in map {
                guard case .array(let items) = value else { continue }
                for case .object(let fields) in items {
                    guard let id = PrimaryIdentity.identityText(fields["id"]) else { continue }
                    entries[IdentityKey(namespace: namespace, id: id)] = fields
                }
            }
        }
        var map: [String: JSONValue] = [:]
        var linked = identities.filter { $0 != primary }
        if identities.contains(primary) { linked.insert(primary, at: 0) }
        for key in linked {
            var fields = entries[key] ?? ["id": .string(key.id)]
            if key == primary { fields["primary"] = .bool(true) } else { fields["primary"] = nil }
            var list: [JSONValue]
            if case .array(let items)? = map[key.namespace] { list = items } else { list = [] }
            list.append(.object(fields))
            map[key.namespace] = .array(list)
        }
        if case .object(var top) = merged {
            top["identityMap"] = map.isEmpty ? nil : .object(map)
            merged = .object(top)
        }
        return merged
    }
}
