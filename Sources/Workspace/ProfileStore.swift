import Foundation

/// The profiles a workspace holds: importing them and looking them up.
///
/// One of the seams the layers above the store use instead of SQL, so a
/// second backend (PostgreSQL) can stand behind the same calls.
public protocol ProfileStore: Sendable {
    /// Imports profile files; rejected lines go to `onReject` as they are found.
    func importProfiles(_ inputs: [ImportInput], options: ImportOptions, onReject: (ImportRejection) -> Void)
        async throws -> ImportSummary

    func profileCount() async throws -> Int

    /// The merged profile stored under a primary identity, or nil.
    func profile(namespace: String, identity: String) async throws -> ProfileRecord?

    /// Whether any profile has an identity in `namespace`, as its primary
    /// identity or in its identity map.
    func hasIdentities(inNamespace namespace: String) async throws -> Bool

    /// The inferred schema: each attribute path, the types its values have and how many profiles hold it.
    func profileSchema() async throws -> [ProfileField]
}
