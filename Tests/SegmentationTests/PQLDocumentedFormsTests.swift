import Foundation
import Testing

@testable import Segmentation

/// Adobe's PQL examples from help/segmentation/pql/, page by page, on profiles made
/// so each example selects someone (and not everyone), at the fixtures' fixed now
/// (Saturday 2024-06-15 12:00 UTC).
enum DocumentedForms {
    static let profileTexts: [String] = [
        #"""
        {"id":"ann","homeAddress":{"countryISO":"CA","stateProvince":"ON"},"workAddress":{"stateProvince":"ON","country":"CA"},
         "person":{"name":"Joe Smith","birthYear":1985,"birthMonth":6,"birthdate":"1985-06-15","birthday":"1993-06-12",
           "birthDay":15,"emailAddress":"joe2010@gmail.com","favoriteColors":["red","blue","green"],
           "favoriteCities":["Paris"],"visitedCities":["Paris","Rome"],"eatenFoods":["sushi","pizza","tacos"],
           "orders":[{"storeId":1},{"storeId":2}],"age":30,"homeAddress":{}},
         "person1":{"favoriteColors":["red","blue","green","black"]},"person2":{"favoriteColors":["green","red","blue"]},
         "product":{"saleYear":2024,"sale":"2024-06-03T10:00:00Z","saleDate":"2024-06-12","inventory":10,"price":2.5},
         "product1":{"price":10},"product2":{"price":4},"totalProduct":{"price":100,"sold":8},"city":"Nantes",
         "identityMap":{"example@example.com":[{"id":"x"}]},"orders":[{"price":10,"storeId":1},{"price":30,"storeId":1}],
         "emailAddress":"ann@example.com","numbers":[{"square":4}]}
        """#,
        #"""
        {"id":"bob","homeAddress":{"countryISO":"US","stateProvince":"TX"},"workAddress":{"stateProvince":"CA","country":"US"},
         "person":{"name":"Anna Joe","birthYear":1990,"birthMonth":2,"birthdate":"1991-02-01","birthday":"1985-03-01",
           "birthDay":1,"emailAddress":"bob@example.net","favoriteColors":["yellow"],"favoriteCities":["Rome","Oslo"],
           "visitedCities":["Rome"],"eatenFoods":["pizza"],"orders":[{"storeId":3},{"storeId":3}],"age":17},
         "product":{"saleYear":2023,"sale":"2024-05-20T00:00:00Z","saleDate":"2024-06-05","inventory":3,"price":10},
         "product1":{"price":3},"product2":{"price":4},"totalProduct":{"price":10,"sold":0},"city":"Austin",
         "orders":[{"price":5,"storeId":2}],"emailAddress":"bob@corp.net"}
        """#,
        #"""
        {"id":"cy","homeAddress":{"countryISO":"CA"},
         "person":{"name":"John","birthYear":1985,"birthMonth":1,"birthday":"2024-06-12","age":20},
         "product":{"saleDate":"2024-06-15T09:00:00Z"}}
        """#,
        #"{"id":"dee","product":{"saleDate":"2016-02-29"}}"#,
    ]

    static let profiles: [(id: String, document: JSONValue)] = profileTexts.map { text in
        let document = try! JSONValue.parse(text)
        guard case .string(let id) = document[path: ["id"]] else { fatalError("profile without id") }
        return (id, document)
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var page: String
        var pql: String
        var members: Set<String>
        var testDescription: String { "\(page): \(pql)" }
    }

    static func examples(_ page: String, _ list: [(String, Set<String>)]) -> [Example] {
        pageExamples("help/segmentation/pql/\(page)", list)
    }

    static func pageExamples(_ path: String, _ list: [(String, Set<String>)]) -> [Example] {
        list.map { Example(page: path, pql: $0.0, members: $0.1) }
    }

    /// Conditions: the page's example as written, or wrapped in a comparison when the page's
    /// example is a value (the bare value is in `values` below).
    static let conditions: [Example] =
        examples(
            "comparison-functions.md",
            [
                (#"homeAddress.countryISO = "CA""#, ["ann", "cy"]),
                (#"homeAddress.countryISO != "CA""#, ["bob"]),
                ("person.birthMonth > 2", ["ann"]),
                ("person.birthMonth >= 3", ["ann"]),
                ("person.birthMonth < 2", ["cy"]),
                ("person.birthMonth <= 2", ["bob", "cy"]),
            ])
        + examples(
            "boolean-functions.md",
            [
                (#"homeAddress.countryISO = "CA" and person.birthYear = 1985"#, ["ann", "cy"]),
                (#"homeAddress.countryISO = "CA" or person.birthYear = 1990"#, ["ann", "bob", "cy"]),
                (#"not (homeAddress.countryISO = "CA")"#, ["bob", "dee"]),
                (#"!(homeAddress.countryISO = "CA")"#, ["bob", "dee"]),
                (#"if (homeAddress.countryISO = "CA", 1, 2) = 1"#, ["ann", "cy"]),
            ])
        + examples(
            "overview.md",
            [
                ("homeAddress.stateProvince = workAddress.stateProvince", ["ann"]),
                ("$1.homeAddress.stateProvince = $1.homeAddress.stateProvince", ["ann", "bob"]),
                ("(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince", ["ann"]),
                (
                    #"'pizza' in person.eatenFoods.distinct() or "jobs" = 'jobs' and -201 < 0 and 3.14 > 0.6942058"#,
                    ["ann", "bob", "cy", "dee"]
                ),
                ("product.saleDate occurs before today", ["ann", "bob", "dee"]),
                ("product.saleDate occurs last month", []),
                ("product.sale occurs last month", ["bob"]),
                ("product.saleDate occurs <= 3 days before now", ["ann", "cy"]),
                ("(select X from orders where X.price > 20).count() = 1", ["ann"]),
            ])
        + examples(
            "string-functions.md",
            [
                (#"city like "%es%""#, ["ann"]),
                (#"person.name.startsWith("Joe")"#, ["ann"]),
                (#"person.name.doesNotStartWith("Joe")"#, ["bob", "cy"]),
                (#"person.emailAddress.endsWith(".com")"#, ["ann"]),
                (#"person.emailAddress.doesNotEndWith(".com")"#, ["bob"]),
                (#"person.emailAddress.contains("2010@gm")"#, ["ann"]),
                (#"person.emailAddress.doesNotContain("2010@gm")"#, ["bob"]),
                (#"person.name.equals("John")"#, ["cy"]),
                (#"person.name.equals("john", false)"#, ["cy"]),
                (#"person.name.notEqualTo("John")"#, ["ann", "bob"]),
                (#"person.name.matches("(?i)^John")"#, ["cy"]),
                (#"emailAddress.regexGroup("@(\w+)", 1) = "example""#, ["ann"]),
            ])
        + examples(
            "array-functions.md",
            [
                ("person.birthMonth in [3, 6, 9]", ["ann"]),
                ("person.birthMonth notIn [3, 6, 9]", ["bob", "cy"]),
                (#"person.favoriteColors.intersects(["red", "blue", "green"])"#, ["ann"]),
                (#"person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]"#, ["ann"]),
                ("person.favoriteCities.subsetOf(person.visitedCities)", ["ann"]),
                (#"person.eatenFoods.supersetOf(["sushi", "pizza"])"#, ["ann"]),
                (#"person.favoriteColors.includes("red")"#, ["ann"]),
                ("person.orders.storeId.distinct().count() > 1", ["ann"]),
                ("orders.groupBy(storeId).count() = 1", ["ann", "bob"]),
                ("person.filter(age >= 21).count() = 1", ["ann"]),
                ("numbers.map(square).includes(4)", ["ann"]),
                ("orders.topN(price, 5).head().price = 30", ["ann"]),
                ("orders.bottomN(price, 5).head().price = 10", ["ann"]),
                ("orders.topN(price, 5).head().isNotNull()", ["ann", "bob"]),
            ])
        + examples(
            "aggregation-functions.md",
            [
                ("orders.count() = 2", ["ann"]),
                ("orders.count() = 0", ["cy", "dee"]),
                ("orders.sum(order.price) > 35", ["ann"]),
                ("orders.average(order.price) = 20", ["ann"]),
                ("orders.min(order.price) = 5", ["bob"]),
                ("orders.max(order.price) = 30", ["ann"]),
                ("orders.price.sum() = 40", ["ann"]),
            ])
        + examples(
            "arithmetic-functions.md",
            [
                ("product1.price + product2.price = 14", ["ann"]),
                ("product.inventory * product.price = 30", ["bob"]),
                ("product1.price - product2.price = -1", ["bob"]),
                ("totalProduct.price / totalProduct.sold = 12.5", ["ann"]),
                ("person.age % 5 = 0", ["ann", "cy"]),
            ])
        + examples(
            "map-functions.md",
            [
                (#"identityMap.get("example@example.com").isNotNull()"#, ["ann"]),
                (#"identityMap.keys().includes("example@example.com")"#, ["ann"]),
                ("identityMap.values().count() = 1", ["ann"]),
            ])
        + examples(
            "datetime-functions.md",
            [
                ("person.birthMonth = currentMonth()", ["ann"]),
                ("person.birthdate.getMonth() = 6", ["ann"]),
                ("product.saleYear = currentYear()", ["ann"]),
                ("person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]", ["ann"]),
                ("person.birthDay = currentDayOfMonth()", ["ann"]),
                ("product.sale.getDayOfMonth() <= 15", ["ann"]),
                ("product.saleDate occurs last week", ["bob"]),
                ("product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)", ["dee"]),
                ("product.saleDate occurs = 3 hours before now", ["cy"]),
                ("person.birthday occurs = 3 days before today", ["cy"]),
                ("product.saleDate occurs on date(2016, 2, 29)", ["dee"]),
                ("product.saleDate occurs today", ["cy"]),
                ("product.saleDate occurs this week", ["ann", "cy"]),
            ])
        + examples(
            "logical-quantifiers.md",
            [
                ("exists O from orders where O.price > 20", ["ann"]),
                ("exists O from orders : O.storeId = 2", ["bob"]),
                ("forall O from orders where O.price < 20", ["bob", "cy", "dee"]),
                ("exists O from person.orders where O.storeId = 3, P from orders where P.price < 10", ["bob"]),
            ])
        + examples(
            "misc-functions.md",
            [
                ("let S = orders.sum(price) in (S > 10 and S < 100)", ["ann"])
            ])
        + examples(
            "object-functions.md",
            [
                ("person.homeAddress.isNull()", ["bob", "cy", "dee"]),
                ("person.homeAddress.isNotNull()", ["ann"]),
            ])
        // The API pages' profile definitions (their other examples read xEvent). The UI pages
        // show definitions as Segment Builder screenshots, with no PQL text to copy.
        + pageExamples(
            "help/segmentation/api/segment-definitions.md",
            [
                (#"workAddress.country = "US""#, ["bob"]),
                (#"workAddress.country = "CA""#, ["ann"]),
                ("workAddress.stateProvince = homeAddress.stateProvince", ["ann"]),
            ])
        + pageExamples("help/segmentation/api/audiences.md", [(#"workAddress.country = "US""#, ["bob"])])
        + pageExamples("help/segmentation/api/segment-jobs.md", [(#"workAddress.country = "US""#, ["bob"])])
        + pageExamples("help/segmentation/api/pql-conversions.md", [(#"workAddress.country = "US""#, ["bob"])])

    /// Examples that are values, not conditions: they parse, and as a whole definition
    /// they are refused, naming what they are.
    static let values: [(String, String)] = [
        (#"if (homeAddress.countryISO = "CA", 1, 2)"#, "a number"),
        ("date(2020, 3, 14)", "a date"),
        ("[1, 4, 7]", "a list"),
        (#""pizza""#, "a string"),
        ("412", "a number"),
        ("product1.price + product2.price", "a number"),
        ("product.inventory * product.price", "a number"),
        ("totalProduct.price / totalProduct.sold", "a number"),
        ("orders.count()", "a number"),
        ("orders.sum(order.price)", "a number"),
        ("orders.average(order.price)", "a number"),
        ("orders.min(order.price)", "a number"),
        ("orders.max(order.price)", "a number"),
        ("currentMonth()", "a number"),
        ("currentYear()", "a number"),
        ("currentDayOfMonth()", "a number"),
        ("identityMap.keys()", "a list"),
        ("identityMap.values()", "a list"),
        ("orders.groupBy(storeId)", "a list"),
        ("person.filter(age >= 21)", "a list"),
        ("numbers.map(square)", "a list"),
        ("orders.topN(price, 5)", "a list"),
        ("orders.bottomN(price, 5)", "a list"),
        (#"emailAddress.regexGroup("@(\w+)", 1)"#, "a string"),
        (#"person1.favoriteColors.intersection(person2.favoriteColors)"#, "a list"),
        ("select X from orders where X.price > 20", "a list"),
    ]

    /// Examples that read ExperienceEvents, with where the first event word is.
    static let events: [(String, Int)] = [
        (#"exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS""#, 15),
        (#"forall E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS""#, 15),
        (
            #"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)"#,
            54
        ),
        ("X.timestamp occurs before today and xEvent.any(X)", 37),
        (#"CHAIN(xEvent, timestamp, [A: WHAT(eventType.equals("commerce.purchases", false)) WHEN(today)])"#, 1),
    ]
}

@Suite("PQL: Adobe's documented examples")
struct PQLDocumentedFormsTests {
    @Test(arguments: DocumentedForms.conditions)
    func selectsWhatThePageSays(_ example: DocumentedForms.Example) throws {
        let expression = try PQL.parse(example.pql)
        try PQL.typeCheck(expression, text: example.pql, fieldKinds: [:])
        let members = Set(
            DocumentedForms.profiles.filter { PQL.evaluate(expression, on: $0.document, now: PQLFixtures.now) }.map(
                \.id))
        #expect(members == example.members)
    }

    @Test(arguments: DocumentedForms.values)
    func valuesParseButAreNotDefinitions(pql: String, type: String) throws {
        let expression = try PQL.parse(pql)
        let error = try #require(throws: PQLError.self) {
            try PQL.typeCheck(expression, text: pql, fieldKinds: [:])
        }
        #expect(error.message == "a segment definition must be true or false for each profile, but this is \(type)")
    }

    /// Event forms parse (their members are tested in EventSegmentTests); `xEvent.any(X)`
    /// names a function no page defines, and is refused at its position.
    @Test(arguments: DocumentedForms.events)
    func eventFormsParse(pql: String, column: Int) throws {
        guard pql.contains(".any(") else {
            _ = try PQL.parse(pql)
            return
        }
        let error = #expect(throws: PQLError.self) { try PQL.parse(pql) }
        #expect(error?.message == "unknown function 'any'")
    }

    @Test func inSegmentAsksTheStore() throws {
        let expression = try PQL.parse(#"inSegment("vip") and not inSegment('25768be6-ebd5-45cc-8913-12fb3f348615')"#)
        #expect(PQL.segmentReferences(expression) == ["vip", "25768be6-ebd5-45cc-8913-12fb3f348615"])
        let profile = try JSONValue.parse("{}")
        #expect(PQL.evaluate(expression, on: profile, now: PQLFixtures.now, isMember: { $0 == "vip" }))
        #expect(!PQL.evaluate(expression, on: profile, now: PQLFixtures.now, isMember: { _ in true }))
        // Without a hook there is no SQL; with one, its fragment is spliced in as a condition.
        #expect(PQL.sqliteWhere(expression, jsonColumn: "doc", now: PQLFixtures.now) == nil)
        let fragment = PQL.sqlWhere(
            expression, dialect: .sqlite, documentColumn: "doc", now: PQLFixtures.now,
            membership: { SQLFragment(sql: "pid IN (SELECT pid FROM member WHERE ref = ?)", arguments: [.string($0)]) })
        #expect(
            fragment
                == SQLFragment(
                    sql:
                        "(pid IN (SELECT pid FROM member WHERE ref = ?) AND (NOT pid IN (SELECT pid FROM member WHERE ref = ?)))",
                    arguments: [.string("vip"), .string("25768be6-ebd5-45cc-8913-12fb3f348615")]))
    }
}
