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
        removeStaleScratchFiles()
        return try await SegmentEvaluator.evaluate(planned, now: now, pool: dbPool)
    }
}

extension Workspace {
    /// Versions before member sets scanned into `.evaluation-*.sqlite` files
    /// beside the database; one killed mid-scan left its file behind.
    func removeStaleScratchFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".evaluation-") {
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            if stat(path, &info) == 0, Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 24 * 3600 {
                unlink(path)
            }
        }
    }
}
