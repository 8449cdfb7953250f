import Foundation

/// The record of export runs: one run per (activation, segment, scheduled
/// time), the files each run wrote and the multipart uploads still open.
///
/// The writes take the caller's lease, if any, and are refused with
/// `LeaseLostError` once another process holds the run.
public protocol RunLedger: Sendable {
    /// Starts the run of (activation, segment, scheduled time), or takes up the existing one.
    func beginRun(
        activationId: String, segmentId: String, destinationId: String, scheduledTime: Date, mode: ExportMode,
        now: Date,
        lease: RunLease?
    ) async throws -> RunRecord

    func saveRun(_ run: RunRecord, lease: RunLease?) async throws

    func run(id: String) async throws -> RunRecord

    /// The run of (activation, segment, scheduled time), if one was started.
    func run(activationId: String, segmentId: String, scheduledTime: Date) async throws -> RunRecord?

    /// Runs newest first, optionally for one activation.
    func runs(activationId: String?, limit: Int) async throws -> [RunRecord]

    /// Runs newest first with the monitoring filters.
    func runs(activationId: String?, status: RunRecord.Status?, since: Date?, segmentId: String?, limit: Int)
        async throws -> [RunRecord]

    /// The latest successful run of a segment within an activation, scheduled at or before a time.
    func lastSuccessfulRun(activationId: String, segmentId: String, scheduledAtOrBefore: Date) async throws
        -> RunRecord?

    /// The latest run of a segment in any activation.
    func lastRun(segmentId: String) async throws -> RunRecord?

    /// The evaluation that the latest successful run of a segment within an
    /// activation, other than `runId`, exported; an incremental run sends
    /// what changed since it.
    func lastExportedEvaluationId(activationId: String, segmentId: String, excludingRun runId: String)
        async throws -> Int64?

    /// Removes one run with its recorded files and uploads; refused while it is processed.
    func deleteRun(id: String) async throws -> RunRecord

    /// Removes old runs, keeping the ones the scheduler still reads; returns how many went.
    @discardableResult
    func pruneRuns(scheduledBefore cutoff: Date) async throws -> Int

    func recordUpload(runId: String, key: String, uploadId: String, lease: RunLease?) async throws
    func recordedUpload(runId: String, key: String) async throws -> String?
    func clearUpload(runId: String, key: String) async throws

    /// Records a data file just before its last S3 write.
    func recordFile(runId: String, file: RunFile, lease: RunLease?) async throws
    func recordedFile(runId: String, key: String) async throws -> RunFile?
}
