import Foundation
import GRDB

extension Workspace: IdentityStore {
    /// Whether any profile has an identity in `namespace`, as its primary
    /// identity or in its identity map; a namespace no profile has is most
    /// likely a typo in an activation's mapping.
    public func hasIdentities(inNamespace namespace: String) async throws -> Bool {
        try await dbPool.read { db in
            try Bool.fetchOne(
                db,
                sql:
                    "SELECT EXISTS (SELECT 1 FROM profile WHERE namespace = ? OR json_type(doc, ?) IS NOT NULL LIMIT 1)",
                arguments: [namespace, "$.identityMap.\"\(namespace)\""]) ?? false
        }
    }

    /// The pid of the profile `key` points to, or nil.
    public func profileId(for key: IdentityKey) async throws -> Int64? {
        try await dbPool.read { db in try Self.profileId(for: key, in: db) }
    }

    /// As `profileId(for:)`, in the caller's transaction (an events import
    /// resolving its identities while it writes).
    public static func profileId(for key: IdentityKey, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db, sql: "SELECT pid FROM identity WHERE namespace = ? AND id = ?", arguments: [key.namespace, key.id])
    }

    public func linkedProfile(_ key: IdentityKey) async throws -> LinkedProfile? {
        try await dbPool.read { db in
            guard let pid = try Self.profileId(for: key, in: db),
                let profile = try ProfileRecord.fetchOne(db, key: pid)
            else { return nil }
            let identities = try Row.fetchAll(
                db, sql: "SELECT namespace, id, linkedAt FROM identity WHERE pid = ? ORDER BY linkedAt, namespace, id",
                arguments: [pid]
            ).map { LinkedIdentity(key: IdentityKey(namespace: $0[0], id: $0[1]), linkedAt: $0[2]) }
            return LinkedProfile(profile: profile, identities: identities)
        }
    }
}
