import Foundation
import Logging
import NIOCore
import S3
import Segmentation
import Workspace

/// Runs "export file now" for one segment of an activation: reads the
/// members, streams them into files, uploads each one, writes the manifest
/// last and records everything in the run ledger.
public struct ExportRunner: Sendable {
    /// Any backend: the SQLite workspace or a shared PostgreSQL one.
    public let workspace: any FerryStore
    /// Opens the destinations' sealed credentials.
    public let secretBox: SecretBox
    public var uploadOptions: UploadOptions
    public var retry: RetryPolicy
    public var logger: Logger
    /// Connect, idle and per-request limits for the destination's S3 client.
    public var timeouts: S3Timeouts = .standard

    public init(
        workspace: Workspace, uploadOptions: UploadOptions = .default, retry: RetryPolicy = .standard,
        logger: Logger = Logger(label: "ferry.export")
    ) {
        self.init(
            store: workspace, secretBox: workspace.secretBox, uploadOptions: uploadOptions, retry: retry, logger: logger
        )
    }

    public init(
        store: any FerryStore, secretBox: SecretBox, uploadOptions: UploadOptions = .default,
        retry: RetryPolicy = .standard, logger: Logger = Logger(label: "ferry.export")
    ) {
        self.workspace = store
        self.secretBox = secretBox
        self.uploadOptions = uploadOptions
        self.retry = retry
        self.logger = logger
    }

