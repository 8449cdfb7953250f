import Foundation
import GRDB
import Segmentation

extension Workspace {
    /// Evaluates the named segments (all when `segmentIds` is empty) over all
    /// profiles in one transaction and one shared scan, and records each evaluation.
    /// `now` drives `now`/`today` in PQL, the qualification times and the purge.
    public func evaluate(segmentIds: [String] = [], now: Date = Date()) async throws -> [EvaluationSummary] {
        let targets: [SegmentRecord]
        if segmentIds.isEmpty {
            targets = try await segments()
        } else {
            var resolved: [SegmentRecord] = []
            for nameOrId in segmentIds {
                resolved.append(try await segment(named: nameOrId))
            }
            targets = resolved
        }
        let planned = try targets.map { segment in (segment, try PQL.parse(segment.pql)) }
        return try await SegmentEvaluator.evaluate(
            planned, now: now, writer: dbPool,
            databasePath: directory.appendingPathComponent(Self.databaseFileName).path, scratchDirectory: directory)
    }
}
