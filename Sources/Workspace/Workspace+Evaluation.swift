import Foundation
import GRDB
import Segmentation

extension Workspace {
    /// Evaluates the named segments (all when `segmentIds` is empty) over all
    /// profiles, one transaction per segment, and records each evaluation.
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
        var summaries: [EvaluationSummary] = []
        for segment in targets {
            let expression = try PQL.parse(segment.pql)
            summaries.append(try await dbPool.write { db in
                try SegmentEvaluator.evaluate(segment, expression: expression, now: now, in: db)
            })
        }
        return summaries
    }
}
