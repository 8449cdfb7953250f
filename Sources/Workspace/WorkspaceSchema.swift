import GRDB

/// The workspace's migrations. A migration that has shipped is never edited:
/// a change to the schema is a new migration appended below, so an older
/// workspace opens after an upgrade.
enum WorkspaceSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-25 profiles, segments, memberships") { db in
            // One row per profile; the document is compact JSON text so SQLite's json
            // functions can filter it and the exporter can pull mapped fields with
            // json_extract in one pass without a second table to join.
            try db.execute(sql: """
                CREATE TABLE profile (
                    pid INTEGER PRIMARY KEY,
                    namespace TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    doc TEXT NOT NULL,
                    updatedAt REAL NOT NULL,
                    UNIQUE (namespace, identity)
                );
                CREATE TABLE segment (
                    sid INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL UNIQUE,
                    pql TEXT NOT NULL,
                    description TEXT,
                    createdAt REAL NOT NULL
                );
                CREATE TABLE evaluation (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sid INTEGER NOT NULL REFERENCES segment(sid) ON DELETE CASCADE,
                    startedAt REAL NOT NULL,
                    finishedAt REAL,
                    realized INTEGER NOT NULL DEFAULT 0,
                    existing INTEGER NOT NULL DEFAULT 0,
                    exited INTEGER NOT NULL DEFAULT 0,
                    usedSQL INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX evaluation_by_segment ON evaluation(sid, id);
                -- Keyed by the segment's integer sid, not its UUID: with millions of
                -- rows the key width is most of the table's size. No foreign key to
                -- profile: profiles are never deleted, and the check would cost a
                -- lookup per inserted member.
                CREATE TABLE membership (
                    sid INTEGER NOT NULL REFERENCES segment(sid) ON DELETE CASCADE,
                    pid INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('realized', 'exited')),
                    lastQualificationTime REAL NOT NULL,
                    statusChangedAt REAL NOT NULL,
                    changedInEvaluation INTEGER NOT NULL,
                    PRIMARY KEY (sid, pid)
                ) WITHOUT ROWID;
                -- Incremental exports select "changed since evaluation N".
                CREATE INDEX membership_by_change ON membership(sid, changedInEvaluation);
                """)
        }
        return migrator
    }
}
