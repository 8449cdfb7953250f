import Foundation
import Segmentation

/// One identity of the identity graph: a namespace and an id in it, as the
/// graph compares them.
///
/// Emails are compared trimmed and lowercased (`Ann@Example.com ` is
/// `ann@example.com`), since people type them in every case; any other id,
/// phone numbers included, is compared exactly as written, because a
/// normalization the user did not ask for would merge people who differ.
public struct IdentityKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var id: String

    /// The key of `id` in `namespace`, normalized.
    public init(namespace: String, id: String) {
        self.namespace = namespace
        self.id = Self.isEmail(namespace) ? Self.normalizedEmail(id) : id
    }

    /// Trimmed and lowercased. Most addresses are plain lowercase ASCII
    /// already, and import normalizes every one of them, so those are
    /// recognized with one pass over the bytes instead of two Foundation calls.
    static func normalizedEmail(_ id: String) -> String {
        let bytes = id.utf8
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        if let first = bytes.first, let last = bytes.last, !isSpace(first), !isSpace(last),
            !bytes.contains(where: { $0 >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        {
            return id
        }
        return id.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `NAMESPACE:ID`, as the CLI writes it.
    public var description: String { "\(namespace):\(id)" }

    public static func < (lhs: IdentityKey, rhs: IdentityKey) -> Bool {
        (lhs.namespace, lhs.id) < (rhs.namespace, rhs.id)
    }

    /// Whether ids in `namespace` are e-mails, compared trimmed and lowercased.
    public static func isEmail(_ namespace: String) -> Bool {
        // ASCII letters fold to lowercase with one bit; no lowercased copy per identity.
        namespace.utf8.count == 5 && zip(namespace.utf8, "email".utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    /// Every identity a fragment carries: its primary identity first, then
    /// each id of its `identityMap` in namespace order, once each.
    static func all(of document: JSONValue, primary: IdentityKey) -> [IdentityKey] {
        var keys = [primary]
        guard case .object(let top) = document, case .object(let map)? = top["identityMap"] else { return keys }
        // A record holds a handful of ids: a scan finds repeats sooner than hashing them would.
        for (namespace, value) in map.sorted(by: { $0.key < $1.key }) {
            guard case .array(let entries) = value else { continue }
            for entry in entries {
                guard case .object(let fields) = entry, let id = PrimaryIdentity.identityText(fields["id"]) else {
                    continue
                }
                let key = IdentityKey(namespace: namespace, id: id)
                if !keys.contains(key) { keys.append(key) }
            }
        }
        return keys
    }
}

/// An identity linked to a profile, as `ferry identities show` lists it.
public struct LinkedIdentity: Sendable, Hashable {
    public var key: IdentityKey
    /// When the link was made (Unix seconds).
    public var linkedAt: Double

    public init(key: IdentityKey, linkedAt: Double) {
        self.key = key
        self.linkedAt = linkedAt
    }
}
