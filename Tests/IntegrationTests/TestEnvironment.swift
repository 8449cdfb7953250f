import Foundation
import NIOCore
import S3
// Exported for every file of this target, as their helpers were defined here
// before other test targets needed them too.
@_exported import TestSupport
import Testing

/// The moto server the integration tests talk to, with IAM enforced.
///
/// `scripts/test` starts one and passes it in `FERRY_TEST_ENV`; a bare
/// `swift test` starts its own, which stops when this process ends.
struct TestEnvironment: Decodable, Sendable {
    struct Keys: Decodable, Sendable {
        var accessKeyId: String
        var secretAccessKey: String
        var credentials: AWSCredentials { AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey) }
    }

    var endpoint: String
    var region: String
    var bucket: String
    var users: [String: Keys]

    static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let shared: TestEnvironment = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: envPath))
        return try! JSONDecoder().decode(TestEnvironment.self, from: data)
    }()

    /// The fixture's ENV.json, for helpers in other languages.
    static let envPath: String = {
        let path: String
        if let given = ProcessInfo.processInfo.environment["FERRY_TEST_ENV"], !given.isEmpty {
            path = given
        } else {
            path = NSTemporaryDirectory() + "ferry-test-env-\(getpid()).json"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", repoRoot.appendingPathComponent("scripts/lib/s3_fixture.py").path, "start", "--out", path,
                "--parent-pid", String(getpid()),
            ]
            try! process.run()
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: path) { usleep(100_000) }
        }
        return path
    }()

    func keys(_ user: String) -> Keys { users[user]! }

    func client(
        user: String = "full", endpoint: String? = nil,
        retry: RetryPolicy = RetryPolicy(
            maxAttempts: 5, baseDelay: .milliseconds(20))
    ) -> S3Client {
        S3Client(
            configuration: S3ClientConfiguration(
                endpoint: URL(string: endpoint ?? self.endpoint)!, region: region, retry: retry),
            credentials: keys(user).credentials)
    }

    /// A fresh prefix per test, so tests can run in parallel on one bucket.
    static func prefix(_ name: String) -> String { "it/\(name)-\(UUID().uuidString.prefix(8))/" }
}

/// Deterministic pseudo-random bytes, so a mismatch is reproducible.
func testBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        withUnsafeBytes(of: state) { word in
            for b in word where i < count {
                out[i] = b
                i += 1
            }
        }
    }
    return out
}

/// Feeds bytes in uneven chunks, as a real producer would.
struct ChunkedBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunk: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let chunk: Int
        var offset = 0
        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(bytes.count, offset + chunk)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, chunk: chunk) }
}

/// Runs the built `ferry` binary and captures its output.
struct FerryRun {
    var exitCode: Int32
    var stdout: String
    var stderr: String

    static var binary: URL {
        if let given = ProcessInfo.processInfo.environment["FERRY_BIN"] { return URL(fileURLWithPath: given) }
        // Tests are built into the same folder as the executable.
        let bundleDir = Bundle.main.bundleURL
        let candidate = bundleDir.appendingPathComponent("ferry")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        return TestEnvironment.repoRoot.appendingPathComponent(".build/debug/ferry")
    }

    /// Waits for the child on a thread of its own: the cooperative pool has one
    /// thread per core (two here), and a test parked on one while `ferry`
    /// works starves every other test's async code.
    static func run(_ arguments: [String], environment: [String: String], input: String? = nil) async throws
        -> FerryRun
    {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        env.merge(environment) { $1 }
        process.environment = env
        let result = try await CapturedOutput.run(process, input: input.map { Data($0.utf8) })
        return FerryRun(
            exitCode: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
            stderr: String(decoding: result.stderr, as: UTF8.self))
    }
}

extension TestEnvironment {
    /// The rows of a CSV object in the test bucket as Python's csv module reads them, without the header.
    func csvRows(_ key: String) async throws -> Set<[String]> {
        let bytes = try await client().getObject(bucket: bucket, key: key)
        let file = NSTemporaryDirectory() + "ferry-rows-\(UUID().uuidString).csv"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let script = "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))[1:]))"
        return Set(try JSONDecoder().decode([[String]].self, from: await runPython(["-c", script, file])))
    }

