import Foundation
import Segmentation
import Testing

/// Eight hand-written profiles and the segments each PQL form should select from them.
enum PQLFixtures {
    /// Saturday 2024-06-15 12:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_718_452_800)

    static let profileTexts: [String] = [
        #"{"id":"p1","homeAddress":{"countryISO":"CA","city":"Toronto"},"person":{"name":"Joe Smith","birthYear":1985,"birthMonth":3,"birthdate":"1985-03-14","emailAddress":"joe2010@gmail.com","favoriteColors":["red","yellow"],"homeAddress":{"street":"1 Main"}},"city":"Fresno","loyalty":{"points":120.5,"member":true},"lastSeen":"2024-06-01T10:00:00Z"}"#,
        #"{"id":"p2","homeAddress":{"countryISO":"US","city":"Austin"},"person":{"name":"john doe","birthYear":1990,"birthMonth":6,"birthdate":"2016-06-20","emailAddress":"JOHN2010@GMAIL.COM","favoriteColors":["blue"]},"city":"Los Angeles","loyalty":{"points":120,"member":false},"lastSeen":"2024-06-15T08:30:00+02:00"}"#,
        #"{"id":"p3","person":{"name":"Anna"}}"#,
        #"{"id":"p4","homeAddress":{"countryISO":"CA"},"person":{"name":"Joey","birthYear":1985,"birthMonth":null,"birthdate":"2017-07-01T23:30:00Z","emailAddress":"joey@example.org","favoriteColors":[]},"city":"Lakes"}"#,
        #"{"id":"p5","homeAddress":{"countryISO":"FR"},"person":{"name":"\u00c9lodie","birthYear":"1985","birthMonth":9,"birthdate":"2015-01-08","emailAddress":"elodie@example.fr","favoriteColors":["green","red","blue"]},"city":"N\u00eemes","loyalty":{"points":-3,"member":true}}"#,
        #"{"id":"p6","homeAddress":null,"person":{"name":"Zo\u00eb_Joe","birthYear":2001,"birthMonth":12,"birthdate":"not a date","favoriteColors":"red"},"city":"es"}"#,
        #"{"id":"p7","homeAddress":{"countryISO":"ca"},"person":{"name":"JOE","birthYear":1985.0,"birthMonth":6,"birthdate":"2015-01-07T23:59:59-01:00","emailAddress":"joe@x.com","favoriteColors":["Red",1,true,null]},"city":"Des Moines"}"#,
        #"{"id":"p8","person":{"name":"Joe","birthYear":1985,"birthMonth":3,"favoriteColors":["red","blue","green","black"]},"homeAddress":{"countryISO":"CA"},"city":"Nantes","loyalty":{"points":1e2,"member":"yes"}}"#,
    ]

    static let profiles: [(id: String, document: JSONValue)] = profileTexts.map { text in
        let document = try! JSONValue.parse(text)
        guard case .string(let id) = document[path: ["id"]] else { fatalError("fixture without id") }
        return (id, document)
    }

    /// A PQL text, the profile ids it selects (checked by hand), and whether `sqliteWhere` should push it down.
    struct Case: Sendable, CustomTestStringConvertible {
        let pql: String
        let members: Set<String>
        let pushedToSQL: Bool

        init(_ pql: String, _ members: Set<String>, sql pushedToSQL: Bool = true) {
            self.pql = pql
            self.members = members
            self.pushedToSQL = pushedToSQL
        }

        var testDescription: String { pql }
    }

