import Foundation
import Testing

@testable import Segmentation

@Suite("PQL evaluation on the fixture profiles")
struct PQLEvaluationTests {
    @Test(arguments: PQLFixtures.cases)
    func selectsTheExpectedMembers(_ testCase: PQLFixtures.Case) throws {
        let expression = try PQL.parse(testCase.pql)
        let members = Set(
            PQLFixtures.profiles.filter { PQL.evaluate(expression, on: $0.document, now: PQLFixtures.now) }.map(\.id))
        #expect(members == testCase.members)
    }

    @Test(arguments: PQLFixtures.cases)
    func pushesCommonShapesIntoSQL(_ testCase: PQLFixtures.Case) throws {
        let expression = try PQL.parse(testCase.pql)
        let fragment = PQL.sqliteWhere(expression, jsonColumn: "document", now: PQLFixtures.now)
        #expect((fragment != nil) == testCase.pushedToSQL)
        if let fragment {
            #expect(fragment.sql.filter { $0 == "?" }.count == fragment.arguments.count)
        }
    }

    @Test(arguments: [
        ("x.getMonth() = 2", #"{"x":"2024-02-29T23:00:00-02:00"}"#, false),
        ("x.getMonth() = 3", #"{"x":"2024-02-29T23:00:00-02:00"}"#, true),
        ("x = date(2024, 3, 1)", #"{"x":"2024-03-01T00:00:00.5Z"}"#, true),
        ("x < now", #"{"x":"2024-06-15T11:59:59.999Z"}"#, true),
        ("x > now", #"{"x":"2024-06-15"}"#, false),
        ("x = 9007199254740993", #"{"x":9007199254740992.0}"#, false),
        ("x < 9007199254740993", #"{"x":9007199254740992.0}"#, true),
        ("x = 0.5", #"{"x":0.5}"#, true),
        (#"x = "e\u0301""#, #"{"x":"\u00e9"}"#, false),
        (#"x.contains("e")"#, #"{"x":"e\u0301"}"#, true),
        (#"x like "a\\%""#, #"{"x":"a%"}"#, false),
        (#"x like "a%""#, #"{"x":"A"}"#, false),
        ("x.isNull()", #"{"x":{}}"#, false),
        ("x.isNotNull()", #"{"x":[]}"#, true),
        ("x = 1", #"{"x":true}"#, false),
        ("x != 1", #"{"x":true}"#, true),
        ("x.y = 1", #"{"x":[{"y":1}]}"#, false),
        ("x notIn []", #"{"x":1}"#, true),
        ("x notIn []", #"{"x":null}"#, false),
    ])
    func edgeCases(pql: String, profile: String, expected: Bool) throws {
        let expression = try PQL.parse(pql)
        #expect(PQL.evaluate(expression, on: try JSONValue.parse(profile), now: PQLFixtures.now) == expected)
    }

    @Test func fieldPathsAreDotted() throws {
        let expression = try PQL.parse(#"person.name.startsWith("J") and if(a.b = 1, c, 2) = d.e.f or x in [y.z]"#)
        #expect(PQL.fieldPaths(expression) == ["person.name", "a.b", "c", "d.e.f", "x", "y.z"])
    }

    /// The schema check (`segments create`'s "no profile has the field" warning) reads
    /// the paths without item expressions: `order.price` is each order's, not the profile's.
    @Test func itemExpressionsAreNotProfilePaths() throws {
        let expression = try PQL.parse(
            #"orders.sum(order.price) > 35 and orders[total > 100 and ^.tier = "gold"].count() > 0"#)
        #expect(PQL.fieldPaths(expression, itemPaths: false) == ["orders", "tier"])
        #expect(PQL.fieldPaths(expression).isSuperset(of: ["orders", "order.price", "total", "tier"]))
    }
}
