import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace {
    public func countMembers(pql: String, now: Date) async throws -> Int? {
        let expression = try PQL.parse(pql)
        let typed = try await typedColumns()
        guard
            let fragment = PQL.sqlWhere(
                expression, dialect: .postgresql, documentColumn: "doc", typedColumns: typed, now: now,
                lazyDocument: Self.lazyDocument, nativeValues: true)
        else { return nil }
        var bindings = PostgresBindings()
        for argument in fragment.arguments { try Self.bind(argument, to: &bindings) }
        let profiles = Self.typedProfiles(typed, readsDocument: Self.readsDocument(fragment))
        let query = PostgresQuery(
            unsafeSQL: "SELECT count(*) FROM \(profiles) WHERE \(fragment.numberedPlaceholders())", binds: bindings)
        return try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect()[0].decode(Int.self)
        }
    }
}
