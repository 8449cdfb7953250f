import FerryApp
import Foundation
import Testing
import Workspace

@testable import FerryHTTP

/// The run list's own encoder writes exactly what `JSONEncoder` writes, so the
/// documented schema and every client see the same bytes.
@Suite struct RunJSONTests {
    func run(_ id: String, error: String?, finished: Date?, files: [RunFile]) -> RunView {
        var record = RunRecord(
            id: id, activationId: "act/1", segmentId: "seg", destinationId: "dest",
            scheduledTime: Date(timeIntervalSince1970: 1_764_547_200.75), startedAt: Date(timeIntervalSince1970: -1.5),
            mode: .incremental)
        record.finishedAt = finished
        record.error = error
        record.files = files
        record.status = error == nil ? .success : .failed
        record.exported = Int.max
        record.excludedDuplicate = -3
        record.attempts = 2
        return RunView(record, manifest: error == nil)
    }

    @Test func runsEncodeByteForByteAsJSONEncoderDoes() throws {
        let awkward = "quote \" backslash \\ slash / tab \t nl \n cr \r bell \u{07} del \u{7F} é 日本 🚢 \u{2028}"
        let runs = [
            run(
                "a", error: nil, finished: Date(timeIntervalSince1970: 1_764_547_259.999),
                files: [
                    RunFile(key: "folder/é/x_1.csv", rows: 3, bytes: 5_000_000_000, sha256: "ab"),
                    RunFile(key: awkward, rows: 0, bytes: 0, sha256: ""),
                ]),
            run("b", error: awkward, finished: nil, files: []),
            run("c\u{01}\u{1F}", error: "", finished: Date(timeIntervalSince1970: 4_102_444_800), files: []),
        ]
        for nextCursor in [nil, "bzox"] {
            let page = Page(items: runs, nextCursor: nextCursor)
            let expected = try JSONResponse.encoder.encode(PageBody(page))
            let written = RunJSON.bytes(page)
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
        for one in runs {
            let expected = try JSONResponse.encoder.encode(one)
            let written = RunJSON.bytes(one)
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }
}
