import Crypto
import Foundation
import GRDB

/// A row of `apiToken`: a bearer token for the HTTP API and console. Only the
/// SHA-256 of the token is kept, so a copied database grants nothing.
public struct TokenRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "apiToken"

    public var id: String
    public var name: String
    /// Lowercase hex SHA-256 of the token text.
    public var tokenHash: String
    /// A read-only token may read everything and change nothing.
    public var readOnly: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let tokenHash = Column(CodingKeys.tokenHash)
        public static let lastUsedAt = Column(CodingKeys.lastUsedAt)
    }

    public init(id: String, name: String, tokenHash: String, readOnly: Bool, createdAt: Date, lastUsedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.tokenHash = tokenHash
        self.readOnly = readOnly
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The stored form of a token's text. Tokens are 256 random bits, so a
    /// plain SHA-256 is enough: there is nothing to guess from.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