    static let cases: [Case] = [
        // The examples of destination.md section 10, in order.
        Case(#"homeAddress.countryISO = "CA""#, ["p1", "p4", "p8"]),
        Case(#"homeAddress.countryISO != "CA""#, ["p2", "p5", "p7"]),
        Case("person.birthMonth >= 3", ["p1", "p2", "p5", "p6", "p7", "p8"]),
        Case(#"homeAddress.countryISO = "CA" and person.birthYear = 1985"#, ["p1", "p4", "p8"]),
        Case(#"homeAddress.countryISO = "CA" or person.birthYear = 1985"#, ["p1", "p4", "p7", "p8"]),
        Case(#"not (homeAddress.countryISO = "CA")"#, ["p2", "p3", "p5", "p6", "p7"]),
        Case(#"city like "%es%""#, ["p1", "p2", "p4", "p5", "p6", "p7", "p8"]),
        Case(#"person.name.startsWith("Joe")"#, ["p1", "p4", "p8"]),
        Case(#"person.emailAddress.endsWith(".com")"#, ["p1", "p7"]),
        Case(#"person.emailAddress.contains("2010@gm", false)"#, ["p1", "p2"], sql: false),
        Case(#"person.name.matches("(?i)^John")"#, ["p2"], sql: true),
        Case("person.homeAddress.isNotNull()", ["p1"]),
        Case("person.birthMonth in [3, 6, 9]", ["p1", "p2", "p5", "p7", "p8"]),
        Case("person.birthMonth notIn [3, 6, 9]", ["p6"]),
        Case(#"person.favoriteColors.intersects(["red", "blue", "green"])"#, ["p1", "p2", "p5", "p8"]),
        Case(#"person.favoriteColors.includes("red")"#, ["p1", "p5", "p8"]),
        Case(
            "person.birthdate occurs between date(2015, 1, 8) and date(2017, 7, 1)", ["p2", "p4", "p5", "p7"]),
        Case("person.birthdate.getMonth() = 6", ["p2"]),
        Case(#"if (homeAddress.countryISO = "CA", 1, 2) = 1"#, ["p1", "p4", "p8"]),

        // Comparisons: numbers across int and double, strings by bytes, booleans, types that never match.
        Case("loyalty.points > 100", ["p1", "p2"]),
        Case("loyalty.points = 100", ["p8"]),
        Case("loyalty.points < 0", ["p5"]),
        Case("person.birthYear = 1985.0", ["p1", "p4", "p7", "p8"]),
        Case(#"person.birthYear = "1985""#, ["p5"]),
        Case(#"person.name < "B""#, ["p3"]),
        Case(#"person.name = "Élodie""#, ["p5"]),
        Case("loyalty.member = true", ["p1", "p5"]),
        Case("loyalty.member != true", ["p2", "p8"]),
        Case("loyalty.member", ["p1", "p5"]),
        Case("person.birthMonth > 3 OR person.birthMonth < 3", ["p2", "p5", "p6", "p7"]),
        Case("homeAddress.countryISO > 1", []),

        // Logic: keyword case, `!`, precedence of `not` over `and`.
        Case(#"NOT homeAddress.countryISO = "CA" AND person.birthYear > 1986"#, ["p2", "p6"]),
        Case(#"!(person.name = "Joe")"#, ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]),
        Case("person.birthYear = 1985 and not (person.birthMonth = 3)", ["p4", "p7"]),
        Case(#"homeAddress.countryISO in ["CA", "US"] or homeAddress.isNull()"#, ["p1", "p2", "p3", "p4", "p6", "p8"]),
        Case("not (person.birthMonth notIn [3])", ["p1", "p3", "p4", "p8"]),
        Case(
            #"homeAddress.countryISO = "US" or person.birthYear = 1985 and person.birthMonth = 3"#, ["p1", "p2", "p8"]),
        Case("TRUE", ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]),

        // Strings.
        Case(#"city like "_es%""#, ["p7"]),
        Case(#"city like "N_mes""#, ["p5"]),
        Case(#"city like "%es""#, ["p2", "p4", "p5", "p6", "p7", "p8"]),
        Case(#"person.name.startsWith("joe", false)"#, ["p1", "p4", "p7", "p8"], sql: false),
        Case(#"person.name.startsWith("Joe", true)"#, ["p1", "p4", "p8"]),
        Case(#"person.name.endsWith("_Joe")"#, ["p6"]),
        Case(#"person.emailAddress.contains("2010@gm")"#, ["p1"]),
        Case(#"person.name.doesNotStartWith("Joe")"#, ["p2", "p3", "p5", "p6", "p7"]),
        Case(#"person.name.equals("Joe")"#, ["p8"]),
        Case(#"person.name.notEqualTo("Joe")"#, ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]),
        Case(#"person.emailAddress.doesNotContain("@")"#, []),
        Case(#"person.name.startsWith("")"#, ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]),

        // Nulls and missing fields.
        Case("homeAddress.isNull()", ["p3", "p6"]),
        Case("person.birthMonth.isNull()", ["p3", "p4"]),
        Case("homeAddress.isNotNull()", ["p1", "p2", "p4", "p5", "p7", "p8"]),

        // Arrays.
        Case(#"person.favoriteColors.supersetOf(["red", "blue"])"#, ["p5", "p8"]),
        Case(#"person.favoriteColors.subsetOf(["red", "blue", "yellow"])"#, ["p1", "p2", "p4"]),
        Case("person.favoriteColors.includes(true)", ["p7"]),
        Case("person.favoriteColors.includes(1)", ["p7"]),
        Case("person.favoriteColors.intersects([])", []),

        // Dates, with now pinned at 2024-06-15T12:00:00Z.
        Case("lastSeen < now", ["p1", "p2"]),
        Case("lastSeen = today", ["p2"]),
        Case("lastSeen >= date(2024, 6, 2)", ["p2"]),
        Case("person.birthdate > date(2016, 1, 1)", ["p2", "p4"]),
        Case("person.birthdate.getYear() = 1985", ["p1"]),

        // if(...)
        Case(#"if (homeAddress.countryISO = "CA", 1, 2) = 2"#, ["p2", "p3", "p5", "p6", "p7"]),
        Case(#"if(loyalty.member, "vip", "regular") = "vip""#, ["p1", "p5"]),
        Case("if(loyalty.member, loyalty.points, 0) > 100", ["p1"]),
    ]
}
