import Testing

@testable import Segmentation

@Suite("PQL to SQLite")
struct PQLSQLiteTests {
    @Test func comparesAFieldWithALiteral() throws {
        let fragment = PQL.sqliteWhere(
            try PQL.parse(#"homeAddress.countryISO = "CA""#), jsonColumn: "doc", now: PQLFixtures.now)
        #expect(
            fragment
                == SQLFragment(
                    sql:
                        #"COALESCE((((CASE WHEN NOT (doc GLOB '*\*') AND NOT (doc GLOB ?) THEN NULL ELSE json_type(doc, '$."homeAddress"."countryISO"') END) IN ('text')) AND (json_extract(doc, '$."homeAddress"."countryISO"') = ?)), 0)"#,
                    // A document that never spells the key in quotes (nor escapes anything) lacks it: no parse.
                    arguments: [.string(#"*"countryISO"*"#), .string("CA")]
                ))
    }

    @Test func notEqualRequiresAPresentValue() throws {
        let fragment = try #require(PQL.sqliteWhere(try PQL.parse("a != 1"), jsonColumn: "doc", now: PQLFixtures.now))
        #expect(
            fragment.sql.hasPrefix(
                #"((COALESCE((CASE WHEN NOT (doc GLOB '*\*') AND NOT (doc GLOB ?) THEN NULL ELSE json_type(doc, '$."a"') END), 'null') <> 'null') AND (NOT "#
            ))
        #expect(fragment.arguments.filter { $0 != .string(#"*"a"*"#) } == [.int(1)])
    }

    @Test func likeBecomesACaseSensitiveGlob() throws {
        let fragment = try #require(
            PQL.sqliteWhere(try PQL.parse(#"city like "a*b?[c%_""#), jsonColumn: "doc", now: PQLFixtures.now))
        #expect(fragment.arguments.filter { $0 != .string(#"*"city"*"#) } == [.string("a[*]b[?][[]c*?")])
        #expect(fragment.sql.contains("GLOB ?"))
    }

    @Test(
        arguments: [
            (["a"], #"'$."a"'"#),
            (["a b", "c.d"], #"'$."a b"."c.d"'"#),
            (["it's"], #"'$."it''s"'"#),
            (["quo\"te"], nil),
            (["back\\slash"], nil),
        ] as [([String], String?)])
    func quotesEveryKeyOfTheJSONPath(keys: [String], expected: String?) {
        #expect(PQLSQLCompiler.jsonPath(keys) == expected)
    }

    @Test(arguments: ["json", "value", "\"type\"", "ID"])
    func arrayTestsFallBackWhenJSONEachWouldShadowTheColumn(column: String) throws {
        let expression = try PQL.parse(#"tags.includes("x")"#)
        #expect(PQL.sqliteWhere(expression, jsonColumn: column, now: PQLFixtures.now) == nil)
        #expect(PQL.sqliteWhere(expression, jsonColumn: "profiles.\(column)", now: PQLFixtures.now) != nil)
    }

    @Test(arguments: [
        #"a.contains("x", false)"#, "a occurs between 1 and 2", "a.includes(b)",
        "a.intersects(b)", "[1].includes(1)", "a occurs before b",
        "a occurs = 1 days before b", "today = b + 1",
    ])
    func fallsBackForWhatSQLiteCannotMirror(_ text: String) throws {
        #expect(PQL.sqliteWhere(try PQL.parse(text), jsonColumn: "doc", now: PQLFixtures.now) == nil)
    }
}
