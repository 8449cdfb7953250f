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

    init(upstream: String, rules: String? = nil, randomRate: Double? = nil, seed: Int = 7) throws {
        let dir = NSTemporaryDirectory() + "ferry-proxy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ready = dir + "/ready"
        logPath = dir + "/log.jsonl"
        let script =
            ProcessInfo.processInfo.environment["FERRY_FAULT_PROXY"]
            ?? TestEnvironment.repoRoot.appendingPathComponent("scripts/lib/fault_proxy.py").path
        var arguments = [
            "python3", script, "--upstream", upstream, "--ready-file", ready, "--log-file", logPath,
            "--parent-pid", String(getpid()),
        ]
        if let rules { arguments += ["--rules", rules] }
        if let randomRate { arguments += ["--random-rate", String(randomRate), "--seed", String(seed)] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: ready) { usleep(50_000) }
        let port = try String(contentsOfFile: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        endpoint = "http://127.0.0.1:\(port)"
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
