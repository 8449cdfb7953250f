import Foundation
import Testing

@testable import Segmentation

@Suite("PQL: cheaper SQL for common shapes")
struct PQLShortcutTests {
    @Test(arguments: [
        (#"^\+82"#, "+82", true),
        ("abc", "abc", false),
        (#"^a\.b"#, "a.b", true),
        (#"x\"y"#, "x\"y", false),
        ("a b", "a b", false),
    ])
    func plainPatternsAreText(pattern: String, text: String, anchored: Bool) throws {
        let plain = try #require(PQLSQLCompiler.plainText(ofPattern: pattern))
        #expect(plain.text == text && plain.anchored == anchored)
    }

    @Test(arguments: ["", "^", "a+", "a.b", #"\d"#, #"\Qa"#, "a$", "(?i)a", "[a]", "a|b", "é", #"a\"#, "a{2}", #"\ "#])
    func regexSyntaxIsNotText(pattern: String) {
        #expect(PQLSQLCompiler.plainText(ofPattern: pattern) == nil)
    }

    /// The pattern pushes down as text in both dialects, and selects what the regular expression does.
    @Test func plainMatchesSelectWhatTheRegexDoes() throws {
        let profiles = [#"{"m":"+82-10"}"#, #"{"m":"0+82"}"#, #"{"m":"+8"}"#, #"{"m":82}"#, "{}"].map {
            try! JSONValue.parse($0)
        }
        for (text, expected) in [
            (#"m.matches("^\\+82")"#, [true, false, false, false, false]),
            (#"m.matches("\\+82")"#, [true, true, false, false, false]),
        ] {
            let expression = try PQL.parse(text)
            #expect(profiles.map { PQL.evaluate(expression, on: $0, now: PQLFixtures.now) } == expected)
            for dialect in SQLDialect.allCases {
                let sql = try #require(
                    PQL.sqlWhere(expression, dialect: dialect, documentColumn: "doc", now: PQLFixtures.now))
                #expect(!sql.sql.contains(PQL.matchesFunctionName))
            }
        }
    }

    /// An object path with typed columns below it reads them before parsing the document.
    @Test func objectTypesReadTypedColumnsFirst() throws {
        let expression = try PQL.parse("loyalty.isNull()")
        let sql = try #require(
            PQL.sqliteWhere(
                expression, jsonColumn: "doc", typedColumns: [["loyalty", "tier"]: 3], now: PQLFixtures.now))
        #expect(sql.sql.contains("CASE WHEN t3 IS NOT NULL THEN 'object' WHEN NOT (doc GLOB '*\\*')"))
    }
}
