import Foundation
import Segmentation
import Workspace

/// A segment with the counts of its latest evaluation, the size estimate a user sees before exporting.
public struct SegmentView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var pql: String
    public var description: String?
    public var createdAt: Date
    /// Realized and existing members at the latest evaluation; nil before the first.
    public var estimatedSize: Int?
    public var lastEvaluatedAt: Date?
    /// Why the latest evaluation failed (its members stay as before); absent once one succeeds.
    public var lastFailure: String?
    public var lastFailedAt: Date?

    public init(_ record: SegmentRecord, evaluation: EvaluationRecord?) {
        id = record.id
        name = record.name
        pql = record.pql
        description = record.description
        createdAt = record.createdAt
        estimatedSize = evaluation.map { $0.realized + $0.existing }
        lastEvaluatedAt = evaluation?.finishedAt
        lastFailure = record.lastFailure
        lastFailedAt = record.lastFailedAt
    }
}

/// One member as the API lists it.
public struct MemberView: Codable, Sendable, Equatable {
    public var namespace: String
    public var id: String
    public var status: String
    public var lastQualificationTime: Date
}

extension FerryUseCases {
    /// Checks the PQL (an error names its line and column) and saves the segment.
    public func createSegment(name: String, pql: String, description: String?, id: String? = nil, now: Date = Date())
        async throws -> SegmentRecord
    {
        try checkPQL(pql)
        return try await phrased {
            try await store.createSegment(name: name, pql: pql, description: description, id: id, now: now)
        }
    }

    /// How many profiles a definition selects now, before it is saved: the store counts
    /// with its own query. Nil when the definition needs the evaluator (it names segments,
    /// reads events, or uses a form SQL cannot express); saving evaluates it then.
    public func estimateMembers(pql: String, now: Date = Date()) async throws -> Int? {
        try checkPQL(pql)
        return try await phrased { try await store.countMembers(pql: pql, now: now) }
    }

    /// Parses and type-checks PQL without saving anything.
    public func checkPQL(_ pql: String) throws {
        do { _ = try PQL.parse(pql) } catch { throw AppError.from(error) ?? error }
    }

    public func segments() async throws -> [SegmentView] {
        try await phrased {
            var views: [SegmentView] = []
            for record in try await store.segments() {
                views.append(SegmentView(record, evaluation: try await store.latestEvaluation(segmentId: record.id)))
            }
            return views
        }
    }

    public func segment(_ nameOrId: String) async throws -> SegmentView {
        try await phrased {
            let record = try await store.segment(named: nameOrId)
            return SegmentView(record, evaluation: try await store.latestEvaluation(segmentId: record.id))
        }
    }

    @discardableResult
    public func deleteSegment(_ nameOrId: String) async throws -> SegmentRecord {
        try await phrased { try await store.deleteSegment(nameOrId) }
    }

    /// Evaluates one segment now and records the evaluation.
    public func evaluateSegment(_ nameOrId: String, now: Date = Date()) async throws -> EvaluationSummary {
        try await phrased {
            let record = try await store.segment(named: nameOrId)
            guard let summary = try await store.evaluate(segmentIds: [record.id], now: now).first else {
                throw AppError(.failure, code: "evaluation", "segment '\(record.name)' was not evaluated")
            }
            RunMetrics.recordEvaluation(seconds: summary.seconds)
            return summary
        }
    }

    /// A page of members in profile order; the cursor is the last profile's key.
    public func members(
        of nameOrId: String, status: MembershipRecord.Status? = nil, limit: Int?, cursor: String?
    ) async throws -> Page<MemberView> {
        let limit = limit ?? 100
        guard (1...PageRequest.maximumLimit).contains(limit) else {
            throw AppError.badInput("limit must be between 1 and \(PageRequest.maximumLimit)", field: "limit")
        }
        var after: Int64 = 0
        if let cursor {
            guard let value = Int64(cursor), value >= 0 else {
                throw AppError.badInput("cursor is not one this server handed out", field: "cursor")
            }
            after = value
        }
        return try await phrased {
            let record = try await store.segment(named: nameOrId)
            let page = try await store.memberPage(of: record, status: status, afterPid: after, limit: limit + 1)
            let items = page.prefix(limit).map {
                MemberView(
                    namespace: $0.namespace, id: $0.identity, status: $0.status.rawValue,
                    lastQualificationTime: $0.lastQualificationTime)
            }
            let next = page.count > limit ? page[limit - 1].pid : nil
            return Page(items: Array(items), nextCursor: next.map { String($0) })
        }
    }

    /// The merged profile under a primary identity.
    public func profile(namespace: String, identity: String) async throws -> ProfileRecord {
        try await phrased {
            guard let found = try await store.profile(namespace: namespace, identity: identity) else {
                throw AppError(
                    .notFound, code: "profileNotFound", "No profile has the identity \(namespace):\(identity).")
            }
            return found
        }
    }
}