    /// Exports one segment for one scheduled time. A second call for the same
    /// scheduled time reuses the run and writes the same keys.
    ///
    /// Under a `lease`, every write to the run ledger and the last S3 write
    /// of each object are refused with `LeaseLostError` once another process
    /// has taken the run over, so a stalled process cannot write after it.
    public func run(
        activation: ActivationRecord, segmentId: String, scheduledTime: Date, skippedTimes: Int = 0, now: Date = Date(),
        lease: RunLease? = nil
    ) async throws -> RunRecord {
        let destination = try await workspace.destination(named: activation.destinationId)
        let segment = try await workspace.segment(named: segmentId)
        // Activations made before conflicts were refused, or changed since,
        // would overwrite each other's files; neither runs until one changes.
        if let other = try await workspace.conflictingActivation(for: activation) {
            throw try await workspace.conflictError(activation, other)
        }
        var run = try await workspace.beginRun(
            activationId: activation.id, segmentId: segment.id, destinationId: destination.id,
            scheduledTime: scheduledTime, mode: activation.mode, now: now, lease: lease)
        let previousFiles = run.files
        run.skippedTimes = skippedTimes
        logger.info("run started", metadata: ["run": "\(run.id)", "segment": "\(segment.name)"])
        do {
            try await export(
                activation: activation, destination: destination, segment: segment, run: &run,
                previousFiles: previousFiles, lease: lease)
            run.status = .success
            run.finishedAt = Date()
            try await workspace.saveRun(run, lease: lease)
            logger.info("run finished", metadata: ["run": "\(run.id)", "rows": "\(run.exported)"])
            return run
        } catch {
            // A run taken over by another process is that process's to record.
            if Self.isLeaseLost(error) { throw error }
            run.status = .failed
            run.finishedAt = Date()
            run.error = Self.describe(error)
            try? await workspace.saveRun(run, lease: lease)
            if error is CancellationError {
                logger.notice("run interrupted; the next attempt resumes it", metadata: ["run": "\(run.id)"])
            } else {
                logger.error("run failed", metadata: ["run": "\(run.id)", "error": "\(run.error ?? "")"])
            }
            throw error
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? MultipartUploadError { return describe(error.underlying) }
        return String(describing: error)
    }

    /// True when the run stopped because another process took it over.
    public static func isLeaseLost(_ error: any Error) -> Bool {
        if let error = error as? MultipartUploadError { return isLeaseLost(error.underlying) }
        return error is LeaseLostError
    }

    private func export(
        activation: ActivationRecord, destination: DestinationRecord, segment: SegmentRecord, run: inout RunRecord,
        previousFiles: [RunFile], lease: RunLease?
    ) async throws {
        let settings = try DestinationSettings(destination)
        let security = try DestinationSecurity(destination)
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
        let selection = try await memberSelection(activation: activation, segment: segment, run: run, sources: sources)

        let makePager: @Sendable () async throws -> MemberPager = { [workspace] in
            try await MemberPager(
                workspace: workspace, sid: segment.sid!, sources: sources,
                hashed: activation.mappings.map { $0.hashed == true }, mandatory: mandatory, dedup: dedup,
                selection: selection)
        }
        let encoders = try await encoderFactory(
            settings: settings, activation: activation, sources: sources, makePager: makePager)
        let pager = try await makePager()
        let client = try DestinationSecurity.s3Client(
            for: destination, open: { [secretBox] in try secretBox.openString($0) }, retry: retry, timeouts: timeouts)
        var options = uploadOptions
        options.contentType = security.contentType(settings.contentType)
        // Marks each object as this run's, so a retry can tell a complete file
        // an earlier attempt wrote from an older run's file at the same key.
        options.metadata[Self.runIdMetadata] = run.id

        var files: [RunFile] = []
        var index = 1
        repeat {
            let plainName = PathTemplate.splitName(base: baseName, index: index) + "." + settings.fileExtension
            let name = plainName + security.fileSuffix
            let objectKey = key(name)
            let counter = RowCounter()
            // Encryption comes after compression: ciphertext does not compress.
            let stream = EncryptedFileStream(
                base: ExportFileStream(
                    pager: pager, encoders: encoders, maxRows: activation.maxRowsPerFile, gzip: settings.gzipsFile,
                    rowCounter: counter),
                recipient: security.pgpKey, fileName: plainName)
            if let done = try await completedFile(
                runId: run.id, key: objectKey, client: client, bucket: destination.bucket)
            {
                // An earlier attempt finished this object and then died before
                // recording success: its rows are skipped, not written again.
                for try await _ in stream {}
                try await workspace.clearUpload(runId: run.id, key: objectKey)
                files.append(done)
                logger.info("file already complete", metadata: ["run": "\(run.id)", "key": "\(objectKey)"])
                index += 1
                continue
            }
            var resume = try await workspace.recordedUpload(runId: run.id, key: objectKey)
            if resume == Self.uploadPending {
                resume = try await orphanedUpload(client: client, bucket: destination.bucket, key: objectKey)
            }
            let runId = run.id
            let result = try await client.upload(
                stream, bucket: destination.bucket, key: objectKey, options: options, resumeUploadId: resume,
                beforeCreate: {
                    try await workspace.recordUpload(
                        runId: runId, key: objectKey, uploadId: Self.uploadPending, lease: lease)
                },
                onUploadCreated: { uploadId in
                    try await workspace.recordUpload(runId: runId, key: objectKey, uploadId: uploadId, lease: lease)
                },
                beforeComplete: { size, sha256 in
                    let file = RunFile(key: objectKey, rows: await counter.value, bytes: size, sha256: sha256 ?? "")
                    try await workspace.recordFile(runId: runId, file: file, lease: lease)
                })
            try await workspace.clearUpload(runId: run.id, key: objectKey)
            files.append(
                RunFile(key: objectKey, rows: await counter.value, bytes: result.size, sha256: result.sha256 ?? ""))
            index += 1
        } while try await pager.hasMore()

        // A retry that now needs fewer split files removes the extra ones an
        // earlier attempt wrote, so the folder holds exactly this run's files.
        let written = Set(files.map(\.key))
        if let lease { try await workspace.checkLease(lease) }
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
                        sha256: file.sha256, mode: run.mode.rawValue)
                })
            let manifestKey = key(Manifest.objectName(destinationId: destination.id, runId: run.id))
            let existing = try await client.headObject(bucket: destination.bucket, key: manifestKey)
            if existing?.metadata[Self.runIdMetadata] != run.id {
                if let lease { try await workspace.checkLease(lease) }
                try await client.putObject(
                    bucket: destination.bucket, key: manifestKey, body: ByteBuffer(bytes: manifest.encoded()),
                    contentType: "application/json", metadata: [Self.runIdMetadata: run.id])
            }
        }
    }

    /// Where a run's manifest is: beside its data files.
    public static func manifestKey(for run: RunRecord) -> String {
        let name = Manifest.objectName(destinationId: run.destinationId, runId: run.id)
        guard let first = run.files.first?.key, let slash = first.lastIndex(of: "/") else { return name }
        return String(first[...slash]) + name
    }

    /// Recorded as a file's upload id just before CreateMultipartUpload: an
    /// upload may exist that S3 has not yet named to Ferry.
    static let uploadPending = ""

    /// The multipart upload of `key` that an attempt killed between creating
    /// it and recording its id left open, found by listing the bucket's
    /// uploads. That listing needs s3:ListBucketMultipartUploads, which the six
    /// permissions do not include; without it the upload stays for the
    /// bucket's lifecycle rule, and the log says so.
    private func orphanedUpload(client: S3Client, bucket: String, key: String) async throws -> String? {
        do {
            let open = try await client.listMultipartUploads(bucket: bucket, prefix: key).filter { $0.key == key }
            guard let newest = open.last else { return nil }
            logger.notice("resuming an upload a killed attempt left open", metadata: ["key": "\(key)"])
            return newest.uploadId
        } catch let error as S3Error where error.isAccessDenied {
            logger.warning(
                "an earlier attempt may have left a multipart upload of this key open; listing uploads needs s3:ListBucketMultipartUploads, so it is left to the bucket's lifecycle rule",
                metadata: ["key": "\(key)"])
            return nil
        }
    }

    /// The user-metadata name (`x-amz-meta-ferry-run-id`) carrying the run id.
    public static let runIdMetadata = "ferry-run-id"

    /// The file an earlier attempt of this run recorded just before making it
    /// visible, when the bucket holds that complete object now.
    private func completedFile(runId: String, key: String, client: S3Client, bucket: String) async throws -> RunFile? {
        guard let recorded = try await workspace.recordedFile(runId: runId, key: key),
            let object = try await client.headObject(bucket: bucket, key: key),
            object.metadata[Self.runIdMetadata] == runId, object.size == recorded.bytes
        else { return nil }
        return recorded
    }

    /// Full runs send the realized members; incremental runs send what
    /// changed since the last successful run's evaluation.
    private func memberSelection(
        activation: ActivationRecord, segment: SegmentRecord, run: RunRecord, sources: [ExportSource]
    ) async throws -> MemberSelection {
        guard activation.mode == .incremental,
            let previous = try await workspace.lastExportedEvaluationId(
                activationId: activation.id, segmentId: segment.id, excludingRun: run.id)
        else { return .realized }
        // Exited rows are only meaningful when the file says which is which.
        return .changedSince(evaluationId: previous, includingExited: sources.contains(.membershipStatus))
    }
}
