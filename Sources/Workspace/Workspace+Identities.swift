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
