import Foundation

/// The API tokens that may call the HTTP server, kept as hashes.
public protocol TokenStore: Sendable {
    /// Refused when a token of that name exists.
    func insertToken(_ token: TokenRecord) async throws

    /// Every token, by name.
    func tokens() async throws -> [TokenRecord]

    /// The token whose hash this is, or nil.
    func token(hash: String) async throws -> TokenRecord?

    /// Deletes the token with this id, else with this name.
    @discardableResult
    func revokeToken(_ nameOrId: String) async throws -> TokenRecord

    /// Notes a token's use; callers throttle it, so it is not one write per request.
    func touchToken(id: String, at: Date) async throws
}
