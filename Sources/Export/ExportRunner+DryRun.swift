import Foundation
import Parquet
import Segmentation
import Workspace

/// What a run would write, found without writing: no object, no upload,
/// no run in the ledger. It needs no S3 permission at all.
public struct DryRunReport: Sendable {
    public struct File: Sendable, Equatable {
        public var key: String
        public var rows: Int
        /// The file's size as it would be uploaded, after compression and before any encryption.
        public var bytes: Int64
    }

    public var segmentId: String
    public var segmentName: String
    public var bucket: String
    public var received: Int
    public var exported: Int
    public var excludedMandatory: Int
    public var excludedDuplicate: Int
    public var files: [File]
    /// Where the manifest would go, with `<run id>` for the id a real run gets.
    public var manifestKey: String?
    /// The first rows as the file encodes them: text lines (with a CSV header)
    /// for csv, tsv and json; for Parquet, the schema then each row's typed
    /// values as JSON.
    public var sample: [String]
}

extension ExportRunner {
    /// The rows shown in a dry run's sample.
    public static let dryRunSampleRows = 10

    /// Evaluates and selects members as `run` would for `scheduledTime`, and
    /// encodes every file to count its rows and bytes, then discards them.
    public func dryRun(activation: ActivationRecord, segmentId: String, scheduledTime: Date) async throws
        -> DryRunReport
    {
        let destination = try await workspace.destination(named: activation.destinationId)
        let segment = try await workspace.segment(named: segmentId)
        let settings = try DestinationSettings(destination)
        let suffix = try DestinationSecurity(destination).fileSuffix
        let sources = try activation.mappings.map { mapping throws(ExportError) in
            try ExportSource(parsing: mapping.source)
        }
        let mandatory = try activation.mandatory.map { text throws(ExportError) in try ExportSource(parsing: text) }
        let dedup = try activation.dedupKeys.map { text throws(ExportError) in try ExportSource(parsing: text) }
        let timeZone = TimeZone(identifier: activation.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let context = MacroContext(
            segmentName: segment.name, segmentId: segment.id, destinationName: destination.name,
            destinationId: destination.id, scheduledTime: scheduledTime, timeZone: timeZone)
        let folder = try PathTemplate(folder: destination.folderPath).expand(context)
        let baseName = try PathTemplate(fileName: activation.fileNameTemplate).expand(context)
        func key(_ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

        // As a scheduled run does: evaluate unless an evaluation is newer than the segment's last run.
        let evaluation = try await workspace.latestEvaluation(segmentId: segment.id)
        let previous = try await workspace.lastRun(segmentId: segment.id)
        if activation.trigger == .schedule || evaluation == nil,
            evaluation?.finishedAt.map({ $0 <= (previous?.startedAt ?? .distantPast) }) ?? true
        {
            _ = try await workspace.evaluate(segmentIds: [segment.id])
        }
        var selection = MemberSelection.realized
        if activation.mode == .incremental,
            let since = try await workspace.lastExportedEvaluationId(
                activationId: activation.id, segmentId: segment.id, excludingRun: "")
        {
            selection = .changedSince(evaluationId: since, includingExited: sources.contains(.membershipStatus))
        }
        let makePager: @Sendable () async throws -> MemberPager = { [workspace, selection] in
            try await MemberPager(
                workspace: workspace, sid: segment.sid!, sources: sources,
                hashed: activation.mappings.map { $0.hashed == true }, mandatory: mandatory, dedup: dedup,
                selection: selection)
        }
        let encoders = try await encoderFactory(
            settings: settings, activation: activation, sources: sources, makePager: makePager)

        let sample = try await sampleRows(
            settings: settings, activation: activation, sources: sources, encoders: encoders, pager: makePager())

        let pager = try await makePager()
        var files: [DryRunReport.File] = []
        var index = 1
        repeat {
            let name = PathTemplate.splitName(base: baseName, index: index) + "." + settings.fileExtension + suffix
            let counter = RowCounter()
            let stream = ExportFileStream(
                pager: pager, encoders: encoders, maxRows: activation.maxRowsPerFile, gzip: settings.gzipsFile,
                rowCounter: counter)
            var bytes: Int64 = 0
            for try await buffer in stream { bytes += Int64(buffer.readableBytes) }
            files.append(DryRunReport.File(key: key(name), rows: await counter.value, bytes: bytes))
            index += 1
        } while try await pager.hasMore()

        let counts = await pager.currentCounts()
        return DryRunReport(
            segmentId: segment.id, segmentName: segment.name, bucket: destination.bucket, received: counts.received,
            exported: counts.exported, excludedMandatory: counts.excludedMandatory,
            excludedDuplicate: counts.excludedDuplicate, files: files,
            manifestKey: destination.manifest
                ? key(Manifest.objectName(destinationId: destination.id, runId: "<run id>")) : nil,
            sample: sample)
    }

    /// The first rows, encoded as the files encode them.
    private func sampleRows(
        settings: DestinationSettings, activation: ActivationRecord, sources: [ExportSource],
        encoders: ExportEncoderFactory, pager: MemberPager
    ) async throws -> [String] {
        let rows = try await pager.next(maxRows: Self.dryRunSampleRows)
        var encoder = encoders.make()
        if encoders.isText {
            var out: [UInt8] = []
            encoder.begin(into: &out)
            for row in 0..<rows.count {
                do {
                    try encoder.append(rows, row: row, into: &out)
                } catch {
                    let pid = rows.pids[row]
                    throw error.exportError(identity: await workspace.qualifiedIdentity(ofPid: pid), pid: pid)
                }
            }
            return String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast().map(String.init)
        }
        guard let parquet = encoder as? ParquetFileEncoder else { return [] }
        var lines = [
            "parquet schema: "
                + parquet.columns.map { "\($0.name): \($0.type.name)" }.joined(separator: ", ")
        ]
        for row in 0..<rows.count {
            var members: [String: JSONValue] = [:]
            var order: [String] = []
            for (position, column) in parquet.columns.enumerated() {
                let value: ParquetValue
                do {
                    value = try ParquetCellConversion.value(rows[row, position], text: rows.text, as: column.type)
                } catch {
                    let pid = rows.pids[row]
                    throw RowEncodingError { profile in
                        "the value in column '\(column.name)' of \(profile) is \(error.value), which its Parquet type \(error.expected) cannot hold without loss"
                    }
                    .exportError(identity: await workspace.qualifiedIdentity(ofPid: pid), pid: pid)
                }
                members[column.name] = Self.json(value, type: column.type)
                order.append(column.name)
            }
            // Columns in file order, each value as the Parquet reader gives it back.
            lines.append(
                "{"
                    + order.map { JSONValue.string($0).serialized() + ":" + members[$0]!.serialized() }.joined(
                        separator: ",")
                    + "}")
        }
        return lines
    }

    /// A Parquet value as JSON, for showing: timestamps as ISO-8601 text.
    static func json(_ value: ParquetValue, type: ParquetType) -> JSONValue {
        switch (value, type) {
        case (.null, _): return .null
        case (.string(let s), _): return .string(s)
        case (.int64(let n), _): return .int(n)
        case (.double(let d), _): return .double(d)
        case (.boolean(let b), _): return .bool(b)
        case (.timestamp(let micros), _):
            return .string(ISO8601.string(Date(timeIntervalSince1970: Double(micros) / 1_000_000)))
        case (.list(let items), .list(let element)): return .array(items.map { json($0, type: element) })
        case (.group(let values), .group(let fields)):
            var members: [String: JSONValue] = [:]
            for (field, member) in zip(fields, values) { members[field.name] = json(member, type: field.type) }
            return .object(members)
        default: return .null
        }
    }
}
