import Foundation
import Segmentation
import Testing
import Workspace

@testable import PostgresStore

/// PostgreSQL compares a plain `YYYY-MM-DD` up to the 28th as text and leaves
/// every other date to `ferry_pql_time`: both ways must select what the Swift
/// evaluator selects, at the bounds and for text that only looks like a day.
@Suite struct PlainDayTests {
    static let dates = [
        // Plain days at and beside the bounds of the conditions below.
        "1979-12-30", "1979-12-31", "1980-01-01", "1980-01-02", "1985-06-15", "1989-12-28", "1989-12-31",
        "1990-01-01", "1990-01-02", "1990-01-03", "0000-01-01", "9999-12-28",
        // Days the text path must not take: the 29th to the 31st, invalid days.
        "1984-02-29", "1985-02-29", "1985-04-31", "1985-02-30", "1985-13-01", "1985-00-10", "1985-01-00",
        // Text of ten characters that is not a plain day, and other forms of dates.
        "198a-01-01", "1985/01/01", "1985-1-011", "-985-01-01", "1985-01-1 ", "1985-01-01T00:00:00Z",
        "1989-12-31T23:30:00-05:00", "1980-01-01T01:00:00+02:00", "1985-01-01 12:00", "", "1985",
    ]

    static let conditions = [
        "d occurs between date(1980, 1, 1) and date(1990, 1, 1)", "d < date(1980, 1, 1)",
        "d <= date(1979, 12, 31)", "d > date(1989, 12, 31)", "d >= date(1990, 1, 1)", "d = date(1990, 1, 1)",
        "d != date(1985, 6, 15)", "d occurs before date(1980, 1, 1)", "d occurs after date(1989, 12, 28)",
        "d occurs between date(1, 1, 1) and date(1985, 2, 28)",
        "not (d occurs between date(1980, 1, 1) and date(1990, 1, 1))",
    ]

    @Test func plainDaysSelectWhatTheEvaluatorSelects() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        let lines = Self.dates.enumerated().map { index, date in
            #"{"identityMap":{"Email":[{"id":"d\#(index)@x.io","primary":true}]},"d":"\#(date)"}"#
        }
        let (summary, rejections) = try await subject.importLines(lines)
        #expect(summary.inserted == lines.count && rejections.isEmpty)
        let documents = try lines.map { try JSONValue.parse($0) }
        let now = TypedColumnsTests.now
        let typed = try await workspace.typedColumns()
        for text in Self.conditions {
            let expression = try PQL.parse(text)
            let sql = try #require(
                PQL.sqlWhere(
                    expression, dialect: .postgresql, documentColumn: "doc", typedColumns: typed,
                    now: now, lazyDocument: PostgresWorkspace.lazyDocument, nativeValues: true))
            // `occurs before` and `after` compare instants, not days: no text path.
            if !text.contains("occurs before"), !text.contains("occurs after") {
                #expect(sql.sql.contains("LIKE '____-__-__'"), "\(text) takes no text path: \(sql.sql)")
            }
            let expected = documents.filter { PQL.evaluate(expression, on: $0, now: now) }.count
            #expect(try await workspace.countMembers(pql: text, now: now) == expected, "\(text)")
        }
    }
}
