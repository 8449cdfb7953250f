import Foundation
import GRDB

extension Workspace {
    /// Imports profile files; see `ProfileImporter`.
    public func importProfiles(_ inputs: [ImportInput], options: ImportOptions, onReject: (ImportRejection) -> Void)
        async throws -> ImportSummary
    {
        try await ProfileImporter(dbPool: dbPool, options: options).run(inputs, onReject: onReject)
    }

    public func profileCount() async throws -> Int {
        try await dbPool.read { db in try ProfileRecord.fetchCount(db) }
    }

    /// The merged profile any of whose identities is `namespace:identity`, or nil.
    public func profile(namespace: String, identity: String) async throws -> ProfileRecord? {
        try await linkedProfile(IdentityKey(namespace: namespace, id: identity))?.profile
    }

    /// Splits `NAMESPACE:ID` at its first colon; ids may contain colons, namespaces do not.
    public static func parseQualifiedIdentity(_ text: String) throws(WorkspaceError) -> (
        namespace: String, identity: String
    ) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex
        else {
            throw WorkspaceError(.badIdentity, "'\(text)' is not NAMESPACE:ID, e.g. Email:ann@example.com.")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
