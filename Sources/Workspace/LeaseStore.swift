import Foundation

/// Leases on run keys and one-time claims, which keep the processes sharing
/// a workspace from running one export, alert or prune twice.
public protocol LeaseStore: Sendable {
    /// Takes the lease on a run key; nil while another holder's lease is live.
    func acquireLease(_ runKey: String, holder: String, duration: TimeInterval, now: Date) async throws -> RunLease?

    /// Extends a lease; false once a newer holder has taken the key.
    func renewLease(_ lease: RunLease, duration: TimeInterval, now: Date) async throws -> Bool

    /// Throws `LeaseLostError` when a newer holder has the key.
    func checkLease(_ lease: RunLease) async throws

    /// Ends a lease early; must work from a cancelled task.
    func releaseLease(_ lease: RunLease) async

    /// Lets a key be taken at once when its holder is known to be gone.
    func expireLease(_ runKey: String, heldBy holder: String) async throws

    /// Who holds a run key's lease now, if anyone.
    func leaseHolder(_ runKey: String, now: Date) async throws -> String?

    /// True for exactly one caller of a key across all processes.
    func claimOnce(_ key: String, now: Date) async throws -> Bool
}
