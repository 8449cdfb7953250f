import Foundation
import GRDB
import Logging
import NIOCore
import S3
import Segmentation
import Workspace

/// Runs "export file now" for one segment of an activation: reads the
/// members, streams them into files, uploads each one, writes the manifest
/// last and records everything in the run ledger.
public struct ExportRunner: Sendable {
    public let workspace: Workspace
    public var uploadOptions: UploadOptions
    public var retry: RetryPolicy
    public var logger: Logger

    public init(
        workspace: Workspace, uploadOptions: UploadOptions = .default, retry: RetryPolicy = .standard,
        logger: Logger = Logger(label: "ferry.export")
    ) {
        self.workspace = workspace
        self.uploadOptions = uploadOptions
        self.retry = retry
        self.logger = logger
    }

    /// Exports one segment for one scheduled time. A second call for the same
    /// scheduled time reuses the run and writes the same keys.
    public func run(
        activation: ActivationRecord, segmentId: String, scheduledTime: Date, skippedTimes: Int = 0, now: Date = Date()
    ) async throws -> RunRecord {
        let destination = try await workspace.destination(named: activation.destinationId)
        let segment = try await workspace.segment(named: segmentId)
        var run = try await workspace.beginRun(
            activationId: activation.id, segmentId: segment.id, destinationId: destination.id,
            scheduledTime: scheduledTime, mode: activation.mode, now: now)
        let previousFiles = run.files
        run.skippedTimes = skippedTimes
        logger.info("run started", metadata: ["run": "\(run.id)", "segment": "\(segment.name)"])
        do {
            try await export(
                activation: activation, destination: destination, segment: segment, run: &run,
                previousFiles: previousFiles)
            run.status = .success
            run.finishedAt = Date()
            try await workspace.saveRun(run)
            logger.info("run finished", metadata: ["run": "\(run.id)", "rows": "\(run.exported)"])
            return run
        } catch {
            run.status = .failed
            run.finishedAt = Date()
            run.error = Self.describe(error)
            try? await workspace.saveRun(run)
            logger.error("run failed", metadata: ["run": "\(run.id)", "error": "\(run.error ?? "")"])
            throw error
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? MultipartUploadError { return describe(error.underlying) }
        return String(describing: error)
    }

    private func export(
        activation: ActivationRecord, destination: DestinationRecord, segment: SegmentRecord, run: inout RunRecord,
        previousFiles: [RunFile]
    ) async throws {
        let settings = try DestinationSettings(destination)
        let sources = try activation.mappings.map { mapping throws(ExportError) in
            try ExportSource(parsing: mapping.source)
        }
        let mandatory = try activation.mandatory.map { text throws(ExportError) in try ExportSource(parsing: text) }
        let dedup = try activation.dedupKeys.map { text throws(ExportError) in try ExportSource(parsing: text) }
        let timeZone = TimeZone(identifier: activation.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let context = MacroContext(
            segmentName: segment.name, segmentId: segment.id, destinationName: destination.name,
            destinationId: destination.id, scheduledTime: run.scheduledTime, timeZone: timeZone)
        let folder = try PathTemplate(folder: destination.folderPath).expand(context)
        let baseName = try PathTemplate(fileName: activation.fileNameTemplate).expand(context)
        func key(_ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

        // The members come from the latest evaluation; a segment never
        // evaluated is evaluated first.
        var evaluation = try await workspace.latestEvaluation(segmentId: segment.id)
        if evaluation == nil {
            _ = try await workspace.evaluate(segmentIds: [segment.id])
            evaluation = try await workspace.latestEvaluation(segmentId: segment.id)
        }
        run.evaluationId = evaluation?.id
        let (filter, arguments) = try await memberFilter(
            activation: activation, segment: segment, run: run, sources: sources)

        let encoder = CSVEncoder(format: settings.format)
        var header: [UInt8] = []
        encoder.appendHeader(activation.mappings.map(\.column), to: &header)
        let pager = try await MemberPager(
            dbPool: workspace.dbPool, sid: segment.sid!, sources: sources,
            hashed: activation.mappings.map { $0.hashed == true }, mandatory: mandatory, dedup: dedup,
            encoder: encoder, memberFilter: filter, memberArguments: arguments)
        let client = try workspace.s3Client(for: destination, retry: retry)
        var options = uploadOptions
        options.contentType = settings.contentType

        var files: [RunFile] = []
        var index = 1
        repeat {
            let name = PathTemplate.splitName(base: baseName, index: index) + "." + settings.fileExtension
            let objectKey = key(name)
            let counter = RowCounter()
            let stream = ExportFileStream(
                pager: pager, header: header, maxRows: activation.maxRowsPerFile, gzip: settings.compression == .gzip,
                rowCounter: counter)
            let resume = try await workspace.recordedUpload(runId: run.id, key: objectKey)
            let runId = run.id
            let result = try await client.upload(
                stream, bucket: destination.bucket, key: objectKey, options: options, resumeUploadId: resume,
                onUploadCreated: { uploadId in
                    try await workspace.recordUpload(runId: runId, key: objectKey, uploadId: uploadId)
                })
            try await workspace.clearUpload(runId: run.id, key: objectKey)
            files.append(
                RunFile(key: objectKey, rows: await counter.value, bytes: result.size, sha256: result.sha256 ?? ""))
            index += 1
        } while try await pager.hasMore()

        // A retry that now needs fewer split files removes the extra ones an
        // earlier attempt wrote, so the folder holds exactly this run's files.
        let written = Set(files.map(\.key))
        for stale in previousFiles where !written.contains(stale.key) {
            try? await client.deleteObject(bucket: destination.bucket, key: stale.key)
        }

        let counts = await pager.currentCounts()
        run.profilesReceived = counts.received
        run.exported = counts.exported
        run.excludedMandatory = counts.excludedMandatory
        run.excludedDuplicate = counts.excludedDuplicate
        run.files = files

        if destination.manifest {
            let manifest = Manifest(
                flowRunId: run.id, scheduledTime: run.scheduledTime,
                exportResults: files.map { file in
                    Manifest.Entry(
                        sinkPath: Manifest.Entry.sinkPath(folder: folder),
                        name: String(file.key.split(separator: "/").last ?? Substring(file.key)), size: file.bytes,
                        rows: file.rows, columns: activation.mappings.map(\.column), segmentId: segment.id,
                        sha256: file.sha256, mode: run.mode)
                })
            let manifestKey = key(Manifest.objectName(destinationId: destination.id, runId: run.id))
            try await client.putObject(
                bucket: destination.bucket, key: manifestKey, body: ByteBuffer(bytes: manifest.encoded()),
                contentType: "application/json")
        }
    }

    /// Full runs send the realized members; incremental runs send what
    /// changed since the last successful run's evaluation.
    private func memberFilter(
        activation: ActivationRecord, segment: SegmentRecord, run: RunRecord, sources: [ExportSource]
    ) async throws -> (String, StatementArguments) {
        guard activation.mode == "incremental" else { return ("m.status = 'realized'", []) }
        let previous = try await workspace.dbPool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT evaluationId FROM run
                    WHERE activationId = ? AND segmentId = ? AND status = 'success' AND id != ? AND evaluationId IS NOT NULL
                    ORDER BY scheduledTime DESC LIMIT 1
                    """, arguments: [activation.id, segment.id, run.id])
        }
        guard let previous else { return ("m.status = 'realized'", []) }
        // Exited rows are only meaningful when the file says which is which.
        let withExited = sources.contains(.membershipStatus)
        return (
            withExited ? "m.changedInEvaluation > ?" : "m.changedInEvaluation > ? AND m.status = 'realized'", [previous]
        )
    }
}
