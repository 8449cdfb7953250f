import Foundation
import GRDB
import Segmentation

extension Workspace {
    public func countMembers(pql: String, now: Date) async throws -> Int? {
        let expression = try PQL.parse(pql)
        return try await dbPool.read { db in
            let typed = try ProfileColumns.load(db).numbers
            guard
                let fragment = PQL.sqlWhere(
                    expression, dialect: .sqlite, documentColumn: "doc", typedColumns: typed, now: now)
            else { return nil }
            return try Int.fetchOne(
                db, sql: "SELECT count(*) FROM profile WHERE \(fragment.sql)",
                arguments: SegmentEvaluator.statementArguments(fragment.arguments))
        }
    }
}
