import Foundation
import TestSupport
import Testing

@testable import Parquet

@Suite struct SnappyTests {
    static func pseudoRandom(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static let inputs: [(String, [UInt8])] = [
        ("empty", []),
        ("one byte", [42]),
        ("short text", Array("hello, hello, hello world".utf8)),
        ("zeros over several fragments", [UInt8](repeating: 0, count: 200_000)),
        ("random", pseudoRandom(70_000, seed: 7)),
        (
            "csv-like text",
            Array((0..<5000).map { "row\($0),alice\($0 % 17)@example.com,\($0 * 31 % 1000)\n" }.joined().utf8)
        ),
        ("long literal", pseudoRandom(100, seed: 3) + pseudoRandom(5000, seed: 4)),
        ("run of 65 then 67", [UInt8](repeating: 1, count: 66) + [2] + [UInt8](repeating: 3, count: 68)),
    ]

    @Test(arguments: inputs.indices)
    func roundTrips(index: Int) throws {
        let (_, input) = Self.inputs[index]
        let compressed = Snappy.compress(input)
        #expect(try Snappy.decompress(compressed) == input)
    }

    @Test func repetitiveInputShrinks() {
        let input = [UInt8](repeating: 7, count: 100_000)
        #expect(Snappy.compress(input).count < 5_000)
    }

    @Test func decodesAHandWrittenBlock() throws {
        // Length 9; literal "abc"; copy length 6 offset 3 (1-byte-offset form).
        let block: [UInt8] = [9, 2 << 2, 0x61, 0x62, 0x63, 1 | ((6 - 4) << 2), 3]
        #expect(try Snappy.decompress(block) == Array("abcabcabc".utf8))
    }

    @Test(arguments: [
        [UInt8]([5, 0x08, 0x61]),  // literal says 3 bytes, one is there
        [3, 0x09, 0x05],  // copy before the start
        [4, 0x00, 0x61],  // header says 4, block holds 1
    ])
    func refusesBrokenBlocks(block: [UInt8]) {
        #expect(throws: Snappy.FormatError.self) { try Snappy.decompress(block) }
    }

    /// The reference decoder: pyarrow's snappy codec (Google's library) reads what Ferry writes.
    @Test func pyarrowDecompressesIt() async throws {
        let input = Self.inputs[5].1 + Self.pseudoRandom(20_000, seed: 9) + [UInt8](repeating: 0, count: 90_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snappy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let compressedURL = directory.appendingPathComponent("block.snappy")
        let plainURL = directory.appendingPathComponent("block.out")
        try Data(Snappy.compress(input)).write(to: compressedURL)
        try await runPython(
            """
            import pyarrow as pa, sys
            data = open(sys.argv[1], 'rb').read()
            out = pa.Codec('snappy').decompress(data, decompressed_size=int(sys.argv[3]))
            open(sys.argv[2], 'wb').write(out.to_pybytes())
            """, compressedURL.path, plainURL.path, String(input.count))
        #expect(Array(try Data(contentsOf: plainURL)) == input)
    }
}

/// Runs `script` with the test Python (`FERRY_PYTHON`, else python3); its stdout, or an error with its stderr.
@discardableResult
func runPython(_ script: String, _ arguments: String...) async throws -> String {
    let result = try await CapturedOutput.run(
        ProcessInfo.processInfo.environment["FERRY_PYTHON"] ?? "python3", ["-c", script] + arguments)
    guard result.status == 0 else { throw PythonError(message: String(decoding: result.stderr, as: UTF8.self)) }
    return String(decoding: result.stdout, as: UTF8.self)
}

struct PythonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
