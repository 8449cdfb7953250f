import Foundation

/// Keeps the workspace's files private to their owner. Modes are set with chmod after creation
/// rather than trusted to `open`'s mode argument, which the process umask can only narrow, never
/// fix: a workspace made under umask 000 would otherwise be world-readable.
enum FilePermissions {
    /// Sets `path` to exactly `mode` when its permission bits differ.
    static func restrict(_ path: String, to mode: mode_t, ifExists: Bool = false) throws(WorkspaceError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if ifExists, errno == ENOENT { return }
            throw WorkspaceError(
                .cannotSetPermissions, "Cannot read the permissions of \(path): \(String(cString: strerror(errno))).")
        }
        guard info.st_mode & 0o7777 != mode else { return }
        guard chmod(path, mode) == 0 else {
            throw WorkspaceError(
                .cannotSetPermissions,
                "Cannot make \(path) private (mode \(String(mode, radix: 8))): \(String(cString: strerror(errno))).")
        }
    }

    /// Creates an empty file readable only by its owner, or repairs the mode of an existing one.
    static func createPrivateFile(_ path: String) throws(WorkspaceError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 || errno == EEXIST else {
            throw WorkspaceError(.cannotCreateDirectory, "Cannot create \(path): \(String(cString: strerror(errno))).")
        }
        if fd >= 0 { close(fd) }
        try restrict(path, to: 0o600)
    }
}
