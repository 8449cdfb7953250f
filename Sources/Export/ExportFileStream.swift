import CompressNIO
import Foundation
import NIOCore

/// The bytes of one export file: the header, then up to `maxRows` rows from
/// the pager, gzipped when asked. It is pulled by the uploader, so rows are
/// read from SQLite only as fast as S3 takes them and memory stays flat.
struct ExportFileStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let pager: MemberPager
    let header: [UInt8]
    let maxRows: Int
    let gzip: Bool
    let rowCounter: RowCounter

    func makeAsyncIterator() -> Iterator {
        Iterator(stream: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        let stream: ExportFileStream
        var sentHeader = false
        var rows = 0
        var finished = false
        var compressor: (any NIOCompressor)?

        init(stream: ExportFileStream) {
            self.stream = stream
            if stream.gzip {
                let compressor = CompressionAlgorithm.gzip().compressor
                try? compressor.startStream()
                self.compressor = compressor
            }
        }

        mutating func next() async throws -> ByteBuffer? {
            while !finished {
                var plain: [UInt8] = []
                if !sentHeader {
                    plain = stream.header
                    sentHeader = true
                }
                let want = stream.maxRows - rows
                if want > 0 {
                    let chunk = try await stream.pager.next(maxRows: want)
                    plain += chunk.bytes
                    rows += chunk.rows
                    await stream.rowCounter.add(chunk.rows)
                    if chunk.rows == 0 { finished = true }
                } else {
                    finished = true
                }
                guard let compressor else {
                    if plain.isEmpty { continue }
                    return ByteBuffer(bytes: plain)
                }
                var input = ByteBuffer(bytes: plain)
                var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input) + 1024)
                if input.readableBytes > 0 {
                    do {
                        try compressor.streamDeflate(from: &input, to: &output, flush: .no)
                    } catch let error as CompressNIOError where error == .bufferOverflow && input.readableBytes == 0 {
                        // zlib kept everything in its window and had nothing to emit yet.
                    }
                }
                if finished {
                    while true {
                        do {
                            try compressor.finishDeflate(to: &output)
                            break
                        } catch let error as CompressNIOError where error == .bufferOverflow {
                            output.reserveCapacity(minimumWritableBytes: output.capacity)
                        }
                    }
                    try compressor.finishStream()
                }
                if output.readableBytes > 0 { return output }
            }
            return nil
        }
    }
}

/// Rows written to the file currently being uploaded.
actor RowCounter {
    private(set) var value = 0
    func add(_ n: Int) { value += n }
    func reset() -> Int {
        defer { value = 0 }
        return value
    }
}
