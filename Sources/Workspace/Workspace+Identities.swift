import Foundation
import GRDB

extension Workspace {
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
}

extension Workspace {
    /// `NAMESPACE:ID` of the profile `pid`, or nil when it cannot be read, for
    /// naming a profile in an export error; takes the export's reader until
    /// the member queries move into this module.
    package static func qualifiedIdentity(ofPid pid: Int64, in reader: DatabasePool) async -> String? {
        let row = try? await reader.read { db in
            try Row.fetchOne(db, sql: "SELECT namespace, identity FROM profile WHERE pid = ?", arguments: [pid])
        }
        return row.map { "\($0[0] as String):\($0[1] as String)" }
    }
}
