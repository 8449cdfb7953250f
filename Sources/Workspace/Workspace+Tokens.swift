import Foundation
import GRDB

extension Workspace: TokenStore {
    public func insertToken(_ token: TokenRecord) async throws {
        var token = token
        token.name = try NameRules.checked(token.name, kind: "token")
        try await dbPool.write { [token] db in
            if try TokenRecord.filter(TokenRecord.Columns.name == token.name).fetchCount(db) > 0 {
                throw WorkspaceError(.tokenExists, "A token named '\(token.name)' already exists.")
            }
            try token.insert(db)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await dbPool.read { db in try TokenRecord.order(TokenRecord.Columns.name).fetchAll(db) }
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try await dbPool.read { db in try TokenRecord.filter(TokenRecord.Columns.tokenHash == hash).fetchOne(db) }
    }

    public func revokeToken(_ nameOrId: String) async throws -> TokenRecord {
        try await dbPool.write { db in
            guard
                let found = try TokenRecord.fetchOne(db, key: nameOrId.lowercased())
                    ?? TokenRecord.filter(TokenRecord.Columns.name == nameOrId).fetchOne(db)
            else {
                throw WorkspaceError(
                    .tokenNotFound, "No token is named or has the id '\(nameOrId)'; `ferry tokens list` shows them.")
            }
            try found.delete(db)
            return found
        }
    }

    public func touchToken(id: String, at: Date) async throws {
        _ = try await dbPool.write { db in
            try TokenRecord.filter(key: id).updateAll(
                db, TokenRecord.Columns.lastUsedAt.set(to: at.timeIntervalSince1970))
        }
    }
}
