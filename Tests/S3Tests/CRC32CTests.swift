import Foundation
import Testing

@testable import S3

/// CRC-32C against the check value and the RFC 3720 (iSCSI) appendix B.4 vectors.
@Suite struct CRC32CTests {
    func crc(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32C.checksum($0) } }

    @Test func knownVectors() {
        #expect(crc(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(crc([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(crc((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(crc((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(crc([]) == 0)
    }

    @Test func headerFormIsBase64OfTheBigEndianValue() {
        #expect(CRC32C.base64(0xE306_9283) == "4waSgw==")
    }

    /// Parts are hashed chunk by chunk; any split must give the one-shot value.
    @Test func chunkedUpdatesMatchOneShot() {
        var state: UInt64 = 42
        let bytes = (0..<100_003).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let whole = crc(bytes)
        for split in [1, 7, 8, 9, 4096, 65_537] {
            var running = CRC32C()
            var start = 0
            while start < bytes.count {
                let end = min(start + split, bytes.count)
                bytes[start..<end].withUnsafeBytes { running.update(bufferPointer: $0) }
                start = end
            }
            #expect(running.value == whole, "split \(split)")
        }
    }
}
