import Foundation
import GRDB
import Segmentation

extension Workspace {
    /// Evaluates the named segments (all when `segmentIds` is empty) over all
    /// profiles, and records each evaluation. Segments in one wave share one
    /// scan; a segment that uses `inSegment` waits for a later wave than the
    /// segments it names, so it reads their new members.
    /// `now` drives `now`/`today` in PQL, the qualification times and the purge.
    public func evaluate(segmentIds: [String] = [], now: Date = Date()) async throws -> [EvaluationSummary] {
        let all = try await segments()
        let targets: [SegmentRecord]
        if segmentIds.isEmpty {
            targets = all
        } else {
            var resolved: [SegmentRecord] = []
            for nameOrId in segmentIds {
                let segment = try await segment(named: nameOrId)
                if !resolved.contains(where: { $0.id == segment.id }) { resolved.append(segment) }
            }
            targets = resolved
        }
        // A definition stored before the parser refused it fails alone; the others are evaluated.
        var parsed: [(SegmentRecord, PQLExpression)] = []
        var summaries: [EvaluationSummary] = []
        for segment in all {
            do {
                parsed.append((segment, try PQL.parse(segment.pql)))
            } catch {
                guard targets.contains(where: { $0.id == segment.id }) else { continue }
                var failed = EvaluationSummary(
                    evaluationId: 0, segmentId: segment.id, segmentName: segment.name, realized: 0, existing: 0,
                    exited: 0, purged: 0, usedSQL: false, seconds: 0)
                failed.failure = "its PQL no longer parses (\(error))"
                summaries.append(failed)
            }
        }
        let definitions = parsed.map { PQLSegmentDefinition(id: $0.0.id, name: $0.0.name, expression: $0.1) }
        let sids = parsed.map { $0.0.sid ?? -1 }
        let resolve: @Sendable (String) -> Int64? = { reference in
            PQL.resolve(reference, in: definitions).map { sids[$0] }
        }
        let planned = parsed.filter { segment in targets.contains { $0.id == segment.0.id } }
        removeStaleScratchFiles()
        // Events past retention are never seen again; the scan skips them too.
        _ = try await pruneEvents(now: now)
        for wave in try Self.waves(planned) {
            summaries += try await SegmentEvaluator.evaluate(wave, now: now, pool: dbPool, resolve: resolve)
        }
        try await recordFailures(summaries, now: now)
        let order = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.id, $0) })
        return summaries.sorted { order[$0.segmentId, default: 0] < order[$1.segmentId, default: 0] }
    }

    /// Keeps each failure on its segment for `segments list`/`show`, and clears the
    /// failure of a segment this evaluation succeeded for.
    func recordFailures(_ summaries: [EvaluationSummary], now: Date) async throws {
        try await dbPool.write { db in
            for summary in summaries {
                if let failure = summary.failure {
                    try db.execute(
                        sql: "UPDATE segment SET lastFailure = ?, lastFailedAt = ? WHERE id = ?",
                        arguments: [failure, now.timeIntervalSince1970, summary.segmentId])
                } else {
                    try db.execute(
                        sql: """
                            UPDATE segment SET lastFailure = NULL, lastFailedAt = NULL
                            WHERE id = ? AND lastFailure IS NOT NULL
                            """, arguments: [summary.segmentId])
                }
            }
        }
    }

    /// The segments grouped so each comes in a later group than the segments of
    /// this evaluation it names with `inSegment`; a cycle is an error.
    static func waves(_ planned: [(SegmentRecord, PQLExpression)]) throws -> [[(SegmentRecord, PQLExpression)]] {
        let definitions = planned.map { PQLSegmentDefinition(id: $0.0.id, name: $0.0.name, expression: $0.1) }
        let ordered: [PQLSegmentDefinition]
        do {
            ordered = try PQL.evaluationOrder(definitions)
        } catch {
            throw WorkspaceError(.segmentDependency, error.description)
        }
        var wave: [String: Int] = [:]
        var waves: [[(SegmentRecord, PQLExpression)]] = []
        for definition in ordered {
            let dependencies = PQL.segmentReferences(definition.expression).compactMap {
                PQL.resolve($0, in: definitions)
            }
            let level = dependencies.map { (wave[definitions[$0].id] ?? -1) + 1 }.max() ?? 0
            wave[definition.id] = level
            if level == waves.count { waves.append([]) }
            waves[level].append(planned[definitions.firstIndex { $0.id == definition.id }!])
        }
        return waves
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