    /// The environment a user would set for `ferry s3 ...`.
    func awsEnvironment(user: String = "full") -> [String: String] {
        let k = keys(user)
        return [
            "AWS_ACCESS_KEY_ID": k.accessKeyId, "AWS_SECRET_ACCESS_KEY": k.secretAccessKey,
            "AWS_ENDPOINT_URL_S3": endpoint, "AWS_REGION": region,
        ]
    }
}

extension FerryRun {
    /// Starts `ferry` in the background, for tests that signal it.
    static func spawn(
        _ arguments: [String], environment: [String: String], stdin: Any? = nil, stdout: Any = FileHandle.nullDevice,
        stderr: Any = FileHandle.nullDevice
    ) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        env.merge(environment) { $1 }
        process.environment = env
        if let stdin { process.standardInput = stdin }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }
}

/// Which workspace a parameterised integration test runs on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { rawValue }
}

/// `ferry` commands against one fresh workspace, as one user.
struct WorkspaceCLI: Sendable {
    let dir = NSTemporaryDirectory() + "ferry-cli-\(UUID().uuidString)"
    let environment: [String: String]
    /// FERRY_DATABASE_URL (it wins over `--workspace`) and FERRY_MASTER_KEY of a
    /// fresh PostgreSQL database, whatever user runs the command; empty for SQLite.
    var backendEnvironment: [String: String] = [:]

    /// A fresh workspace on `backend`: a folder, or a new database on the server `scripts/test` started.
    static func make(environment: [String: String], backend: Backend) async throws -> WorkspaceCLI {
        guard backend == .postgresql else { return WorkspaceCLI(environment: environment) }
        return WorkspaceCLI(
            environment: environment,
            backendEnvironment: [
                "FERRY_DATABASE_URL": try await PostgresWorkersTests.freshDatabase(),
                "FERRY_MASTER_KEY": PostgresWorkersTests.masterKey,
                "FERRY_CONNECT_TIMEOUT_SECONDS": PostgresWorkersTests.connectTimeout,
            ])
    }

    @discardableResult
    func callAsFunction(_ args: [String], user: [String: String]? = nil) async throws -> FerryRun {
        try await FerryRun.run(
            args + ["--workspace", dir], environment: (user ?? environment).merging(backendEnvironment) { $1 })
    }

    func spawn(
        _ args: [String], stdin: Any? = nil, stdout: Any = FileHandle.nullDevice, stderr: Any = FileHandle.nullDevice
    ) throws -> Process {
        try FerryRun.spawn(
            args + ["--workspace", dir], environment: environment.merging(backendEnvironment) { $1 }, stdin: stdin,
            stdout: stdout, stderr: stderr)
    }

    func importLines(_ lines: [String]) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/import-\(UUID().uuidString).jsonl"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await self(["profiles", "import", file])
        precondition(result.exitCode == 0, result.stderr)
    }
}

/// Runs the test Python (`FERRY_PYTHON`, else python3) with `arguments` and
/// returns its standard output; a non-zero exit is recorded as a failure.
/// A child's log cut to fit a failure message: its end, and, when the child
/// crashed, the lines that say why, which the backtrace after them would push
/// out of the end.
func excerpt(_ log: String, tail: Int = 4000) -> String {
    let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = lines.firstIndex(where: { $0.contains("Fatal error") || $0.contains("*** Program crashed") })
    else { return String(log.suffix(tail)) }
    let cause = lines[max(0, first - 5)..<min(lines.count, first + 25)].joined(separator: "\n")
    return cause + "\n...\n" + log.suffix(tail)
}

func runPython(_ arguments: [String]) async throws -> Data {
    let result = try await CapturedOutput.run(
        ProcessInfo.processInfo.environment["FERRY_PYTHON"] ?? "python3", arguments)
    if result.status != 0 {
        Issue.record(
            "python \(arguments.first ?? "") exited \(result.status): \(String(decoding: result.stderr, as: UTF8.self))"
        )
    }
    return result.stdout
}
