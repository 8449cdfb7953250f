import Foundation
import GRDB
import GRDBSQLite

/// Copies an import's write-ahead log into the database file on a thread and
/// connection of its own, so the writer goes on with the next batch meanwhile.
///
/// A checkpoint from another connection copies pages but cannot start the log
/// over: SQLite restarts it only when a writer begins while every frame is
/// already copied, and the writer has always committed more by then. So the
/// writer itself checkpoints once the log is past `restartFrames`, right
/// after a pass here, when only the frames since that pass are left to copy;
/// the log restarts with its next transaction. If passes fall behind, the
/// writer checkpoints at twice that regardless, so the log stays bounded.
final class ProfileImportCheckpointer: @unchecked Sendable {
    /// Frames (16 KiB pages) committed between passes here. A pass copies each
    /// page once however often it changed since the last one: passes every
    /// 2,048 frames copied 13% more bytes, and cost more CPU than they took off the writer.
    let passFrames: Int32
    /// The log's size, in frames, from which the writer has it start over:
    /// 128 MiB, as SQLite's automatic checkpoints had before.
    let restartFrames: Int32

    private let connection: OpaquePointer
    // Guards the fields below; passes wait on it.
    private let state = NSCondition()
    // Frames in the log at the writer's last commit, and when a pass was last asked for.
    private var logFrames: Int32 = 0
    private var requestedAt: Int32 = 0
    private var requested = false
    private var stopping = false
    // Frames of the current log the last pass left copied; a pass that began before
    // the log restarted reports on the old log, so each restart starts a new epoch.
    private var copiedFrames: Int32 = 0
    private var epoch = 0
    // SQLite answers a second checkpoint at once with SQLITE_BUSY: one at a time.
    private let checkpointLock = NSLock()
    private var passesEnded = false
    private var finished: CheckedContinuation<Void, Never>?

    init(path: String, passFrames: Int32 = 8192, restartFrames: Int32 = 8192) throws {
        self.passFrames = passFrames
        self.restartFrames = restartFrames
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) }
            sqlite3_close_v2(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        connection = handle
        // As the workspace's connections: a checkpoint syncs the log and the database file.
        sqlite3_exec(handle, "PRAGMA synchronous = NORMAL", nil, nil, nil)
    }

    // The passes close the connection when they end: a connection left open
    // would keep the last one the workspace closes from removing the log.
    deinit { if !started { sqlite3_close_v2(connection) } }
    private var started = false

    /// Starts the passes, and has `writer` (the workspace's writer connection)
    /// report each commit here instead of checkpointing every 1,000 frames itself.
    func start(on writer: Database) {
        let thread = Thread { [self] in
            runPasses()
            state.lock()
            let waiting = finished
            passesEnded = true
            state.unlock()
            waiting?.resume()
        }
        started = true
        thread.start()
        // Released by `detach`: SQLite holds only the pointer.
        sqlite3_wal_hook(
            writer.sqliteConnection,
            { context, db, _, frames in
                guard let context, let db else { return SQLITE_OK }
                Unmanaged<ProfileImportCheckpointer>.fromOpaque(context).takeUnretainedValue()
                    .committed(frames: frames, writer: db)
                return SQLITE_OK
            }, Unmanaged.passRetained(self).toOpaque())
        attached = true
    }

    /// Gives `writer` back SQLite's own checkpoints and ends the passes
    /// (without waiting for them); does nothing the second time.
    func detach(from writer: Database) {
        guard attached else { return }
        attached = false
        // The pragma replaces the hook too, but should it fail the hook must
        // not outlive the reference released below.
        sqlite3_wal_hook(writer.sqliteConnection, nil, nil)
        try? writer.execute(sql: "PRAGMA wal_autocheckpoint = 1000")
        Unmanaged.passUnretained(self).release()
        state.lock()
        stopping = true
        state.signal()
        state.unlock()
    }

    /// Whether `detach` is still to be called. Only the writer's queue touches it.
    private(set) var attached = false

    /// Waits for the passes to end after `detach`; the last one copies every
    /// frame committed before it, so the log starts over with the next write.
    func passesFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            state.lock()
            if passesEnded {
                state.unlock()
                continuation.resume()
            } else {
                finished = continuation
                state.unlock()
            }
        }
    }

    // On the writer's thread, after each commit, with the frames now in the log.
    private func committed(frames: Int32, writer: OpaquePointer) {
        state.lock()
        if frames < logFrames {
            // The log started over with this transaction.
            epoch += 1
            copiedFrames = 0
            requestedAt = 0
        }
        logFrames = frames
        let restart =
            frames >= 2 * restartFrames || (frames >= restartFrames && frames - copiedFrames < passFrames)
        if !restart, frames - requestedAt >= passFrames {
            requestedAt = frames
            requested = true
            state.signal()
        }
        state.unlock()
        guard restart else { return }
        checkpointLock.lock()
        sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        checkpointLock.unlock()
    }

    private func runPasses() {
        Thread.current.name = "ferry-checkpnt"
        while true {
            state.lock()
            while !requested && !stopping { state.wait() }
            let last = stopping
            requested = false
            let passEpoch = epoch
            state.unlock()
            checkpointLock.lock()
            var log: Int32 = 0
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            checkpointLock.unlock()
            state.lock()
            if code == SQLITE_OK, passEpoch == epoch { copiedFrames = copied }
            state.unlock()
            if last {
                sqlite3_close_v2(connection)
                return
            }
        }
    }
}
