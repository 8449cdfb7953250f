import Foundation
import TestSupport
import Testing

@testable import Workspace

/// Runs the built `ferry` executable: found through FERRY_BINARY, else next to
/// the test bundle in the build folder. Skipped when neither exists.
enum FerryBinary {
    static let url: URL? = {
        if let path = ProcessInfo.processInfo.environment["FERRY_BINARY"],
            FileManager.default.isExecutableFile(atPath: path)
        {
            return URL(fileURLWithPath: path)
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("ferry")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return nil
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `ferry` to its end, waiting on a thread of its own (see TestSupport).
    static func run(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let result = try await CapturedOutput.run(process, input: stdin.map { Data($0.utf8) })
        return Result(
            status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
            stderr: String(decoding: result.stderr, as: UTF8.self))
    }
}

@Suite(.enabled(if: FerryBinary.url != nil, "needs the built ferry binary"), .serialized)
struct FerryBinaryTests {
    @Test func importSegmentEvaluateAndMembersThroughTheCLI() async throws {
        let temp = try TemporaryWorkspace()
        let ws = ["--workspace", temp.directory.path]
        let file = try temp.file("p.jsonl", SegmentFixtures.profiles.joined(separator: "\n") + "\nnot json\n")

        let imported = try await FerryBinary.run(["profiles", "import", file] + ws)
        #expect(imported.status == 0)
        #expect(imported.stdout == "inserted 5, updated 0, rejected 1\n")
        #expect(imported.stderr.contains("p.jsonl:6: broken JSON"))

        let fromStdin = try await FerryBinary.run(
            ["profiles", "import", "-"] + ws, stdin: #"{"identityMap":{"Email":[{"id":"ann"}]},"vip":false}"# + "\n")
        #expect(fromStdin.stdout == "inserted 0, updated 1, rejected 0\n")
        #expect(try await FerryBinary.run(["profiles", "count"] + ws).stdout == "5\n")
        #expect(try await FerryBinary.run(["profiles", "show", "Email:ann"] + ws).stdout.contains(#""vip":false"#))
        #expect(try await FerryBinary.run(["profiles", "show", "Email:nobody"] + ws).status == 2)

        let bad = try await FerryBinary.run(["segments", "create", "bad", "--pql", "homeAddress.countryCode = "] + ws)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("1:27"))
        #expect(bad.stderr.contains("^"))

        let created = try await FerryBinary.run(
            ["segments", "create", "ca", "--pql", #"homeAddress.countryCode = "CA""#] + ws)
        #expect(created.status == 0)
        #expect(UUID(uuidString: created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)

        let evaluated = try await FerryBinary.run(["segments", "evaluate"] + ws)
        #expect(evaluated.stdout.hasPrefix("ca: realized 2, existing 0, exited 0"))
        let members = try await FerryBinary.run(["segments", "members", "ca"] + ws)
        #expect(members.stdout == "Email:min\trealized\nEmail:sara\trealized\n")
        #expect(
            try await FerryBinary.run(["segments", "list", "--json"] + ws).stdout.contains(#""format" : "pql/text""#))
        #expect(try await FerryBinary.run(["segments", "show", "nope"] + ws).status == 2)
        #expect(try await FerryBinary.run(["segments", "delete", "ca"] + ws).status == 0)
    }

    @Test func maxErrorsExitsNonZeroAfterPrintingCounts() async throws {
        let temp = try TemporaryWorkspace()
        let file = try temp.file("m.jsonl", "x\ny\n" + #"{"identityMap":{"Email":[{"id":"a"}]}}"# + "\nz\n")
        let result = try await FerryBinary.run([
            "profiles", "import", file, "--max-errors", "1", "--workspace", temp.directory.path,
        ])
        #expect(result.status == 2)
        #expect(result.stdout == "inserted 0, updated 0, rejected 2\n")
    }

    /// SIGKILL in the middle of a large import: every committed batch stays
    /// readable, and importing the file again completes the set.
    @Test func aKilledImportLeavesCommittedProfilesIntact() async throws {
        let temp = try TemporaryWorkspace()
        let total = 300_000
        let path = temp.directory.appendingPathComponent("big.jsonl").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var chunk = ""
        for i in 0..<total {
            chunk +=
                #"{"identityMap":{"Email":[{"id":"u\#(i)@example.com","primary":true}]},"person":{"name":{"firstName":"F\#(i)"},"birthYear":\#(1940 + i % 60)},"loyalty":{"points":\#(i % 20000)}}"#
                + "\n"
            if i % 10_000 == 9_999 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        try handle.close()

        let process = Process()
        process.executableURL = FerryBinary.url
        process.arguments = ["profiles", "import", path, "--workspace", temp.directory.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until at least one batch is committed, then kill without warning.
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while seen == 0, Date() < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
            // The highest pid, not a count: while a large import leaves the
            // secondary indexes out, a count reads the whole growing table,
            // and under load the import could end before one came back.
            seen =
                (try? await temp.workspace.dbPool.read { db in
                    try Int.fetchOne(db, sql: "SELECT max(pid) FROM profile") ?? 0
                }) ?? 0
        }
        await stop(process, signal: SIGKILL)
        #expect(process.terminationReason == .uncaughtSignal)

        let reopened = try Workspace(directory: temp.directory, environment: [:])
        let committed = try await reopened.profileCount()
        #expect(committed > 0)
        #expect(committed < total)
        #expect(committed % 10_000 == 0)
        let integrity = try await reopened.dbPool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        #expect(try await reopened.profile(namespace: "Email", identity: "u0@example.com") != nil)

        let again = try await FerryBinary.run(["profiles", "import", path, "--workspace", temp.directory.path])
        #expect(again.stdout == "inserted \(total - committed), updated \(committed), rejected 0\n")
        #expect(try await reopened.profileCount() == total)
    }
}
