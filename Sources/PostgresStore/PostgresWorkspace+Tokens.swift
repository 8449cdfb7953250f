import Foundation
import PostgresNIO
import Workspace

extension PostgresWorkspace: TokenStore {
    public func insertToken(_ token: TokenRecord) async throws {
        var checked = token
        checked.name = try NameRules.checked(token.name, kind: "token")
        let record = checked
        try await transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO api_token (id, name, token_hash, read_only, created_at, last_used_at)
                VALUES (\(record.id), \(record.name), \(record.tokenHash), \(record.readOnly),
                        \(record.createdAt.timeIntervalSince1970), \(record.lastUsedAt?.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: self.logger
            ).collect()
            if inserted.isEmpty {
                throw WorkspaceError(.tokenExists, "A token named '\(record.name)' already exists.")
            }
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await withConnection { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.tokenColumns) FROM api_token ORDER BY name", logger: self.logger
            ).collect().map(Self.token)
        }
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try await withConnection { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.tokenColumns) FROM api_token WHERE token_hash = \(hash)", logger: self.logger
            ).collect().first.map(Self.token)
        }
    }

    public func revokeToken(_ nameOrId: String) async throws -> TokenRecord {
        try await transaction { connection in
            guard
                let row = try await connection.query(
                    """
                    DELETE FROM api_token WHERE id = (
                        SELECT id FROM api_token WHERE id = \(nameOrId.lowercased()) OR name = \(nameOrId)
                        ORDER BY (id = \(nameOrId.lowercased())) DESC LIMIT 1)
                    RETURNING \(unescaped: Self.tokenColumns)
                    """, logger: self.logger
                ).collect().first
            else {
                throw WorkspaceError(
                    .tokenNotFound, "No token is named or has the id '\(nameOrId)'; `ferry tokens list` shows them.")
            }
            return try Self.token(row)
        }
    }

    public func touchToken(id: String, at: Date) async throws {
        _ = try await transaction { connection in
            try await connection.query(
                "UPDATE api_token SET last_used_at = \(at.timeIntervalSince1970) WHERE id = \(id)", logger: self.logger
            ).collect()
        }
    }

    static let tokenColumns = "id, name, token_hash, read_only, created_at, last_used_at"

    static func token(_ row: PostgresRow) throws -> TokenRecord {
        let r = try row.decode((String, String, String, Bool, Double, Double?).self)
        return TokenRecord(
            id: r.0, name: r.1, tokenHash: r.2, readOnly: r.3, createdAt: PostgresRows.date(r.4),
            lastUsedAt: r.5.map(PostgresRows.date))
    }
}
