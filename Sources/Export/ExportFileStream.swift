import CompressNIO
import Foundation
import NIOCore

/// The bytes of one export file: up to `maxRows` rows from the pager in the
/// file's format, gzipped when asked. It is pulled by the uploader, so rows
/// are read from SQLite only as fast as S3 takes them and memory stays flat.
struct ExportFileStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let pager: MemberPager
    let encoders: ExportEncoderFactory
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
        var encoder: any ExportEncoder

        init(stream: ExportFileStream) {
            self.stream = stream
            self.encoder = stream.encoders.make()
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
                    encoder.begin(into: &plain)
                    sentHeader = true
                }
                // About 256 KiB of encoded rows per element keeps parts filling
                // without holding a page's worth of copies.
                while !finished && plain.count < 256 * 1024 {
                    let want = stream.maxRows - rows
                    let chunk = want > 0 ? try await stream.pager.next(maxRows: want) : ExportRows(columns: 0)
                    if chunk.isEmpty {
                        finished = true
                        encoder.finish(into: &plain)
                        break
                    }
                    for row in 0..<chunk.count {
                        do {
                            try encoder.append(chunk, row: row, into: &plain)
                        } catch {
                            let pid = chunk.pids[row]
                            throw error.exportError(
                                identity: await stream.pager.workspace.qualifiedIdentity(ofPid: pid), pid: pid)
                        }
                    }
                    rows += chunk.count
                    await stream.rowCounter.add(chunk.count)
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
