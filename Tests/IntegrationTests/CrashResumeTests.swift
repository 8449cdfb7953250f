import Foundation
import GRDB
import S3
import Testing

@testable import Workspace

/// A `ferry export` killed with SIGKILL mid-upload, then run again for the
/// same scheduled time, ends with exactly the objects an uninterrupted run
/// writes and no multipart upload left open.
@Suite struct CrashResumeTests {
    let env = TestEnvironment.shared

    @Test func killedExportResumesToTheSameObjects() async throws {
        let ferry = WorkspaceCLI(environment: env.awsEnvironment())
        let dir = ferry.dir
        let prefix = TestEnvironment.prefix("crash")
        // About 12 MiB of CSV: three parts of 5 MiB.
        var lines = ""
        for i in 0..<120_000 {
            lines +=
                #"{"identityMap":{"Email":[{"id":"user\#(i)@example.com","primary":true}]},"person":{"name":{"lastName":"Lastname\#(i)","firstName":"Firstname\#(i % 977)"}},"loyalty":{"points":\#(i * 7 % 10007)}}"#
                + "\n"
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try lines.write(toFile: dir + "/p.jsonl", atomically: true, encoding: .utf8)
        #expect(try await ferry(["profiles", "import", dir + "/p.jsonl"]).exitCode == 0)
        #expect(try await ferry(["segments", "create", "all", "--pql", "loyalty.points >= 0"]).exitCode == 0)
        #expect(
            try await ferry([
                "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
                "--manifest",
            ]).exitCode == 0)
        #expect(
            try await ferry([
                "activations", "create", "a", "--destination", "d", "--segment", "all", "--map",
                "identityMap.Email=email",
                "--map", "person.name.lastName", "--map", "person.name.firstName", "--map", "loyalty.points",
                "--frequency", "once", "--start", "2026-11-26T06:00:00Z",
            ]).exitCode == 0)
        #expect(try await ferry(["segments", "evaluate"]).exitCode == 0)

        let at = "2026-11-26T06:00:00Z"
        let admin = env.client(user: "admin")
        var killedRuns = 0
        var trace: [String] = []
        let workspace = try Workspace(directory: URL(fileURLWithPath: dir), environment: [:])
        for delay in [0.0, 0.1, 0.25, 0.5, 0.9] {
            let log = ferry.dir + "/child-\(delay).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let process = try ferry.spawn(
                ["run", "--due", "--at", at, "--part-size", "5"], stdout: appendingLog(log),
                stderr: appendingLog(log))
            // Kill only once the upload is under way (its id is recorded), then a
            // little later each time. The polling is synchronous, on a thread of
            // its own: an awaiting test can wait seconds for a pool thread while
            // other suites run, and miss the whole upload.
            @Sendable func openUploads() throws -> Int {
                try workspace.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runUpload") ?? 0 }
            }
            let (killed, seen) = try await offPool {
                for _ in 0..<6000 where alive(process.processIdentifier) {
                    if try openUploads() > 0 { break }
                    usleep(5_000)
                }
                usleep(useconds_t(delay * 1_000_000))
                let seen = "running=\(alive(process.processIdentifier)) uploads=\(try openUploads())"
                guard alive(process.processIdentifier) else { return (false, seen) }
                kill(process.processIdentifier, SIGKILL)
                return (true, seen)
            }
            trace.append(
                "delay \(delay): \(seen) log=" + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(300)
            )
            if killed { killedRuns += 1 }
            _ = await exited(process, within: 60)
        }
        let finished = try await ferry(["run", "--due", "--at", at, "--part-size", "5"])
        #expect(finished.exitCode == 0, "\(finished.stderr)")

        let objects = try await admin.listObjects(bucket: env.bucket, prefix: prefix)
        let data = objects.filter { $0.key.hasSuffix(".csv") }
        #expect(data.count == 1)
        #expect(objects.filter { $0.key.contains("/manifest-") }.count == 1)
        #expect(objects.count == 2)
        let csv = try await admin.getObject(bucket: env.bucket, key: data[0].key)
        let text = String(decoding: csv, as: UTF8.self)
        let rows = text.split(separator: "\n")
        #expect(rows.count == 120_001)
        #expect(Set(rows.dropFirst()).count == 120_000)
        #expect(rows[1] == "user0@example.com,Lastname0,Firstname0,0")
        #expect(try await admin.listMultipartUploads(bucket: env.bucket, prefix: prefix).isEmpty)
        #expect(killedRuns >= 3, "\(trace)")
        let runs = try await ferry(["runs", "list", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as! [[String: Any]]
        #expect(parsed.count == 1)
        #expect(parsed.first?["status"] as? String == "success")
    }
}
