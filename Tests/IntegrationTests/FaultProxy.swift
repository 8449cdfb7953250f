import Foundation

/// The fault-injecting proxy from `scripts/lib/fault_proxy.py`, placed
/// between the client and moto so retries are tested on real sockets.
final class FaultProxy: Sendable {
    let endpoint: String
    let logPath: String
    let process: Process

    struct Entry: Decodable {
        var method: String
        var path: String
        var query: String
        var action: String
    }

    init(upstream: String, rules: String? = nil, randomRate: Double? = nil, seed: Int = 7) async throws {
        var arguments = ["--upstream", upstream]
        if let rules { arguments += ["--rules", rules] }
        if let randomRate { arguments += ["--random-rate", String(randomRate), "--seed", String(seed)] }
        let script =
            ProcessInfo.processInfo.environment["FERRY_FAULT_PROXY"]
            ?? TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/fault_proxy.py").path
        (process, endpoint, logPath) = try await startLoopbackHelper(script: script, arguments: arguments)
    }

    var entries: [Entry] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Only signals: Foundation's `waitUntilExit` can hang when called from
    /// an async test on Linux, and the proxy exits on SIGTERM by itself.
    func stop() {
        kill(process.processIdentifier, SIGTERM)
    }
}

/// Starts one of the Python helpers in scripts/lib that listen on a free
/// loopback port, announce it in a ready file and log to a file; each stops
/// when this test process goes away.
func startLoopbackHelper(script: String, arguments: [String]) async throws -> (
    Process, endpoint: String, logPath: String
) {
    let dir = NSTemporaryDirectory() + "ferry-helper-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let ready = dir + "/ready"
    let logPath = dir + "/log.jsonl"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
        ["python3", script, "--ready-file", ready, "--log-file", logPath, "--parent-pid", String(getpid())]
        + arguments
    try process.run()
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: ready) {
        try await Task.sleep(for: .milliseconds(50))
    }
    let port = try String(contentsOfFile: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    return (process, "http://127.0.0.1:\(port)", logPath)
}

/// `scripts/lib/webhook_sink.py`: records what Ferry's alert webhook posts.
final class WebhookSink: Sendable {
    let endpoint: String
    let logPath: String
    let process: Process

    /// - Parameter hang: take each post and never answer, as a stalled webhook does.
    init(status: Int = 204, hang: Bool = false) async throws {
        let script = TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/webhook_sink.py").path
        (process, endpoint, logPath) = try await startLoopbackHelper(
            script: script, arguments: ["--status", String(status)] + (hang ? ["--hang"] : []))
    }

    /// Each posted JSON body, decoded, in arrival order.
    var posts: [[String: Any]] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let body = entry["body"] as? String
            else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        }
    }

    func stop() { kill(process.processIdentifier, SIGTERM) }
}
