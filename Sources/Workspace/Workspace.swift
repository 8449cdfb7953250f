import Crypto
import Foundation
import GRDB
import Segmentation

/// A directory holding Ferry's state: `ferry.sqlite` (profiles, segments,
/// memberships) and `ferry.key` (the key that seals stored secrets).
public final class Workspace: Sendable {
    public static let defaultDirectory = "ferry-workspace"
    public static let databaseFileName = "ferry.sqlite"
    public static let keyFileName = "ferry.key"

    public let directory: URL
    /// WAL mode: readers never block the writer. Only this module speaks SQL,
    /// so the handle stays inside it.
    let dbPool: DatabasePool
    /// Seals with `FERRY_MASTER_KEY` when set, else with the key in `ferry.key`.
    public let secretBox: SecretBox

    /// Opens the workspace at `directory`, migrating an older database to the current schema.
    ///
    /// With `create`, the folder, its database and its key are made on first use; without it, a folder
    /// holding no `ferry.sqlite` is refused, so a mistyped path fails instead of starting an empty workspace.
    /// Either way the folder ends up 0700 and the database files 0600, whatever the umask, and an older
    /// workspace made with looser modes is repaired here.
    public init(
        directory: URL, create: Bool = true, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.directory = directory
        let databaseURL = directory.appendingPathComponent(Self.databaseFileName)
        if !create, !FileManager.default.fileExists(atPath: databaseURL.path) {
            throw WorkspaceError(
                .noWorkspace,
                "No workspace at \(directory.path); check --workspace or FERRY_WORKSPACE (importing profiles or creating a segment or destination starts one)."
            )
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WorkspaceError(
                .cannotCreateDirectory,
                "Cannot create the workspace folder \(directory.path): \(error.localizedDescription)")
        }
        try FilePermissions.restrict(directory.path, to: 0o700)
        // SQLite creates the database with 0644 minus the umask and gives its -wal and -shm files the
        // database's mode, so making the database 0600 before SQLite opens it covers all three.
        try FilePermissions.createPrivateFile(databaseURL.path)
        for suffix in ["-wal", "-shm"] {
            try FilePermissions.restrict(databaseURL.path + suffix, to: 0o600, ifExists: true)
        }
        let keyURL = directory.appendingPathComponent(Self.keyFileName)
        try FilePermissions.restrict(keyURL.path, to: 0o600, ifExists: true)

        var config = Configuration()
        // Several ferry processes share one workspace (cron, serve, imports);
        // a writer waits for another instead of failing at once.
        config.busyMode = .timeout(Self.busyTimeout(environment))
        config.prepareDatabase { db in
            // 16 KiB pages: a scan of the profile table makes a quarter of the
            // reads, and an import a quarter of the writes, of 4 KiB pages. SQLite
            // only takes this before the file's first write, so a workspace made
            // with other pages keeps them.
            try db.execute(sql: "PRAGMA page_size = 16384")
            // NORMAL is durable across a process crash in WAL mode; only a power
            // loss can drop the last commits, which a re-import restores.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A reader's pages are mostly read once: a scan's, or an incremental
            // evaluation's scattered changed rows, and a write by another
            // connection empties its cache anyway. Each page of cache costs a page
            // fault the first time it is filled, which was a third of reading
            // 10,000 changed profiles from a million.
            try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -4096 : -32000)")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Segments compile to SQL that calls back for `matches` and times.
            SegmentEvaluator.registerPQLFunctions(db)
        }
        let pool = try DatabasePool(path: databaseURL.path, configuration: config)
        try WorkspaceSchema.migrator.migrate(pool)
        dbPool = pool

        if let master = environment["FERRY_MASTER_KEY"], !master.isEmpty {
            secretBox = try SecretBox(base64Key: master)
        } else {
            // A new key cannot open what the old one sealed: making one silently would turn every
            // stored secret into noise, so a workspace that has sealed secrets insists on its key.
            let sealedCount = try pool.read { db in try DestinationRecord.fetchCount(db) }
            secretBox = SecretBox(
                key: try Self.loadOrCreateKey(at: keyURL, mayCreate: sealedCount == 0, sealedSecrets: sealedCount))
        }
    }

    /// How long a writer waits for another process's write lock:
    /// `FERRY_BUSY_TIMEOUT_SECONDS`, 30 s by default.
    static func busyTimeout(_ environment: [String: String]) -> TimeInterval {
        environment["FERRY_BUSY_TIMEOUT_SECONDS"].flatMap(TimeInterval.init).map { max(0, $0) } ?? 30
    }

    /// The key file is created with O_EXCL and mode 0600, so two first runs racing
    /// each other end up with one key and nobody else can read it.
    static func loadOrCreateKey(at url: URL, mayCreate: Bool = true, sealedSecrets: Int = 0) throws -> SymmetricKey {
        if !mayCreate, !FileManager.default.fileExists(atPath: url.path) {
            throw WorkspaceError(
                .missingKeyFile,
                "The workspace key \(url.path) is missing and \(sealedSecrets) destination(s) hold secrets sealed with it; restore the file, or set FERRY_MASTER_KEY to the key they were sealed with."
            )
        }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd >= 0 {
            let key = SymmetricKey(size: .bits256)
            let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let synced = fsync(fd)
            close(fd)
            guard written == 32, synced == 0 else {
                try? FileManager.default.removeItem(at: url)
                throw WorkspaceError(.badKeyFile, "Cannot write the workspace key \(url.path).")
            }
            return key
        }
        guard errno == EEXIST else {
            throw WorkspaceError(
                .badKeyFile, "Cannot create the workspace key \(url.path): \(String(cString: strerror(errno))).")
        }
        guard let data = FileManager.default.contents(atPath: url.path), data.count == 32 else {
            throw WorkspaceError(
                .badKeyFile,
                "The workspace key \(url.path) is not 32 bytes; restore it from the machine the workspace came from or set FERRY_MASTER_KEY."
            )
        }
        return SymmetricKey(data: data)
    }
}
