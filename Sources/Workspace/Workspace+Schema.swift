import GRDB

extension Workspace {
    /// The inferred schema: every attribute path that has a typed column, with
    /// the types its values have and how many profiles hold it, in path order.
    public func profileSchema() async throws -> [ProfileField] {
        try await dbPool.read { db in
            let columns = try ProfileColumns.load(db)
            var fields: [ProfileField] = []
            for (number, keys) in columns.paths {
                let counts = try Row.fetchAll(
                    db,
                    sql: "SELECT t\(number) AS type, count(*) AS n FROM profile WHERE t\(number) IS NOT NULL GROUP BY 1"
                ).map { ProfileField.TypeCount(type: $0["type"], profiles: $0["n"]) }
                guard !counts.isEmpty else { continue }
                fields.append(
                    ProfileField(
                        keys: keys, types: counts.sorted { ($0.profiles, $1.type) > ($1.profiles, $0.type) },
                        profiles: counts.reduce(0) { $0 + $1.profiles }))
            }
            return fields.sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
        }
    }

    /// The schema's paths and the types seen at each, from the catalog the
    /// import keeps: no profile is read, so it answers at once at any size.
    /// The counts in the result are zero; `profileSchema()` counts.
    public func profilePaths() async throws -> [ProfileField] {
        try await dbPool.read { db in
            let columns = try ProfileColumns.load(db)
            return zip(columns.paths, columns.kinds).map { path, kinds in
                ProfileField(
                    keys: path.keys, types: kinds.sorted().map { ProfileField.TypeCount(type: $0, profiles: 0) },
                    profiles: 0)
            }
            .sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
        }
    }
}
