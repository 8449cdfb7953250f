import GRDB

/// Another process held the workspace's write lock for longer than a writer
/// waits (`FERRY_BUSY_TIMEOUT_SECONDS`, 30 s by default): a long import, say.
/// Nothing was changed.
public struct WorkspaceBusyError: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "the workspace is busy: another ferry process held its write lock longer than this one waits (FERRY_BUSY_TIMEOUT_SECONDS, 30 s by default); nothing was changed, try again when it is done"
    }

    /// The busy error when `error` is SQLite's "database is locked", else nil.
    public static func from(_ error: any Error) -> WorkspaceBusyError? {
        guard let error = error as? DatabaseError else { return nil }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED ? WorkspaceBusyError() : nil
    }
}
