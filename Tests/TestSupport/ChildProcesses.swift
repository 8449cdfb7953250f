import Foundation

// Helpers for tests that start child processes. Swift's cooperative pool has
// one thread per core (two on CI), shared by every test of the process: a test
// that blocks one of them while a child works (`waitUntilExit`, `usleep`, a
// read to end of file) stalls all the others' async code, so their timeouts
// fire and their continuations resume late. These wait without holding one.

/// Runs blocking work (waiting for a child, polling it closely) on a thread of
/// its own, so it holds no thread of the cooperative pool.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Whether a child is still running. Read from /proc because Foundation's
/// `isRunning` was seen reporting false early while many tests spawn
/// processes at once; a zombie counts as gone.
public func alive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")"),
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    {
        return state != "Z" && state != "X"
    }
    return true
}

/// Waits up to `seconds` for a child to end by itself, then kills it; whether it
/// ended by itself. A stuck child fails its test instead of hanging the run, and
/// the wait holds no thread (Foundation's `waitUntilExit` blocks one).
public func exited(_ process: Process, within seconds: Double) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while alive(process.processIdentifier), Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
    let ended = !alive(process.processIdentifier)
    if !ended { kill(process.processIdentifier, SIGKILL) }
    while alive(process.processIdentifier) { try? await Task.sleep(for: .milliseconds(20)) }
    // A zombie counts as gone above, but Foundation records the status only
    // when its own thread reaps the child, and `terminationStatus` traps
    // before that (seen under load): wait for it too.
    let reaped = Date().addingTimeInterval(30)
    while process.isRunning, Date() < reaped { try? await Task.sleep(for: .milliseconds(10)) }
    return ended
}

/// Sends `signal` and waits for the child as `exited` does.
@discardableResult
public func stop(_ process: Process, signal: Int32 = SIGTERM, within seconds: Double = 60) async -> Bool {
    kill(process.processIdentifier, signal)
    return await exited(process, within: seconds)
}

/// The file at `path`, opened to append, for a child's stdout and stderr
/// alike: two handles opened without O_APPEND would each write from offset 0,
/// so a line on one would be overwritten by the other's.
public func appendingLog(_ path: String) -> FileHandle {
    FileHandle(fileDescriptor: open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644), closeOnDealloc: true)
}

/// A child's output, written to files rather than pipes. Tests run in parallel
/// and start helper processes (fault proxies, webhook sinks) that inherit
/// whatever descriptors are open at that instant: one that inherits a pipe's
/// write end keeps a read-to-end-of-file waiting until the helper exits, which
/// hung a whole test run. A file has no such end.
public struct CapturedOutput {
    public let stdout: FileHandle
    public let stderr: FileHandle
    private let paths: [String]

    public init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-output-\(UUID().uuidString)")
            .path
        paths = [base + ".out", base + ".err"]
        for path in paths { FileManager.default.createFile(atPath: path, contents: nil) }
        stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: paths[0]))
        stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: paths[1]))
    }

    /// What the child wrote; call after it exited.
    public func read() throws -> (stdout: Data, stderr: Data) {
        try? stdout.close()
        try? stderr.close()
        return (
            try Data(contentsOf: URL(fileURLWithPath: paths[0])), try Data(contentsOf: URL(fileURLWithPath: paths[1]))
        )
    }

    public func remove() {
        try? stdout.close()
        try? stderr.close()
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `process` to its end with its output captured and `input` (or
    /// nothing) on a closed standard input, so it never reads the test's.
    /// Blocks its thread: from async code, call the async `run`.
    public static func runBlocking(_ process: Process, input: Data? = nil) throws -> (
        status: Int32, stdout: Data, stderr: Data
    ) {
        let output = try CapturedOutput()
        defer { output.remove() }
        process.standardOutput = output.stdout
        process.standardError = output.stderr
        let inPipe = Pipe()
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try? inPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        let (stdout, stderr) = try output.read()
        return (process.terminationStatus, stdout, stderr)
    }

    /// As `runBlocking`, waiting on a thread of its own.
    public static func run(_ process: Process, input: Data? = nil) async throws -> (
        status: Int32, stdout: Data, stderr: Data
    ) {
        try await offPool { try runBlocking(process, input: input) }
    }

    /// Runs `executable` (looked up in PATH) with `arguments` to its end, off the pool.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: Data? = nil
    ) async throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let environment { process.environment = environment }
        return try await run(process, input: input)
    }
}
