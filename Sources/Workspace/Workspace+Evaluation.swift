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
        let definitions = try all.map { segment in
            PQLSegmentDefinition(id: segment.id, name: segment.name, expression: try PQL.parse(segment.pql))
        }
        let sids = all.map { $0.sid ?? -1 }
        let resolve: @Sendable (String) -> Int64? = { reference in
            PQL.resolve(reference, in: definitions).map { sids[$0] }
        }
        let planned = targets.map { segment in
            (segment, definitions[all.firstIndex { $0.id == segment.id }!].expression)
        }
        removeStaleScratchFiles()
        var summaries: [EvaluationSummary] = []
        for wave in try Self.waves(planned) {
            summaries += try await SegmentEvaluator.evaluate(wave, now: now, pool: dbPool, resolve: resolve)
        }
        let order = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.id, $0) })
        return summaries.sorted { order[$0.segmentId, default: 0] < order[$1.segmentId, default: 0] }
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
