import Foundation
import PostgresNIO
import Segmentation

/// The PostgreSQL workspace's migrations, applied in order and recorded in
/// `ferry_migration`. As on SQLite, a migration that has shipped is never
/// edited: a schema change is a new entry appended to `migrations`.
enum PostgresSchema {
    /// Taken for the length of a migration, so workers starting together
    /// migrate once and the others wait for it.
    static let advisoryLock: Int64 = 0x4665_7272_7953_6368

    static let migrations: [(name: String, statements: [String])] = [
        (
            "2026-12-01 profiles, segments, memberships",
            [
                // The document is jsonb, so PQL compiled to SQL reads fields
                // with ->/#> and exports take values without a parse in Swift.
                """
                CREATE TABLE profile (
                    pid BIGSERIAL PRIMARY KEY,
                    namespace TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    doc JSONB NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL,
                    UNIQUE (namespace, identity)
                )
                """,
                """
                CREATE TABLE segment (
                    sid BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL UNIQUE,
                    pql TEXT NOT NULL,
                    description TEXT,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE evaluation (
                    id BIGSERIAL PRIMARY KEY,
                    sid BIGINT NOT NULL REFERENCES segment(sid) ON DELETE CASCADE,
                    started_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    realized INTEGER NOT NULL DEFAULT 0,
                    existing INTEGER NOT NULL DEFAULT 0,
                    exited INTEGER NOT NULL DEFAULT 0,
                    used_sql BOOLEAN NOT NULL DEFAULT FALSE
                )
                """,
                "CREATE INDEX evaluation_by_segment ON evaluation(sid, id)",
                """
                CREATE TABLE membership (
                    sid BIGINT NOT NULL REFERENCES segment(sid) ON DELETE CASCADE,
                    pid BIGINT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('realized', 'exited')),
                    last_qualification_time DOUBLE PRECISION NOT NULL,
                    status_changed_at DOUBLE PRECISION NOT NULL,
                    changed_in_evaluation BIGINT NOT NULL,
                    PRIMARY KEY (sid, pid)
                )
                """,
                "CREATE INDEX membership_by_change ON membership(sid, changed_in_evaluation)",
                // The deep merge an import applies to a known identity: objects
                // merge key by key, anything else (a null too) is replaced by
                // the newer value, as JSONValue.merging does on SQLite.
                """
                CREATE FUNCTION ferry_merge(older JSONB, newer JSONB) RETURNS JSONB
                LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
                BEGIN
                    IF jsonb_typeof(older) <> 'object' OR jsonb_typeof(newer) <> 'object' THEN
                        RETURN newer;
                    END IF;
                    RETURN (
                        SELECT COALESCE(jsonb_object_agg(k,
                            CASE WHEN older ? k AND newer ? k THEN ferry_merge(older -> k, newer -> k)
                                 WHEN newer ? k THEN newer -> k
                                 ELSE older -> k END), '{}'::jsonb)
                        FROM (SELECT jsonb_object_keys(older) UNION SELECT jsonb_object_keys(newer)) AS keys(k));
                END
                $$
                """,
            ]
        ),
        (
            "2026-12-01 destinations, activations, runs, leases, claims",
            [
                """
                CREATE TABLE destination (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    bucket TEXT NOT NULL,
                    folder_path TEXT NOT NULL,
                    region TEXT,
                    endpoint TEXT,
                    file_type TEXT NOT NULL,
                    compression TEXT NOT NULL,
                    manifest BOOLEAN NOT NULL,
                    format TEXT NOT NULL,
                    access_key_id TEXT NOT NULL,
                    -- Sealed with FERRY_MASTER_KEY (AES-GCM); never plain text.
                    sealed_secret BYTEA NOT NULL,
                    sealed_session_token BYTEA,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE activation (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    destination_id TEXT NOT NULL REFERENCES destination(id),
                    segment_ids TEXT NOT NULL,
                    mappings TEXT NOT NULL,
                    mandatory TEXT NOT NULL,
                    dedup_keys TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    frequency TEXT NOT NULL,
                    start DOUBLE PRECISION NOT NULL,
                    end_day TEXT,
                    time_zone TEXT NOT NULL,
                    file_name_template TEXT NOT NULL,
                    max_rows_per_file INTEGER NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE run (
                    id TEXT PRIMARY KEY,
                    activation_id TEXT NOT NULL REFERENCES activation(id) ON DELETE CASCADE,
                    segment_id TEXT NOT NULL,
                    destination_id TEXT NOT NULL,
                    scheduled_time DOUBLE PRECISION NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    status TEXT NOT NULL CHECK (status IN ('processing', 'success', 'failed')),
                    mode TEXT NOT NULL,
                    evaluation_id BIGINT,
                    profiles_received INTEGER NOT NULL DEFAULT 0,
                    exported INTEGER NOT NULL DEFAULT 0,
                    excluded_mandatory INTEGER NOT NULL DEFAULT 0,
                    excluded_duplicate INTEGER NOT NULL DEFAULT 0,
                    files TEXT NOT NULL DEFAULT '[]',
                    error TEXT,
                    attempts INTEGER NOT NULL DEFAULT 1,
                    skipped_times INTEGER NOT NULL DEFAULT 0,
                    -- The worker that last took the run up (host:pid:id).
                    worker TEXT,
                    UNIQUE (activation_id, segment_id, scheduled_time)
                )
                """,
                "CREATE INDEX run_by_start ON run(started_at)",
                """
                CREATE TABLE run_upload (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    upload_id TEXT NOT NULL,
                    PRIMARY KEY (run_id, key)
                )
                """,
                """
                CREATE TABLE run_file (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    rows BIGINT NOT NULL,
                    bytes BIGINT NOT NULL,
                    sha256 TEXT NOT NULL,
                    PRIMARY KEY (run_id, key)
                )
                """,
                // The row outlives its holder so the fencing token only grows.
                """
                CREATE TABLE lease (
                    run_key TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL,
                    token BIGINT NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE claim (
                    claim_key TEXT PRIMARY KEY,
                    claimed_at DOUBLE PRECISION NOT NULL
                )
                """,
            ]
        ),
        (
            // A PGP public key files are encrypted to, an IAM role assumed
            // instead of stored keys, and the SSE asked of S3; all optional.
            "2026-12-01 destination encryption and assumed role",
            [
                """
                ALTER TABLE destination
                    ADD COLUMN pgp_public_key BYTEA,
                    ADD COLUMN pgp_fingerprint TEXT,
                    ADD COLUMN role_arn TEXT,
                    ADD COLUMN external_id TEXT,
                    ADD COLUMN role_session_name TEXT,
                    ADD COLUMN sse TEXT,
                    ADD COLUMN kms_key_id TEXT
                """
            ]
        ),
        (
            // API tokens (hashes only), the activation's weekly or monthly
            // day and its trigger, and the request id of the last call that
            // began a run or took a claim: a transaction retried after its
            // commit's reply was lost finds its own earlier write by it.
            "2026-12-01 api tokens, schedule day and trigger, request ids",
            [
                """
                CREATE TABLE api_token (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    -- Lowercase hex SHA-256 of the token; the text itself is never stored.
                    token_hash TEXT NOT NULL UNIQUE,
                    read_only BOOLEAN NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    last_used_at DOUBLE PRECISION
                )
                """,
                """
                ALTER TABLE activation
                    ADD COLUMN day INTEGER,
                    ADD COLUMN "trigger" TEXT NOT NULL DEFAULT 'schedule'
                        CHECK ("trigger" IN ('schedule', 'after-evaluation'))
                """,
                "ALTER TABLE run ADD COLUMN request_id TEXT",
                "CREATE UNIQUE INDEX run_by_request ON run(request_id)",
                "ALTER TABLE claim ADD COLUMN request_id TEXT",
            ]
        ),
        (
            // PQL times pushed down call `ferry_pql_time` (see `PQL.postgresTimeFunction`;
            // a change to it is a new migration that runs it again). A segment keeps why
            // its latest evaluation failed until one succeeds.
            "2026-12-01 pql time function, segment evaluation failures",
            [
                PQL.postgresTimeFunction,
                "ALTER TABLE segment ADD COLUMN last_failure TEXT, ADD COLUMN last_failed_at DOUBLE PRECISION",
            ]
        ),
        (
            // ExperienceEvents, for scans by profile and time (see PQLEventStore):
            // epid/edoc, not pid/doc, since segment SQL reads both tables at once.
            "2026-12-01 experience events",
            [
                """
                CREATE TABLE event (
                    eid BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    epid BIGINT NOT NULL,
                    ets DOUBLE PRECISION NOT NULL,
                    etype TEXT,
                    edoc JSONB NOT NULL
                )
                """,
                "CREATE INDEX event_by_profile ON event (epid, ets)",
                "CREATE INDEX event_by_type ON event (etype, ets)",
                "CREATE TABLE workspace_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ]
        ),
        (
            // Every identity a profile is known by points to it (id normalized
            // as IdentityKey does: emails trimmed and lowercased); the records
            // of a profile made of several, for the merge policy; a sequence
            // ordering records imported with equal timestamps. Profiles made
            // before are linked under their own identity, then their
            // identityMap's ids where no other profile holds them yet.
            "2026-12-01 identity graph",
            [
                """
                CREATE TABLE identity (
                    namespace TEXT NOT NULL,
                    id TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    linked_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (namespace, id)
                )
                """,
                "CREATE INDEX identity_by_pid ON identity(pid, linked_at)",
                """
                CREATE TABLE fragment (
                    pid BIGINT NOT NULL,
                    namespace TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    time DOUBLE PRECISION NOT NULL,
                    sequence BIGINT NOT NULL,
                    doc JSONB NOT NULL,
                    PRIMARY KEY (pid, namespace, identity)
                )
                """,
                """
                ALTER TABLE profile
                    ADD COLUMN fragment_time DOUBLE PRECISION,
                    ADD COLUMN fragment_sequence BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN merged BOOLEAN NOT NULL DEFAULT FALSE
                """,
                "CREATE SEQUENCE fragment_sequence",
                """
                CREATE FUNCTION ferry_identity_key(namespace TEXT, id TEXT) RETURNS TEXT
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT CASE WHEN lower(namespace) = 'email' THEN lower(btrim(id, E' \t\r\n')) ELSE id END
                $$
                """,
                """
                INSERT INTO identity (namespace, id, pid, linked_at)
                SELECT namespace, ferry_identity_key(namespace, identity), pid, updated_at FROM profile ORDER BY pid
                ON CONFLICT DO NOTHING
                """,
                """
                INSERT INTO identity (namespace, id, pid, linked_at)
                SELECT n.key, ferry_identity_key(n.key, e.value ->> 'id'), p.pid, p.updated_at
                FROM profile p,
                    jsonb_each(CASE WHEN jsonb_typeof(p.doc -> 'identityMap') = 'object'
                               THEN p.doc -> 'identityMap' ELSE '{}'::jsonb END) n,
                    jsonb_array_elements(CASE WHEN jsonb_typeof(n.value) = 'array' THEN n.value ELSE '[]'::jsonb END) e
                WHERE jsonb_typeof(e.value -> 'id') = 'string' AND e.value ->> 'id' <> ''
                   OR jsonb_typeof(e.value -> 'id') = 'number' AND e.value ->> 'id' ~ '^-?[0-9]+$'
                ORDER BY p.pid
                ON CONFLICT DO NOTHING
                """,
            ]
        ),
        (
            // Typed columns (see PostgresWorkspace+TypedColumns.swift): the
            // catalog here; the column pairs are added as paths are met, and for
            // profiles stored before, from a sample of them once this is applied.
            typedColumnsMigration,
            ["CREATE TABLE profile_field (col INTEGER PRIMARY KEY, path TEXT[] NOT NULL UNIQUE)"]
        ),
        (
            // Covering indexes for event segments (the events helper's, as on SQLite): the
            // type test and the profile are read from the index alone.
            "2026-12-02 event indexes",
            [
                "DROP INDEX event_by_type",
                "CREATE INDEX event_by_type ON event (etype, ets) INCLUDE (epid)",
                "DROP INDEX event_by_profile",
                "CREATE INDEX event_by_profile ON event (epid, ets) INCLUDE (etype)",
            ]
        ),
        (
            // A plain calendar day (`"1997-04-02"`, most stored dates) is read without the
            // general grammar's regular expression and its dozens of plpgsql statements:
            // 80% less per call, which was most of an `occurs` segment's scan. Any other
            // text goes to the general function, kept under another name.
            "2026-12-02 pql time function, plain days first",
            [
                PQL.postgresTimeFunction.replacingOccurrences(
                    of: "FUNCTION \(PQL.timeFunctionName)(", with: "FUNCTION ferry_pql_time_general("),
                plainDayTimeFunction(formatCheck: #"value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"#),
            ]
        ),
        (
            // Memberships as member sets (see PostgresWorkspace+MemberSets.swift); the
            // `membership` rows of an older workspace are converted, then dropped.
            PostgresWorkspace.memberSetsMigration,
            [
                """
                CREATE TABLE segment_members (
                    sid BIGINT PRIMARY KEY REFERENCES segment(sid) ON DELETE CASCADE,
                    evaluation_id BIGINT NOT NULL,
                    -- MemberBitmap's stored form: bit pid set when the profile qualified.
                    members BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE member_delta (
                    evaluation_id BIGINT PRIMARY KEY REFERENCES evaluation(id) ON DELETE CASCADE,
                    entered BYTEA NOT NULL,
                    exited BYTEA NOT NULL
                )
                """,
            ]
        ),
        (
            // The plain day's shape told by removing its digits rather than by a regular
            // expression: about a third less per call again.
            "2026-12-02 pql time function, plain days without a regular expression",
            [
                plainDayTimeFunction(
                    formatCheck:
                        "translate(value, '0123456789', '') = '--' AND substr(value, 5, 1) = '-' AND substr(value, 8, 1) = '-'"
                )
            ]
        ),
        (
            // Typed values in a narrow table of their own, kept by triggers (see
            // PostgresWorkspace+TypedColumns.swift); `moveTypedValues` then adds the
            // known columns, fills them and drops `profile`'s generated ones.
            PostgresWorkspace.typedValuesMigration,
            [
                "CREATE TABLE profile_value (pid BIGINT PRIMARY KEY)",
                PostgresWorkspace.triggerFunction(
                    "ferry_profile_values_insert", "INSERT INTO profile_value (pid) SELECT pid FROM ferry_new;"),
                PostgresWorkspace.triggerFunction("ferry_profile_values_update", ""),
                PostgresWorkspace.triggerFunction(
                    "ferry_profile_values_delete",
                    "DELETE FROM profile_value WHERE pid IN (SELECT pid FROM ferry_old);"),
                """
                CREATE TRIGGER profile_values_insert AFTER INSERT ON profile REFERENCING NEW TABLE AS ferry_new
                FOR EACH STATEMENT EXECUTE FUNCTION ferry_profile_values_insert()
                """,
                """
                CREATE TRIGGER profile_values_update AFTER UPDATE ON profile REFERENCING NEW TABLE AS ferry_new
                FOR EACH STATEMENT EXECUTE FUNCTION ferry_profile_values_update()
                """,
                """
                CREATE TRIGGER profile_values_delete AFTER DELETE ON profile REFERENCING OLD TABLE AS ferry_old
                FOR EACH STATEMENT EXECUTE FUNCTION ferry_profile_values_delete()
                """,
            ]
        ),
        (
            // The insert trigger leaves alone the profiles an import writes the typed values of
            // itself (see `PostgresWorkspace.valuesWrittenSetting`); reinstalled by `migrate`.
            // No statistics of whole documents: no plan reads them, and sorting a sample of
            // documents was most of each ANALYZE (autovacuum's during an import too).
            PostgresWorkspace.valuesWrittenMigration,
            ["ALTER TABLE profile ALTER COLUMN doc SET STATISTICS 0"]
        ),
        (
            // Each typed value also as text and as numeric (see `PostgresWorkspace.addNativeValues`),
            // added by `migrate` for the columns known then.
            PostgresWorkspace.nativeValuesMigration,
            []
        ),
        (
            // Typed event columns (see PostgresWorkspace+EventColumns.swift): the
            // catalog here; the columns are added as paths are met, and for the
            // events stored before, from all of them once this is applied.
            PostgresWorkspace.eventColumnsMigration,
            ["CREATE TABLE event_field (col INTEGER PRIMARY KEY, path TEXT[] NOT NULL UNIQUE)"]
        ),
        (
            // `sN` and `nN` written beside `vN` rather than generated from it (see
            // `PostgresWorkspace.plainNativeValuesMigration`); done by `migrate`.
            PostgresWorkspace.plainNativeValuesMigration,
            []
        ),
        (
            // Object marks (see `PostgresWorkspace.objectMarksMigration`): the catalog
            // here; `migrate` adds the columns and fills them.
            PostgresWorkspace.objectMarksMigration,
            ["CREATE TABLE profile_object (col INTEGER PRIMARY KEY, path TEXT[] NOT NULL UNIQUE)"]
        ),
    ]

    /// `ferry_pql_time` (see `PQL.postgresTimeFunction`) with a fast path for `YYYY-MM-DD`: the
    /// parts of a valid day, whose every part `PQL.time` derives from the day alone.
    /// `formatCheck` tells ten characters of that shape from the rest.
    static func plainDayTimeFunction(formatCheck: String) -> String {
        #"""
        CREATE OR REPLACE FUNCTION ferry_pql_time(value text, part integer) RETURNS double precision
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $function$
        DECLARE
            y integer;
            mo integer;
            d integer;
        BEGIN
            IF length(value) = 10 AND \#(formatCheck) THEN
                y := substr(value, 1, 4)::integer;
                mo := substr(value, 6, 2)::integer;
                d := substr(value, 9, 2)::integer;
                -- Year 0 is left to the general function: make_date has no year 0.
                IF y >= 1 AND mo BETWEEN 1 AND 12 AND d >= 1 AND d <= (CASE
                    WHEN mo = 2 THEN (CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END)
                    WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END)
                THEN
                    RETURN CASE part
                        WHEN 1 THEN make_date(y, mo, d) - DATE '1970-01-01'
                        WHEN 4 THEN y
                        WHEN 5 THEN mo
                        WHEN 6 THEN d
                        ELSE (make_date(y, mo, d) - DATE '1970-01-01')::double precision * 86400 END;
                END IF;
            END IF;
            RETURN ferry_pql_time_general(value, part);
        END
        $function$
        """#
    }

    static let typedColumnsMigration = "2026-12-02 typed profile columns"

    /// The number of the newest migration this build knows.
    static var currentVersion: Int { migrations.count }

    /// Applies what is missing. Without `create`, a database with no Ferry
    /// schema is refused; one migrated by a newer Ferry is refused either way.
    /// `upTo` stops after that many migrations, for tests that upgrade an older workspace.
    static func migrate(_ workspace: PostgresWorkspace, create: Bool, upTo: Int? = nil) async throws {
        let url = workspace.url
        try await workspace.transaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(advisoryLock))", logger: workspace.logger)
                .collect()
            let exists =
                try await connection.query(
                    "SELECT to_regclass('ferry_migration') IS NOT NULL", logger: workspace.logger
                ).collect().first?.decode(Bool.self) ?? false
            if !exists {
                guard create else {
                    throw PostgresStoreError(
                        .notInitialized,
                        "The database \(url) holds no Ferry workspace; run `ferry workspace init` first.")
                }
                _ = try await connection.query(
                    "CREATE TABLE ferry_migration (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                    logger: workspace.logger
                ).collect()
            }
            let applied = Set(try await appliedNames(connection, workspace))
            let known = Set(migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().last {
                throw PostgresStoreError(
                    .schemaTooNew,
                    "The database \(url) was migrated by a newer Ferry (migration '\(unknown)'); upgrade this ferry.")
            }
            for migration in migrations.prefix(upTo ?? migrations.count) where !applied.contains(migration.name) {
                for statement in migration.statements {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: workspace.logger)
                        .collect()
                }
                _ = try await connection.query(
                    "INSERT INTO ferry_migration (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))",
                    logger: workspace.logger
                ).collect()
                workspace.logger.info("applied migration \(migration.name)")
                if migration.name == PostgresWorkspace.eventColumnsMigration {
                    let paths = try await PostgresWorkspace.storedEventPaths(on: connection, logger: workspace.logger)
                    try await PostgresWorkspace.addEventColumns(paths, on: connection, logger: workspace.logger)
                }
                if migration.name == typedColumnsMigration {
                    let paths = try await PostgresWorkspace.storedLeafPaths(on: connection, logger: workspace.logger)
                    try await PostgresWorkspace.addTypedColumns(for: paths, on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.memberSetsMigration {
                    try await PostgresWorkspace.convertMembershipRows(on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.typedValuesMigration {
                    try await PostgresWorkspace.moveTypedValues(on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.valuesWrittenMigration {
                    try await PostgresWorkspace.installValueTriggers(on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.objectMarksMigration {
                    // No new path: the marks the typed columns call for, filled for the stored rows.
                    try await PostgresWorkspace.addTypedColumns(for: [], on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.plainNativeValuesMigration {
                    try await PostgresWorkspace.makeNativeValuesPlain(on: connection, logger: workspace.logger)
                }
                if migration.name == PostgresWorkspace.nativeValuesMigration {
                    let columns = try await PostgresWorkspace.typedColumns(on: connection, logger: workspace.logger)
                    try await PostgresWorkspace.addNativeValues(
                        Array(columns.values), on: connection, logger: workspace.logger)
                }
            }
        }
    }

    static func appliedNames(_ connection: PostgresConnection, _ workspace: PostgresWorkspace) async throws
        -> [String]
    {
        try await connection.query("SELECT name FROM ferry_migration ORDER BY name", logger: workspace.logger)
            .collect().map { try $0.decode(String.self) }
    }
}

extension PostgresWorkspace {
    /// The migrations applied to this database, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await withConnection { connection in try await PostgresSchema.appliedNames(connection, self) }
    }

    /// The schema version: how many migrations are applied.
    public func schemaVersion() async throws -> Int { try await appliedMigrations().count }

    /// The newest schema version this build knows.
    public static var currentSchemaVersion: Int { PostgresSchema.currentVersion }

    /// The server's version string, for `ferry workspace info`.
    public func serverVersion() async throws -> String {
        try await withConnection { connection in
            try await connection.query("SHOW server_version", logger: self.logger).collect().first?.decode(
                String.self) ?? "?"
        }
    }
}
