import Foundation
import PostgresNIO
import Segmentation
import Workspace

extension PostgresWorkspace {
    public func countMembers(pql: String, now: Date) async throws -> Int? {
        let expression = try PQL.parse(pql)
        let layout = try await withConnection { connection in
            try await Self.valueLayout(on: connection, logger: self.logger)
        }
        guard
            let fragment = PQL.sqlWhere(
                expression, dialect: .postgresql, documentColumn: "doc", typedColumns: layout.typed, now: now,
                lazyDocument: Self.lazyDocument, nativeValues: true, objectColumns: layout.marks)
        else { return nil }
        var bindings = PostgresBindings()
        for argument in fragment.arguments { try Self.bind(argument, to: &bindings) }
        let profiles = Self.typedProfiles(
            layout.typed, marks: layout.marks, readsDocument: Self.readsDocument(fragment))
        let query = PostgresQuery(
            unsafeSQL: "SELECT count(*) FROM \(profiles) WHERE \(fragment.numberedPlaceholders())", binds: bindings)
        return try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect()[0].decode(Int.self)
        }
    }
}
