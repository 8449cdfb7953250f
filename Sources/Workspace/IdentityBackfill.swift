import Foundation
import GRDB
import Segmentation

/// Links the identities of profiles stored before the identity graph.
///
/// Each profile's own identity first, so every profile can still be found
/// under it; then, in a second pass, the ids of its identityMap where no
/// other profile holds them yet. Profiles that already shared an id are not
/// merged here: the next record that names the shared id merges them, as
/// any import would. Two passes over a cursor rather than a list in memory,
/// so a large workspace upgrades in flat memory.
enum IdentityBackfill {
    static func run(in db: Database) throws {
        let link = try db.makeStatement(
            sql: "INSERT INTO identity (namespace, id, pid, linkedAt) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        let sql = "SELECT pid, namespace, identity, updatedAt, doc FROM profile ORDER BY pid"
        for pass in 0..<2 {
            let rows = try Row.fetchCursor(db, sql: sql)
            while let row = try rows.next() {
                let primary = IdentityKey(namespace: row[1], id: row[2])
                var keys = [primary]
                if pass == 1 {
                    guard let document = try? JSONValue.parse(row[4] as String) else { continue }
                    keys = Array(IdentityKey.all(of: document, primary: primary).dropFirst())
                }
                for key in keys {
                    try link.execute(arguments: [key.namespace, key.id, row[0] as Int64, row[3] as Double])
                }
            }
        }
    }
}
