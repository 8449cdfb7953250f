import GRDB

extension Workspace {
    /// How many migrations this workspace has applied, and how many this
    /// build knows; `ferry workspace info` prints both.
    public func schemaVersion() async throws -> (applied: Int, known: Int) {
        let migrator = WorkspaceSchema.migrator
        let applied = try await dbPool.read { db in try migrator.appliedMigrations(db).count }
        return (applied, migrator.migrations.count)
    }
}
