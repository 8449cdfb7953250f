import CompressNIO
import Foundation
import NIOCore
import Parquet
import Segmentation
import Workspace

extension ExportRunner {
    /// Parquet row groups are written once this much is buffered: with the
    /// uploader's parts in flight, a run's memory stays flat at any size.
    public static let parquetRowGroupBytes = 16 << 20

    /// The encoder of each file of a run, for the destination's format.
    ///
    /// For Parquet the column types are fixed here from the profile schema.
    /// With `--nested`, arrays and objects keep their structure, which the
    /// schema does not record below an array; those columns' element and
    /// field types come from one pass over the rows to be exported before
    /// the first byte is written (`makePager` gives a fresh reader for it).
    func encoderFactory(
        settings: DestinationSettings, activation: ActivationRecord, sources: [ExportSource],
        makePager: @Sendable () async throws -> MemberPager
    ) async throws -> ExportEncoderFactory {
        let columns = activation.mappings.map(\.column)
        switch settings.fileType {
        case .csv, .tsv:
            let encoder = CSVEncoder(format: settings.format, columns: columns)
            return ExportEncoderFactory(make: { CSVFileEncoder(encoder: encoder) }, isText: true)
        case .json:
            let encoder = JSONLinesEncoder(columns: columns)
            return ExportEncoderFactory(make: { encoder }, isText: true)
        case .parquet:
            let plans = try await parquetColumns(
                settings: settings, activation: activation, sources: sources, makePager: makePager)
            let compression: ParquetCompression =
                switch settings.compression {
                case .none: .none
                case .snappy: .snappy
                case .gzip: .gzip(Self.gzip)
                }
            return ExportEncoderFactory(
                make: {
                    ParquetFileEncoder(
                        columns: plans, compression: compression, rowGroupBytes: Self.parquetRowGroupBytes)
                }, isText: false)
        }
    }

    func parquetColumns(
        settings: DestinationSettings, activation: ActivationRecord, sources: [ExportSource],
        makePager: @Sendable () async throws -> MemberPager
    ) async throws -> [ParquetColumnPlan] {
        let schema = try await workspace.profilePaths()
        let hashed = activation.mappings.map { $0.hashed == true }
        var types = ParquetColumnPlan.fromSchema(
            sources: sources, columns: activation.mappings.map(\.column), hashed: hashed, schema: schema,
            nested: settings.nested)
        let open = types.indices.filter { types[$0] == nil }
        if !open.isEmpty {
            var shapes = [ValueShape](repeating: .unknown, count: types.count)
            let pager = try await makePager()
            while true {
                let rows = try await pager.next(maxRows: 10_000)
                if rows.isEmpty { break }
                for row in 0..<rows.count {
                    for index in open {
                        switch rows[row, index] {
                        case .value(let value): shapes[index] = shapes[index].merged(ValueShape(value))
                        case .bytes: shapes[index] = shapes[index].merged(ValueShape(.string("")))
                        case .text, .time: break
                        }
                    }
                }
            }
            for index in open { types[index] = shapes[index].parquetType }
        }
        return zip(activation.mappings, types).map { ParquetColumnPlan(name: $0.column, type: $1!) }
    }

    /// One Parquet page as RFC 1952 gzip, the GZIP codec.
    @Sendable static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let compressor = CompressionAlgorithm.gzip().compressor
        // zlib cannot fail on memory it was given room for; a page is never larger than it can take.
        try! compressor.startStream()
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input) + 64)
        try! compressor.streamDeflate(from: &input, to: &output, flush: .finish)
        try! compressor.finishStream()
        return Array(output.readableBytesView)
    }
}
