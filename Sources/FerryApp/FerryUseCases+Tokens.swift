import Foundation
import Workspace

/// A token as it may be listed: never its text, which only its creator saw once.
public struct TokenView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var readOnly: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(_ record: TokenRecord) {
        id = record.id
        name = record.name
        readOnly = record.readOnly
        createdAt = record.createdAt
        lastUsedAt = record.lastUsedAt
    }
}

extension FerryUseCases {
    /// Text every Ferry token starts with, so a leaked one is easy to recognise in a scan.
    public static let tokenPrefix = "ferry_"

    /// Makes a token and returns its text, which is not kept anywhere: only its hash is stored.
    public func createToken(name: String, readOnly: Bool, now: Date = Date()) async throws -> (TokenView, String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text =
            Self.tokenPrefix
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let record = TokenRecord(
            id: UUID().uuidString.lowercased(), name: name, tokenHash: TokenRecord.hash(text), readOnly: readOnly,
            createdAt: now)
        let tokens = try tokenStore
        try await phrased { try await tokens.insertToken(record) }
        return (TokenView(record), text)
    }

    public func tokens() async throws -> [TokenView] {
        let tokens = try tokenStore
        return try await phrased { try await tokens.tokens().map(TokenView.init) }
    }

    @discardableResult
    public func revokeToken(_ nameOrId: String) async throws -> TokenView {
        let tokens = try tokenStore
        return try await phrased { TokenView(try await tokens.revokeToken(nameOrId)) }
    }

    /// Whether the token with this hash still exists; a console session made with it ends once it is revoked.
    public func tokenActive(hash: String) async -> Bool {
        guard let tokens = try? tokenStore else { return false }
        return (try? await tokens.token(hash: hash)) != nil
    }

    /// The token this text is, or nil; its last use is noted at most once a minute.
    public func authenticate(_ text: String, now: Date = Date()) async throws -> TokenView? {
        guard text.hasPrefix(Self.tokenPrefix) else { return nil }
        let tokens = try tokenStore
        guard let record = try await tokens.token(hash: TokenRecord.hash(text)) else { return nil }
        if record.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try? await tokens.touchToken(id: record.id, at: now)
        }
        return TokenView(record)
    }
}
