import Crypto
import Foundation
import GRDB

/// A directory holding Ferry's state: `ferry.sqlite` (profiles, segments,
/// memberships) and `ferry.key` (the key that seals stored secrets).
public final class Workspace: Sendable {
    public static let defaultDirectory = "ferry-workspace"
    public static let databaseFileName = "ferry.sqlite"
    public static let keyFileName = "ferry.key"

    public let directory: URL
    /// Open for the exporter's own queries. WAL mode: readers never block the writer.
    public let dbPool: DatabasePool
    /// Seals with `FERRY_MASTER_KEY` when set, else with the key in `ferry.key`.
    public let secretBox: SecretBox

    /// Opens the workspace at `directory`, creating it, its database and its key on first use,
    /// and migrating an older database to the current schema.
    public init(directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WorkspaceError(
                .cannotCreateDirectory,
                "Cannot create the workspace folder \(directory.path): \(error.localizedDescription)")
        }
        if let master = environment["FERRY_MASTER_KEY"], !master.isEmpty {
            secretBox = try SecretBox(base64Key: master)
        } else {
            secretBox = SecretBox(key: try Self.loadOrCreateKey(at: directory.appendingPathComponent(Self.keyFileName)))
        }

        var config = Configuration()
        // Several ferry processes share one workspace (cron, serve, imports);
        // a writer waits for another instead of failing at once.
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // NORMAL is durable across a process crash in WAL mode; only a power
            // loss can drop the last commits, which a re-import restores.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -32000")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        dbPool = try DatabasePool(
            path: directory.appendingPathComponent(Self.databaseFileName).path, configuration: config)
        try WorkspaceSchema.migrator.migrate(dbPool)
    }

    /// The key file is created with O_EXCL and mode 0600, so two first runs racing
    /// each other end up with one key and nobody else can read it.
    static func loadOrCreateKey(at url: URL) throws -> SymmetricKey {
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
