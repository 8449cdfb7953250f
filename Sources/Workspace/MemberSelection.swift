import GRDB

/// Which members of a segment an export sends.
public enum MemberSelection: Sendable, Hashable {
    /// Every member realized in the latest evaluation (a full run).
    case realized
    /// Members whose status changed after evaluation `evaluationId` (an
    /// incremental run); exited ones too when `includingExited`, since only a
    /// file with a status column can tell them apart.
    case changedSince(evaluationId: Int64, includingExited: Bool)
}
