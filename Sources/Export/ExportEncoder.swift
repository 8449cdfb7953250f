import Foundation
import Workspace

/// Turns a file's rows into its bytes. One instance writes one file: the
/// export stream asks for the opening bytes, appends rows, and finishes;
/// whatever it returns goes to the uploader (or to an encrypting wrapper)
/// as it comes, so no format holds more than its own buffer.
protocol ExportEncoder: Sendable {
    /// Bytes before the first row: a CSV header, nothing for JSON Lines.
    mutating func begin(into out: inout [UInt8])
    /// Appends row `row` of `rows`; a row that cannot be written throws and leaves `out` as it was.
    mutating func append(_ rows: ExportRows, row: Int, into out: inout [UInt8]) throws(RowEncodingError)
    /// Bytes after the last row: a Parquet file's last row group and footer.
    mutating func finish(into out: inout [UInt8])
}

/// A value the file format cannot write; the run fails naming the profile.
struct RowEncodingError: Error, Sendable {
    /// Builds the run's error once the profile's identity is known.
    let message: @Sendable (_ profile: String) -> String

    func exportError(identity: String?, pid: Int64) -> ExportError {
        ExportError(.badOption, message(identity.map { "profile \($0)" } ?? "profile \(pid)"))
    }
}

/// Makes each file's encoder for one run: the format and its column types are fixed once.
struct ExportEncoderFactory: Sendable {
    let make: @Sendable () -> any ExportEncoder
    /// True when the bytes are text lines, so a dry run can show them as they are.
    let isText: Bool
}

/// CSV and TSV through `CSVEncoder`.
struct CSVFileEncoder: ExportEncoder {
    let encoder: CSVEncoder

    func begin(into out: inout [UInt8]) {
        encoder.appendHeader(encoder.columns, to: &out)
    }

    func append(_ rows: ExportRows, row: Int, into out: inout [UInt8]) throws(RowEncodingError) {
        do {
            try encoder.appendRow(rows, row, to: &out)
        } catch {
            throw RowEncodingError { profile in
                "the value in \(error.columnDescription) of \(profile) holds \(error.reason), which --quote none cannot write; use --quote needed or --escape backslash"
            }
        }
    }

    func finish(into out: inout [UInt8]) {}
}
