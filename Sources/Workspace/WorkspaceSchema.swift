import Foundation
import GRDB
import Segmentation

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
            try db.execute(
                sql: """
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
        migrator.registerMigration("2026-11-25 destinations, activations, runs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE destination (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        bucket TEXT NOT NULL,
                        folderPath TEXT NOT NULL,
                        region TEXT,
                        endpoint TEXT,
                        fileType TEXT NOT NULL,
                        compression TEXT NOT NULL,
                        manifest INTEGER NOT NULL,
                        format TEXT NOT NULL,
                        accessKeyId TEXT NOT NULL,
                        -- Sealed with the workspace key (AES-GCM); never plain text.
                        sealedSecret BLOB NOT NULL,
                        sealedSessionToken BLOB,
                        createdAt REAL NOT NULL
                    );
                    CREATE TABLE activation (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        destinationId TEXT NOT NULL REFERENCES destination(id),
                        segmentIds TEXT NOT NULL,
                        mappings TEXT NOT NULL,
                        mandatory TEXT NOT NULL,
                        dedupKeys TEXT NOT NULL,
                        mode TEXT NOT NULL,
                        frequency TEXT NOT NULL,
                        start REAL NOT NULL,
                        endDay TEXT,
                        timeZone TEXT NOT NULL,
                        fileNameTemplate TEXT NOT NULL,
                        maxRowsPerFile INTEGER NOT NULL,
                        enabled INTEGER NOT NULL,
                        createdAt REAL NOT NULL
                    );
                    -- One run per (activation, segment, scheduled time): a retry of the
                    -- same scheduled time reuses its row and so its keys.
                    CREATE TABLE run (
                        id TEXT PRIMARY KEY,
                        activationId TEXT NOT NULL REFERENCES activation(id) ON DELETE CASCADE,
                        segmentId TEXT NOT NULL,
                        destinationId TEXT NOT NULL,
                        scheduledTime REAL NOT NULL,
                        startedAt REAL NOT NULL,
                        finishedAt REAL,
                        status TEXT NOT NULL CHECK (status IN ('processing', 'success', 'failed')),
                        mode TEXT NOT NULL,
                        evaluationId INTEGER,
                        profilesReceived INTEGER NOT NULL DEFAULT 0,
                        exported INTEGER NOT NULL DEFAULT 0,
                        excludedMandatory INTEGER NOT NULL DEFAULT 0,
                        excludedDuplicate INTEGER NOT NULL DEFAULT 0,
                        files TEXT NOT NULL DEFAULT '[]',
                        error TEXT,
                        attempts INTEGER NOT NULL DEFAULT 1,
                        UNIQUE (activationId, segmentId, scheduledTime)
                    );
                    CREATE INDEX run_by_start ON run(startedAt);
                    -- Recorded before the first part is sent, so a later process can
                    -- resume the upload with ListParts instead of leaving it open.
                    CREATE TABLE runUpload (
                        runId TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        key TEXT NOT NULL,
                        uploadId TEXT NOT NULL,
                        PRIMARY KEY (runId, key)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-25 schedules and leases") { db in
            try db.execute(
                sql: """
                    ALTER TABLE run ADD COLUMN skippedTimes INTEGER NOT NULL DEFAULT 0;
                    -- A run is taken by one process at a time; the lease lapses when its
                    -- holder dies without releasing it, so a crash never blocks a run for good.
                    CREATE TABLE lease (
                        runKey TEXT PRIMARY KEY,
                        holder TEXT NOT NULL,
                        expiresAt REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-11-25 claims") { db in
            try db.execute(
                sql: """
                    -- Things to do once across every process sharing the workspace and
                    -- across restarts: a delay alert per scheduled time, a prune per day.
                    CREATE TABLE claim (
                        claimKey TEXT PRIMARY KEY,
                        claimedAt REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01 fencing tokens and run files") { db in
            try db.execute(
                sql: """
                    -- Grows each time a run key changes hands; writes carry the token
                    -- they were made under and are refused once a newer holder exists.
                    ALTER TABLE lease ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
                    -- A data file a run is about to finish, recorded before its last
                    -- S3 write, so a retry after a crash can find the complete object
                    -- already in the bucket and not write it a second time.
                    CREATE TABLE runFile (
                        runId TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        key TEXT NOT NULL,
                        rows INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        PRIMARY KEY (runId, key)
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01 typed profile columns") { db in
            try db.execute(
                sql: """
                    -- Attribute paths with a typed column pair (vN, tN) on profile;
                    -- path is the JSON array of the path's keys.
                    -- kinds: the json_type names seen at the path, comma-separated, kept
                    -- by the import so a schema listing needs no scan.
                    CREATE TABLE profileField (
                        col INTEGER PRIMARY KEY,
                        path TEXT NOT NULL UNIQUE,
                        kinds TEXT NOT NULL DEFAULT ''
                    );
                    -- 1 when the document holds a number only its text spells exactly;
                    -- such rows are exported from the document.
                    ALTER TABLE profile ADD COLUMN exact INTEGER NOT NULL DEFAULT 0;
                    """)
            // A workspace from before typed columns gets them from its documents.
            var paths = Set<[String]>()
            var exact: [Int64] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT pid, doc FROM profile")
            while let row = try rows.next() {
                guard let document = try? JSONValue.parse(row["doc"] as String) else { continue }
                paths.formUnion(ProfileColumns.leafPaths(of: document))
                if ProfileColumns.hasExactNumber(document) { exact.append(row["pid"]) }
            }
            var columns = ProfileColumns()
            try columns.register(paths.sorted { $0.lexicographicallyPrecedes($1) }, in: db)
            for pid in exact { try db.execute(sql: "UPDATE profile SET exact = 1 WHERE pid = ?", arguments: [pid]) }
        }
        migrator.registerMigration("2026-12-01 api tokens") { db in
            try db.execute(
                sql: """
                    -- Bearer tokens of the HTTP API; only the SHA-256 of a token is kept.
                    CREATE TABLE apiToken (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        tokenHash TEXT NOT NULL UNIQUE,
                        readOnly INTEGER NOT NULL,
                        createdAt REAL NOT NULL,
                        lastUsedAt REAL
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01 member sets") { db in
            try db.execute(
                sql: """
                    -- Per segment, its members after the latest evaluation, as a
                    -- MemberBitmap (bit pid set when the profile qualified).
                    -- profileVersion: the profiles' version the set reflects (NULL:
                    -- unknown), so the next evaluation reads only profiles changed since.
                    CREATE TABLE segmentMembers (
                        sid INTEGER PRIMARY KEY REFERENCES segment(sid) ON DELETE CASCADE,
                        evaluationId INTEGER NOT NULL,
                        members BLOB NOT NULL,
                        profileVersion INTEGER
                    );
                    -- Each import batch takes the next version and stamps the profiles it
                    -- writes; versions grow in commit order, unlike clock times.
                    CREATE TABLE profileVersion (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        version INTEGER NOT NULL
                    );
                    INSERT INTO profileVersion (id, version) VALUES (1, 0);
                    ALTER TABLE profile ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX profile_by_version ON profile(version);
                    -- Per evaluation, who entered and who exited, as MemberBitmaps.
                    CREATE TABLE memberDelta (
                        evaluationId INTEGER PRIMARY KEY REFERENCES evaluation(id) ON DELETE CASCADE,
                        entered BLOB NOT NULL,
                        exited BLOB NOT NULL
                    );
                    """)
            try MemberSetMigration.convertMembershipRows(in: db)
            try db.execute(sql: "DROP TABLE membership")
        }
        migrator.registerMigration("2026-12-01 destination encryption and assumed role") { db in
            try db.execute(
                sql: """
                    -- A PGP public key files are encrypted to, an IAM role assumed
                    -- instead of stored keys, and the SSE asked of S3; all optional.
                    ALTER TABLE destination ADD COLUMN pgpPublicKey BLOB;
                    ALTER TABLE destination ADD COLUMN pgpFingerprint TEXT;
                    ALTER TABLE destination ADD COLUMN roleArn TEXT;
                    ALTER TABLE destination ADD COLUMN externalId TEXT;
                    ALTER TABLE destination ADD COLUMN roleSessionName TEXT;
                    ALTER TABLE destination ADD COLUMN sse TEXT;
                    ALTER TABLE destination ADD COLUMN kmsKeyId TEXT;
                    """)
        }
        migrator.registerMigration("2026-12-01 weekly, monthly and after-evaluation activations") { db in
            // day: the weekday or day of month of a weekly or monthly schedule;
            // trigger: 'schedule' (the clock) or 'after-evaluation'.
            try db.execute(sql: "ALTER TABLE activation ADD COLUMN day INTEGER")
            try db.execute(sql: "ALTER TABLE activation ADD COLUMN \"trigger\" TEXT NOT NULL DEFAULT 'schedule'")
        }
        migrator.registerMigration("2026-12-01 segment evaluation failures") { db in
            // Why a segment's latest evaluation failed, shown by `segments list`/`show`
            // until an evaluation succeeds.
            try db.execute(sql: "ALTER TABLE segment ADD COLUMN lastFailure TEXT")
            try db.execute(sql: "ALTER TABLE segment ADD COLUMN lastFailedAt REAL")
        }
        migrator.registerMigration("2026-12-01 experience events") { db in
            try db.execute(
                sql: """
                    -- One row per ExperienceEvent, kept for scans by profile and time.
                    -- Columns are named apart from profile's (epid, not pid; edoc, not
                    -- doc) because segment SQL reads both in correlated subqueries.
                    -- ets: the timestamp in seconds since 1970; etype: eventType.
                    CREATE TABLE event (
                        eid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        epid INTEGER NOT NULL,
                        ets REAL NOT NULL,
                        etype TEXT,
                        edoc TEXT NOT NULL
                    );
                    CREATE INDEX event_by_profile ON event(epid, ets);
                    CREATE INDEX event_by_type ON event(etype, ets);
                    -- Workspace settings such as the event retention, by name.
                    CREATE TABLE workspaceSetting (
                        name TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01 identity graph") { db in
            try db.execute(
                sql: """
                    -- Every identity a profile is known by points to it: its primary
                    -- identity and each id of its records' identityMaps. id is
                    -- normalized (IdentityKey: emails trimmed and lowercased).
                    -- linkedAt orders the links the identities-per-profile limit drops.
                    CREATE TABLE identity (
                        namespace TEXT NOT NULL,
                        id TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        linkedAt REAL NOT NULL,
                        PRIMARY KEY (namespace, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX identity_by_pid ON identity(pid, linkedAt);
                    -- The records of a profile made of more than one (merged = 1), each
                    -- under its own primary identity, from which the merge policy
                    -- rebuilds the profile's document. A profile of one record keeps
                    -- it in its own row, so the common import writes nothing here.
                    CREATE TABLE fragment (
                        pid INTEGER NOT NULL,
                        namespace TEXT NOT NULL,
                        identity TEXT NOT NULL,
                        time REAL NOT NULL,
                        sequence INTEGER NOT NULL,
                        doc TEXT NOT NULL,
                        PRIMARY KEY (pid, namespace, identity)
                    ) WITHOUT ROWID;
                    -- The timestamp of a one-record profile's record; NULL: updatedAt.
                    ALTER TABLE profile ADD COLUMN fragmentTime REAL;
                    ALTER TABLE profile ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
                    """)
            try IdentityBackfill.run(in: db)
        }
        migrator.registerMigration("2026-12-02 event indexes") { db in
            // Covering for event segments: a type's rows in a window give their
            // profiles, and a profile's rows in a time range give their types,
            // without reading the events themselves.
            try db.execute(
                sql: """
                    DROP INDEX event_by_type;
                    CREATE INDEX event_by_type ON event(etype, ets, epid);
                    DROP INDEX event_by_profile;
                    CREATE INDEX event_by_profile ON event(epid, ets, etype);
                    """)
        }
        migrator.registerMigration("2026-12-02 event id index by name") { db in
            // A large event import drops the indexes and builds them again by
            // sorting once (EventBulkImport); the `_id` uniqueness must then be a
            // named index, since SQLite never drops an inline UNIQUE's. The
            // table is copied once, its eids kept.
            try db.execute(
                sql: """
                    CREATE TABLE event_copy (
                        eid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL,
                        epid INTEGER NOT NULL,
                        ets REAL NOT NULL,
                        etype TEXT,
                        edoc TEXT NOT NULL
                    );
                    INSERT INTO event_copy (eid, id, epid, ets, etype, edoc)
                        SELECT eid, id, epid, ets, etype, edoc FROM event;
                    DROP TABLE event;
                    ALTER TABLE event_copy RENAME TO event;
                    CREATE UNIQUE INDEX event_id ON event(id);
                    CREATE INDEX event_by_type ON event(etype, ets, epid);
                    CREATE INDEX event_by_profile ON event(epid, ets, etype);
                    """)
        }
        migrator.registerMigration("2026-12-02 profile found through the identity graph") { db in
            // Every profile's own identity points to it in `identity`, whose key
            // the import probes; profile's UNIQUE (namespace, identity) cost each
            // new row a second random index insert, and SQLite never drops an
            // inline UNIQUE's index, so the table is copied once without it, pids kept.
            guard
                let table = try String.fetchOne(
                    db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'profile'")
            else { return }
            let unique = #",\s*UNIQUE\s*\(\s*namespace\s*,\s*identity\s*\)"#
            guard table.range(of: unique, options: .regularExpression) != nil else { return }
            let copy = table.replacingOccurrences(of: unique, with: "", options: .regularExpression)
                .replacingOccurrences(
                    of: #"^CREATE TABLE\s+"?profile"?"#, with: "CREATE TABLE profile_copy", options: .regularExpression)
            try db.execute(sql: copy)
            try db.execute(
                sql: """
                    INSERT INTO profile_copy SELECT * FROM profile;
                    DROP TABLE profile;
                    ALTER TABLE profile_copy RENAME TO profile;
                    CREATE INDEX profile_by_version ON profile(version);
                    """)
        }
        migrator.registerMigration("2026-12-02 events by profile only") { db in
            // Measured at 1M events: the five behavioural segments took as long
            // with only (epid, ets, etype), which covers a type's rows as a scan,
            // while building (etype, ets, epid) was a seventh of a large import.
            try db.execute(sql: "DROP INDEX IF EXISTS event_by_type")
        }
        migrator.registerMigration("2026-12-02 typed event columns") { db in
            // Event paths with a typed column pair (xvN, xtN) on event, as
            // profileField is the profiles' (EventColumns).
            try db.execute(
                sql: """
                    CREATE TABLE eventField (
                        col INTEGER PRIMARY KEY,
                        path TEXT NOT NULL UNIQUE,
                        kinds TEXT NOT NULL DEFAULT ''
                    );
                    """)
            // A workspace from before typed event columns gets them from its events.
            var columns = try EventColumns.load(db)
            try columns.register(try EventColumns.storedPaths(db), in: db)
        }
        return migrator
    }
}
