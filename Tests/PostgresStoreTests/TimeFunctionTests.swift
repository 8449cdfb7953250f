import Foundation
import PostgresNIO
import Segmentation
import Testing

@testable import PostgresStore

/// `ferry_pql_time` on PostgreSQL, its plain-day fast path and the general
/// function behind it, against `PQL.time` for every part.
@Suite struct TimeFunctionTests {
    static let texts = [
        "1997-04-02", "1970-01-01", "1969-12-31", "2000-02-29", "1900-02-29", "2023-02-29", "2024-02-29",
        "2024-04-31", "2024-04-30", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "0000-01-01",
        "0001-01-01", "9999-12-31", "1600-03-01", "1999-1-01", "19990101", "1999-01-01 ", "x999-01-01",
        "1985-06-01T10:20:30Z", "1985-06-01T10:20", "1985-06-01 23:59:60.5+02:00", "1985-06-01T24:00", "",
        "٢٠٢٤-01-01", "2024-01-0١",
    ]

    @Test func plainDaysAndTheGeneralGrammarAgreeWithSwift() async throws {
        let subject = try await StoreUnderTest.make(.postgresql)
        defer { Task { await subject.cleanUp() } }
        let workspace = try #require(subject.store as? PostgresWorkspace)
        for text in Self.texts {
            for part in PQL.TimePart.allCases {
                let stored = try await workspace.withConnection { connection in
                    try await connection.query(
                        "SELECT ferry_pql_time(\(text), \(part.rawValue))", logger: workspace.logger
                    ).collect()[0].decode(Double?.self)
                }
                var copy = text
                let expected: Double? = copy.withUTF8 { bytes in
                    switch PQL.time(utf8: bytes, part: part) {
                    case .integer(let value): Double(value)
                    case .real(let value): value
                    case nil: nil
                    }
                }
                #expect(stored == expected, "ferry_pql_time('\(text)', \(part))")
            }
        }
    }
}
