import Foundation
import Segmentation

// Public makers for the records a second backend (PostgresStore)
// builds from its own rows; the SQLite code gets them from GRDB. Static
// functions, since an init with the memberwise labels would clash with it.

extension EvaluationRecord {
    public static func make(
        id: Int64?, sid: Int64, startedAt: Date, finishedAt: Date?, realized: Int, existing: Int, exited: Int,
        usedSQL: Bool
    ) -> Self {
        Self(
            id: id,
            sid: sid,
            startedAt: startedAt,
            finishedAt: finishedAt,
            realized: realized,
            existing: existing,
            exited: exited,
            usedSQL: usedSQL)
    }
}

extension MemberEntry {
    public static func make(
        pid: Int64, namespace: String, identity: String, status: MembershipRecord.Status,
        lastQualificationTime: Date, changedInEvaluation: Int64
    ) -> Self {
        Self(
            pid: pid,
            namespace: namespace,
            identity: identity,
            status: status,
            lastQualificationTime: lastQualificationTime,
            changedInEvaluation: changedInEvaluation)
    }
}

extension EvaluationSummary {
    public static func make(
        evaluationId: Int64, segmentId: String, segmentName: String, realized: Int, existing: Int, exited: Int,
        purged: Int, usedSQL: Bool, seconds: Double
    ) -> Self {
        Self(
            evaluationId: evaluationId,
            segmentId: segmentId,
            segmentName: segmentName,
            realized: realized,
            existing: existing,
            exited: exited,
            purged: purged,
            usedSQL: usedSQL,
            seconds: seconds)
    }
}

extension ProfileField {
    public static func make(keys: [String], types: [TypeCount], profiles: Int) -> Self {
        Self(keys: keys, types: types, profiles: profiles)
    }
}

extension ProfileField.TypeCount {
    public static func make(type: String, profiles: Int) -> Self {
        Self(type: type, profiles: profiles)
    }
}
