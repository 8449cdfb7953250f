import Testing

@testable import Segmentation

@Suite("PQL parser")
struct PQLParserTests {
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        ErrorCase(text: "homeAddress.countryISO = ", line: 1, column: 26, message: "expected a value after '='"),
        ErrorCase(text: "homeAddress.countryISO = )", line: 1, column: 26, message: "expected a value after '='"),
        ErrorCase(
            text: #"(homeAddress.countryISO = "CA""#, line: 1, column: 31,
            message: "expected ')' to close the '(' at 1:1"),
        ErrorCase(text: "person.name.shout()", line: 1, column: 13, message: "unknown function 'shout'"),
        ErrorCase(text: "shout(1)", line: 1, column: 1, message: "unknown function 'shout'"),
        ErrorCase(text: #"person.name = "Joe"#, line: 1, column: 15, message: "unterminated string"),
        ErrorCase(text: "a = 1 and\nb = 2 and\n  c = ", line: 3, column: 7, message: "expected a value after '='"),
        ErrorCase(text: "a = 1 and\n  b # 2", line: 2, column: 5, message: "unexpected character '#'"),
        ErrorCase(text: "", line: 1, column: 1, message: "expected an expression"),
        ErrorCase(text: "a = 1 b", line: 1, column: 7, message: "unexpected 'b' after the expression"),
        ErrorCase(text: "a = 1 and", line: 1, column: 10, message: "expected a value after 'and'"),
        ErrorCase(text: "not", line: 1, column: 4, message: "expected a value after 'not'"),
        ErrorCase(text: "a in 3", line: 1, column: 6, message: "expected a list like [1, 2] after 'in'"),
        ErrorCase(text: "a in [1, 2", line: 1, column: 11, message: "expected ',' or ']' in list"),
        ErrorCase(
            text: #"a.startsWith("x", "y")"#, line: 1, column: 3,
            message: "the second argument of 'startsWith' must be true or false (case sensitive)"),
        ErrorCase(text: "a.isNull(1)", line: 1, column: 3, message: "'isNull' takes 0 arguments, found 1"),
        ErrorCase(text: "a.includes()", line: 1, column: 3, message: "'includes' takes 1 argument, found 0"),
        ErrorCase(text: #"a.matches("(")"#, line: 1, column: 11, message: "invalid regular expression"),
        ErrorCase(text: "a.b(", line: 1, column: 3, message: "unknown function 'b'"),
        ErrorCase(text: "a.startsWith(", line: 1, column: 14, message: "expected a value after '('"),
        ErrorCase(
            text: #"a.startsWith("x""#, line: 1, column: 17,
            message: "expected ')' to close the arguments of 'startsWith'"),
        ErrorCase(
            text: "a occurs = days before now", line: 1, column: 12,
            message: "expected a whole number of time units after '=', e.g. '3 days before now'"),
        ErrorCase(
            text: "a occurs = 3 fortnights before now", line: 1, column: 14,
            message: "expected a time unit (days, weeks, months, ...)"),
        ErrorCase(
            text: "a occurs = 3 days since now", line: 1, column: 19,
            message: "expected 'before', 'after' or 'from' after 'days'"),
        ErrorCase(
            text: "a occurs last fortnight", line: 1, column: 15,
            message: "expected a time unit after 'last', e.g. 'last month'"),
        ErrorCase(
            text: "a occurs between date(2020, 1, 1) or now", line: 1, column: 35,
            message: "expected 'and' between the two bounds of 'occurs between'"),
        ErrorCase(text: "a > date(2020, 13, 1)", line: 1, column: 16, message: "month must be 1 to 12"),
        ErrorCase(text: "a > date(2021, 2, 29)", line: 1, column: 19, message: "day 29 does not exist in 2021-2"),
        ErrorCase(
            text: "a > date(2020, 1)", line: 1, column: 5,
            message: "'date' takes 3 arguments (year, month, day), found 2"),
        ErrorCase(
            text: "if(a, 1) = 1", line: 1, column: 1, message: "'if' takes 3 arguments (condition, then, else), found 2"
        ),
        ErrorCase(
            text: "$2.a = 1", line: 1, column: 1,
            message: "only $1, the profile, is a parameter of a segment definition"),
        ErrorCase(text: "xEvent.any(a = 1)", line: 1, column: 8, message: "unknown function 'any'"),
        ErrorCase(
            text: "a = 1 and\n  CHAIN(xEvent, timestamp, [A: WHAT(b = 1) WHEN(<= 1 days)])", line: 2, column: 58,
            message: "expected 'before', 'after' or 'from' after 'days'"),
        ErrorCase(
            text: "timeSeriesEvents.count() > 1", line: 1, column: 1,
            message: "timeSeriesEvents queries are not supported; use xEvent"),
        ErrorCase(
            text: "a.like(\"x\")", line: 1, column: 3, message: "'like' is written infix: value like \"pattern\""),
        ErrorCase(
            text: "a.getMonth().b = 1", line: 1, column: 14, message: "'.b' can only follow a field name or an object"),
        ErrorCase(text: "é = 1 and = 2", line: 1, column: 1, message: "unexpected character 'é'"),
        ErrorCase(text: "ab = \"é\" and = 2", line: 1, column: 14, message: "expected a value after 'and'"),
        ErrorCase(
            text: "a = 99999999999999999999", line: 1, column: 5,
            message: "integer 99999999999999999999 is out of range"),
    ])
    func reportsErrorsWithPositions(_ testCase: ErrorCase) {
        #expect(
            throws: PQLError(
                line: testCase.line, column: testCase.column, message: testCase.message, text: testCase.text)
        ) {
            try PQL.parse(testCase.text)
        }
    }

    @Test func describesTheErrorWithACaret() {
        let text = "a = 1 and\nhomeAddress.countryISO = "
        #expect(throws: PQLError.self) { try PQL.parse(text) }
        do {
            _ = try PQL.parse(text)
        } catch {
            #expect(
                error.description == """
                    expected a value after '=' at 2:26
                    homeAddress.countryISO = \("")
                                             ^
                    """)
        }
    }

    @Test(arguments: [
        (
            "a = 1",
            PQLExpression.comparison(
                .field(["a"], at: .init(line: 1, column: 1)), .equal, .literal(.int(1), at: .init(line: 1, column: 5)))
        ),
        (
            "a.b != -2.5",
            .comparison(
                .field(["a", "b"], at: .init(line: 1, column: 1)), .notEqual,
                .literal(.double(-2.5), at: .init(line: 1, column: 8)))
        ),
        (
            #"x = "a\"b\\c\n\u00e9""#,
            .comparison(
                .field(["x"], at: .init(line: 1, column: 1)), .equal,
                .literal(.string("a\"b\\c\né"), at: .init(line: 1, column: 5)))
        ),
        (
            "a OR b AND NOT c",
            .or(
                .field(["a"], at: .init(line: 1, column: 1)),
                .and(.field(["b"], at: .init(line: 1, column: 6)), .not(.field(["c"], at: .init(line: 1, column: 16)))))
        ),
        (
            "!a and b",
            .and(.not(.field(["a"], at: .init(line: 1, column: 2))), .field(["b"], at: .init(line: 1, column: 8)))
        ),
        ("a <= today", .comparison(.field(["a"], at: .init(line: 1, column: 1)), .lessOrEqual, .today)),
        ("a > NOW", .comparison(.field(["a"], at: .init(line: 1, column: 1)), .greater, .now)),
        ("false", .literal(.bool(false), at: .init(line: 1, column: 1))),
        (
            "a.x.getYear() > 2000",
            .comparison(
                .call(.field(["a", "x"], at: .init(line: 1, column: 1)), .getYear, []), .greater,
                .literal(.int(2000), at: .init(line: 1, column: 17)))
        ),
        (
            "a notIn [1]",
            .notIn(.field(["a"], at: .init(line: 1, column: 1)), [.literal(.int(1), at: .init(line: 1, column: 10))])
        ),
        (
            "a like \"%\"",
            .call(
                .field(["a"], at: .init(line: 1, column: 1)), .like,
                [.literal(.string("%"), at: .init(line: 1, column: 8))])
        ),
        (
            "a occurs between date(2020, 2, 29) and today",
            .occursBetween(.field(["a"], at: .init(line: 1, column: 1)), .date(year: 2020, month: 2, day: 29), .today)
        ),
        (
            "if(a, b, c)",
            .conditional(
                .field(["a"], at: .init(line: 1, column: 4)), then: .field(["b"], at: .init(line: 1, column: 7)),
                else: .field(["c"], at: .init(line: 1, column: 10)))
        ),
    ])
    func buildsTheSyntaxTree(text: String, expected: PQLExpression) throws {
        #expect(try PQL.parse(text) == expected)
    }

    @Test(arguments: ["a = 1 and b = 2", "a = 1 AND b = 2", "a = 1\n\tand\r\n b = 2"])
    func acceptsKeywordCaseAndWhitespace(_ text: String) throws {
        let expression = try PQL.parse(text)
        guard case .and = expression else {
            Issue.record("expected an and, got \(expression)")
            return
        }
    }

    @Test(arguments: PQLFixtures.cases)
    func parsesEveryFixture(_ testCase: PQLFixtures.Case) {
        #expect(throws: Never.self) { try PQL.parse(testCase.pql) }
    }
}
