import Foundation

/// The identity graph as the layers above the store read it: which profile
/// an identity belongs to, and every identity linked to it.
public protocol IdentityStore: Sendable {
    /// The profile `key` points to, with its linked identities; nil when no profile has it.
    func linkedProfile(_ key: IdentityKey) async throws -> LinkedProfile?
}

/// A profile found through one of its identities.
public struct LinkedProfile: Sendable {
    public var profile: ProfileRecord
    /// Oldest link first; the profile's own identity among them.
    public var identities: [LinkedIdentity]

    public init(profile: ProfileRecord, identities: [LinkedIdentity]) {
        self.profile = profile
        self.identities = identities
    }
}
