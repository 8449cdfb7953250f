import Foundation
import Testing
import Workspace

/// Run retention: old runs go, but never the ones the scheduler and
/// incremental exports still read.
@Suite struct RetentionTests {
    let day: TimeInterval = 86_400

    func activation(_ workspace: Workspace, _ name: String) async throws -> ActivationRecord {
        let destination = DestinationRecord(
            id: UUID().uuidString.lowercased(), name: "d-\(name)", bucket: "b", folderPath: "f", region: nil,
            endpoint: nil, fileType: "csv", compression: "none", manifest: false, format: "{}", accessKeyId: "k",
            sealedSecret: try workspace.secretBox.seal("s"), sealedSessionToken: nil, createdAt: Date())
        try await workspace.insertDestination(destination)
        let activation = ActivationRecord(
            id: UUID().uuidString.lowercased(), name: name, destinationId: destination.id, segmentIds: ["s"],
            mappings: [], mandatory: [], dedupKeys: [], mode: .incremental, frequency: .daily,
            start: Date(timeIntervalSince1970: 0), endDay: nil, timeZone: "UTC", fileNameTemplate: "x",
            maxRowsPerFile: 10, enabled: true, createdAt: Date())
        try await workspace.insertActivation(activation)
        return activation
    }

    func run(
        _ workspace: Workspace, _ activation: ActivationRecord, daysAgo: Double, _ status: RunRecord.Status,
        now: Date
    ) async throws -> RunRecord {
        var run = try await workspace.beginRun(
            activationId: activation.id, segmentId: "s", destinationId: activation.destinationId,
            scheduledTime: now.addingTimeInterval(-daysAgo * day), mode: .incremental)
        run.status = status
        if status != .processing { run.finishedAt = run.startedAt }
        try await workspace.saveRun(run)
        return run
    }

    @Test func oldRunsGoButTheLatestAndLatestSuccessStay() async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let now = Date()
        let a = try await activation(workspace, "a")
        let oldSuccess = try await run(workspace, a, daysAgo: 200, .success, now: now)
        let lastSuccess = try await run(workspace, a, daysAgo: 120, .success, now: now)
        let oldFailure = try await run(workspace, a, daysAgo: 110, .failed, now: now)
        let stuck = try await run(workspace, a, daysAgo: 105, .processing, now: now)
        let latest = try await run(workspace, a, daysAgo: 100, .failed, now: now)
        // A second activation whose runs all failed keeps only its latest.
        let b = try await activation(workspace, "b")
        let bOld = try await run(workspace, b, daysAgo: 150, .failed, now: now)
        let bLatest = try await run(workspace, b, daysAgo: 95, .failed, now: now)
        // Anything younger than the cutoff stays.
        let c = try await activation(workspace, "c")
        let recent = try await run(workspace, c, daysAgo: 1, .success, now: now)

        let removed = try await workspace.pruneRuns(scheduledBefore: now.addingTimeInterval(-90 * day))
        let left = Set(try await workspace.runs().map(\.id))
        #expect(removed == 3)
        #expect(left == [lastSuccess.id, stuck.id, latest.id, bLatest.id, recent.id])
        #expect(!left.contains(oldSuccess.id) && !left.contains(oldFailure.id) && !left.contains(bOld.id))
        // Pruning again finds nothing more.
        #expect(try await workspace.pruneRuns(scheduledBefore: now.addingTimeInterval(-90 * day)) == 0)
    }

    @Test func aKeyIsClaimedOnce() async throws {
        let temp = try TemporaryWorkspace()
        let workspace = temp.workspace
        let now = Date()
        #expect(try await workspace.claimOnce("delayed|a|s|1", now: now))
        #expect(try await workspace.claimOnce("delayed|a|s|1", now: now) == false)
        #expect(try await workspace.claimOnce("delayed|a|s|2", now: now))
        // Claims older than the retention go with the runs.
        _ = try await workspace.pruneRuns(scheduledBefore: now.addingTimeInterval(1))
        #expect(try await workspace.claimOnce("delayed|a|s|1", now: now))
    }
}
