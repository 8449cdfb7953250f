import GRDB
import Segmentation

/// Learns the JSON kind of each field path from a sample of stored profiles, so
/// `PQL.typeCheck` can refuse `loyalty.points = "gold"` when creating a segment.
///
/// Profiles are picked at evenly spaced pids rather than `ORDER BY random()`,
/// which would read every row of a large workspace. A path seen with two kinds
/// (nulls aside) is left out: its type is not known, so nothing is refused.
enum FieldKindSampler {
    static func sample(_ db: Database, limit: Int = 1000) throws -> [String: JSONValueKind] {
        guard let maxPid = try Int64.fetchOne(db, sql: "SELECT max(pid) FROM profile") else { return [:] }
        let step = max(1, maxPid / Int64(limit))
        let docs = try String.fetchCursor(
            db,
            sql: """
                WITH RECURSIVE pick(p) AS (SELECT 1 UNION ALL SELECT p + ?1 FROM pick WHERE p + ?1 <= ?2)
                SELECT doc FROM pick JOIN profile ON profile.pid = pick.p LIMIT ?3
                """, arguments: [step, maxPid, limit])
        var kinds: [String: JSONValueKind] = [:]
        var conflicting: Set<String> = []
        while let doc = try docs.next() {
            record(try JSONValue.parse(doc), prefix: "", into: &kinds, conflicting: &conflicting)
        }
        for path in conflicting { kinds[path] = nil }
        return kinds
    }

    private static func record(
        _ value: JSONValue, prefix: String, into kinds: inout [String: JSONValueKind], conflicting: inout Set<String>
    ) {
        if !prefix.isEmpty, value.kind != .null {
            if let known = kinds[prefix], known != value.kind {
                conflicting.insert(prefix)
            } else {
                kinds[prefix] = value.kind
            }
        }
        if case .object(let members) = value {
            for (key, member) in members {
                record(
                    member, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &kinds, conflicting: &conflicting)
            }
        }
    }
}
