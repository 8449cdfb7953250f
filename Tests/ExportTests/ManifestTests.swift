import Foundation
import Testing

@testable import Export

struct ManifestTests {
    static let entry = Manifest.Entry(
        sinkPath: Manifest.Entry.sinkPath(folder: "destination/output001"),
        name: "amazon-s3_segment-name_20230818_010718.csv.gz",
        size: 145_854, rows: 1200, columns: ["person_name", "email"],
        segmentId: "seg-1", sha256: String(repeating: "ab", count: 32), mode: "full")

    @Test func encodesSortedCompactJSON() throws {
        let manifest = Manifest(
            flowRunId: "0ac8f3c0-29bd-40aa-82c1-f1b7e0657b19",
            scheduledTime: Date(timeIntervalSince1970: 1_692_320_400.75),
            exportResults: [Self.entry])
        let text = String(decoding: manifest.encoded(), as: UTF8.self)
        #expect(
            text == """
                {"exportResults":[{"columns":["person_name","email"],"mode":"full","name":"amazon-s3_segment-name_20230818_010718.csv.gz",\
                "rows":1200,"segmentId":"seg-1","sha256":"\(String(repeating: "ab", count: 32))","sinkPath":"/destination/output001",\
                "size":145854}],"flowRunId":"0ac8f3c0-29bd-40aa-82c1-f1b7e0657b19","scheduledTime":"2023-08-18T01:00:00Z"}
                """)
        #expect(manifest.encoded() == manifest.encoded())
        #expect(try JSONDecoder().decode(Manifest.self, from: manifest.encoded()) == manifest)
    }

    @Test func specFieldsDecode() throws {
        let spec = #"""
            {"flowRunId":"0ac8f3c0-29bd-40aa-82c1-f1b7e0657b19","scheduledTime":"2023-08-18T01:00:00Z",
             "exportResults":[{"sinkPath":"/destination/output001","name":"a.csv","size":145854,"rows":1,
             "columns":["c"],"segmentId":"s","sha256":"00","mode":"incremental"}]}
            """#
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(spec.utf8))
        #expect(manifest.scheduledTime == "2023-08-18T01:00:00Z")
        #expect(manifest.exportResults.first?.sinkPath == "/destination/output001")
        #expect(manifest.exportResults.first?.size == 145_854)
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_692_320_400, "2023-08-18T01:00:00Z"),
        (1_692_320_400.999, "2023-08-18T01:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
    ])
    func manifestTime(_ seconds: Double, _ expected: String) {
        #expect(Manifest.manifestTime(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func names() {
        #expect(Manifest.objectName(destinationId: "d1", runId: "r9") == "manifest-d1-r9.json")
        #expect(Manifest.Entry.sinkPath(folder: "") == "/")
        #expect(Manifest.Entry.sinkPath(folder: "acme/Luxury Audience") == "/acme/Luxury Audience")
    }
}
