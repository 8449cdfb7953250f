import Foundation
import Testing
import Workspace

/// The hardening rules as the command line shows them: one sentence and exit 2 for bad input.
@Suite(.enabled(if: FerryBinary.url != nil, "needs the built ferry binary"), .serialized)
struct FerryHardeningBinaryTests {
    /// A workspace with one profile, segment `kr` and destination `d` (saved without an S3 check).
    func setUp(folderPath: String = "out", extra: [String] = []) async throws -> (TemporaryWorkspace, [String]) {
        let temp = try TemporaryWorkspace()
        let ws = ["--workspace", temp.directory.path]
        let file = try temp.file(
            "p.jsonl",
            #"{"identityMap":{"Email":[{"id":"a@x.io"}]},"country":"KR","big":12345678901234567890,"huge":1e400}"#
                + "\n")
        #expect(try await FerryBinary.run(["profiles", "import", file] + ws).status == 0)
        #expect(try await FerryBinary.run(["segments", "create", "kr", "--pql", #"country = "KR""#] + ws).status == 0)
        let destination = try await FerryBinary.run(
            [
                "destinations", "create", "d", "--bucket", "bucket", "--folder-path", folderPath, "--access-key-id",
                "AKIAEXAMPLE", "--secret-access-key-stdin", "--skip-validation",
            ] + extra + ws, stdin: "secret\n")
        #expect(destination.status == 0, "\(destination.stderr)")
        return (temp, ws)
    }

    func activation(_ name: String, _ ws: [String], _ more: [String] = []) async throws -> FerryBinary.Result {
        try await FerryBinary.run(
            [
                "activations", "create", name, "--destination", "d", "--segment", "kr", "--map",
                "identityMap.Email=email",
            ]
                + more + ws)
    }

    @Test func readCommandsDoNotCreateAWorkspace() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-none-\(UUID().uuidString)")
        let ws = ["--workspace", missing.path]
        for command in [
            ["profiles", "count"], ["profiles", "show", "Email:a"], ["segments", "list"], ["segments", "show", "x"],
            ["segments", "members", "x"], ["destinations", "list"], ["activations", "list"],
        ] {
            let result = try await FerryBinary.run(command + ws)
            #expect(result.status == 2, "\(command)")
            #expect(
                result.stderr
                    == "ferry: No workspace at \(missing.path); check --workspace or FERRY_WORKSPACE (importing profiles or creating a segment or destination starts one).\n",
                "\(command)")
            #expect(!FileManager.default.fileExists(atPath: missing.path), "\(command)")
        }
        // Creating commands still start one.
        let created = try await FerryBinary.run(["segments", "create", "s", "--pql", "a = 1"] + ws)
        #expect(created.status == 0)
        #expect(try await FerryBinary.run(["segments", "list"] + ws).status == 0)
        try? FileManager.default.removeItem(at: missing)
    }

    @Test func profilesShowPrintsNumbersAsWritten() async throws {
        let (temp, ws) = try await setUp()
        let shown = try await FerryBinary.run(["profiles", "show", "Email:a@x.io"] + ws)
        #expect(shown.stdout.contains(#""big":12345678901234567890"#))
        #expect(shown.stdout.contains(#""huge":1e400"#))
        withExtendedLifetime(temp) {}
    }

    @Test func aSegmentInUseIsNotDeleted() async throws {
        let (temp, ws) = try await setUp()
        #expect(try await activation("daily", ws).status == 0)
        let refused = try await FerryBinary.run(["segments", "delete", "kr"] + ws)
        #expect(refused.status == 2)
        #expect(refused.stderr == "ferry: Segment 'kr' is exported by activation(s) 'daily'; delete them first.\n")
        #expect(try await FerryBinary.run(["segments", "list"] + ws).stdout.contains("kr"))
        withExtendedLifetime(temp) {}
    }

    @Test func aSecondActivationOverTheSameKeysIsRefused() async throws {
        let (temp, ws) = try await setUp()
        #expect(try await activation("daily", ws).status == 0)
        let ads = try await activation("ads", ws, ["--hash", "email"])
        #expect(ads.status == 2)
        #expect(ads.stderr.hasPrefix("ferry: Activation 'ads' would overwrite the files of activation 'daily'"))
        let named = try await activation(
            "ads", ws, ["--hash", "email", "--file-name", "%DESTINATION_NAME%_%SEGMENT_ID%_ads_%DATETIME%"])
        #expect(named.status == 0, "\(named.stderr)")
        withExtendedLifetime(temp) {}
    }

    @Test func namesWithEscapesOrBidiControlsAreRefused() async throws {
        let (temp, ws) = try await setUp()
        let escape = try await activation("red\u{1B}[31m", ws)
        #expect(escape.status == 2)
        #expect(escape.stderr.contains("must not contain an escape character (U+001B)"))
        #expect(!escape.stderr.contains("\u{1B}"))
        let bidi = try await FerryBinary.run(["segments", "create", "gold\u{202E}x", "--pql", "a = 1"] + ws)
        #expect(bidi.status == 2)
        #expect(bidi.stderr.contains("bidirectional control (U+202E)"))
        withExtendedLifetime(temp) {}
    }

    @Test func anActivationWhoseKeysCanExceedS3sLimitIsRefused() async throws {
        // 960 + "/kr/" + the 54-byte default name + "_" and 10 split digits + ".csv" is 1,032 bytes.
        let (temp, ws) = try await setUp(folderPath: String(repeating: "f", count: 960) + "/%SEGMENT_NAME%")
        let refused = try await activation("long", ws)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("over S3's limit of 1024"))
        #expect(try await FerryBinary.run(["activations", "list"] + ws).stdout.isEmpty)
        // 969 bytes fit.
        let (shorterTemp, shorter) = try await setUp(folderPath: String(repeating: "f", count: 900))
        #expect(try await activation("fits", shorter).status == 0)
        withExtendedLifetime(temp) {}
        withExtendedLifetime(shorterTemp) {}
    }

    @Test func aColumnNameTheFormatCannotWriteIsRefused() async throws {
        let (temp, ws) = try await setUp(extra: ["--quote", "none"])
        let refused = try await activation("a", ws, ["--map", "person.name=last,first"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("column name 'last,first' holds the delimiter"))
        withExtendedLifetime(temp) {}
    }

    @Test func aMissingKeyFileIsNotReplaced() async throws {
        let (temp, ws) = try await setUp()
        let key = temp.directory.appendingPathComponent(Workspace.keyFileName)
        try FileManager.default.removeItem(at: key)
        let result = try await FerryBinary.run(["destinations", "list"] + ws)
        #expect(result.status == 1)
        #expect(result.stderr.contains("The workspace key \(key.path) is missing"))
        #expect(result.stderr.contains("FERRY_MASTER_KEY"))
        #expect(!FileManager.default.fileExists(atPath: key.path))
    }
}
