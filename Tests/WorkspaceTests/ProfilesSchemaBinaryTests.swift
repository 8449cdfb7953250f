import Foundation
import Testing

/// `ferry profiles schema` and the unknown-field warning of `segments create`, through the built binary.
@Suite(.enabled(if: FerryBinary.url != nil, "needs the built ferry binary"), .serialized)
struct ProfilesSchemaBinaryTests {
    static let profiles = [
        #"{"identityMap":{"Email":[{"id":"ann","primary":true}]},"person":{"name":{"lastName":"Lee"},"birthYear":1970,"favoriteColors":["red"]},"loyalty":{"points":10,"tier":"gold","member":true}}"#,
        #"{"identityMap":{"Email":[{"id":"bob","primary":true}]},"person":{"name":{"lastName":"Kim"},"birthYear":1990},"loyalty":{"points":"12","tier":"silver","member":false}}"#,
        #"{"identityMap":{"Email":[{"id":"cy","primary":true}]},"person":{"name":{"lastName":"Park"},"birthYear":1985.5},"homeAddress":{"countryCode":"KR"}}"#,
    ]

    struct Field: Decodable {
        var path: String
        var keys: [String]
        var type: String
        var profiles: Int
        var types: [TypeCount]

        struct TypeCount: Decodable, Equatable {
            var type: String
            var profiles: Int
        }
    }

    private func importProfiles(_ temp: TemporaryWorkspace) async throws -> [String] {
        let ws = ["--workspace", temp.directory.path]
        let file = try temp.file("p.jsonl", Self.profiles.joined(separator: "\n") + "\n")
        let imported = try await FerryBinary.run(["profiles", "import", file] + ws)
        #expect(imported.status == 0, "\(imported.stderr)")
        return ws
    }

    @Test func schemaListsPathsTypesAndCountsAsATableAndAsJSON() async throws {
        let temp = try TemporaryWorkspace()
        let ws = try await importProfiles(temp)

        let json = try await FerryBinary.run(["profiles", "schema", "--json"] + ws)
        #expect(json.status == 0, "\(json.stderr)")
        let fields = try JSONDecoder().decode([Field].self, from: Data(json.stdout.utf8))
        let byPath = Dictionary(fields.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })

        let lastName = try #require(byPath["person.name.lastName"])
        #expect(lastName.type == "text")
        #expect(lastName.profiles == 3)
        #expect(lastName.keys == ["person", "name", "lastName"])
        // A path that is a number in one profile and text in another keeps both, counted.
        let points = try #require(byPath["loyalty.points"])
        #expect(points.profiles == 2)
        #expect(points.type == "mixed")
        #expect(Set(points.types.map(\.type)) == ["integer", "text"])
        #expect(points.types.allSatisfy { $0.profiles == 1 })
        let year = try #require(byPath["person.birthYear"])
        #expect(year.type == "number")
        #expect(year.profiles == 3)
        #expect(try #require(byPath["loyalty.member"]).type == "boolean")
        #expect(try #require(byPath["homeAddress.countryCode"]).profiles == 1)

        let table = try await FerryBinary.run(["profiles", "schema"] + ws)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first?.split(separator: " ", omittingEmptySubsequences: true) == [
                "PATH", "TYPE", "PROFILES", "TYPES",
            ])
        #expect(lines.count == fields.count + 1)
        let pointsLine = try #require(lines.first { $0.hasPrefix("loyalty.points ") })
        #expect(pointsLine.contains("mixed"))
        #expect(pointsLine.contains("integer 1"))
        #expect(pointsLine.contains("text 1"))
        let lastNameLine = try #require(lines.first { $0.hasPrefix("person.name.lastName ") })
        #expect(
            lastNameLine.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == [
                "person.name.lastName", "text", "3",
            ])
    }

    @Test func schemaNeedsAWorkspaceAndIsEmptyBeforeAnyImport() async throws {
        let temp = try TemporaryWorkspace()
        let ws = ["--workspace", temp.directory.path]
        let empty = try await FerryBinary.run(["profiles", "schema", "--json"] + ws)
        #expect(empty.status == 0)
        #expect(try JSONDecoder().decode([Field].self, from: Data(empty.stdout.utf8)).isEmpty)

        let missing = try await FerryBinary.run(["profiles", "schema", "--workspace", temp.directory.path + "/nope"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("No workspace"))
    }

    @Test func segmentsCreateWarnsAboutUnknownFieldsWithASuggestionAndStillCreates() async throws {
        let temp = try TemporaryWorkspace()
        let ws = try await importProfiles(temp)

        func create(_ name: String, _ pql: String) async throws -> FerryBinary.Result {
            let result = try await FerryBinary.run(["segments", "create", name, "--pql", pql] + ws)
            #expect(result.status == 0, "\(pql): \(result.stderr)")
            #expect(UUID(uuidString: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
            return result
        }

        // A wrong case and a typo: one warning each, naming the nearest known path.
        let typo = try await create("typo", #"person.birthyear < 1980 and loyalty.tir = "gold""#)
        let warnings = typo.stderr.split(separator: "\n").map(String.init)
        #expect(warnings.count == 2, "\(typo.stderr)")
        #expect(
            warnings.contains {
                $0.hasPrefix("warning:") && $0.contains("loyalty.tir") && $0.contains("did you mean loyalty.tier?")
            })
        #expect(warnings.contains { $0.contains("person.birthyear") && $0.contains("did you mean person.birthYear?") })
        // A missing prefix is suggested too.
        #expect(try await create("short", "birthYear < 1980").stderr.contains("did you mean person.birthYear?"))
        // Nothing close: the warning points at the schema instead.
        let far = try await create("far", #"subscription.plan = "pro""#)
        #expect(far.stderr.contains("subscription.plan"))
        #expect(far.stderr.contains("ferry profiles schema"))
        #expect(!far.stderr.contains("did you mean"))

        // Known paths, objects that hold them, and arrays are not warned about.
        for (name, pql) in [
            ("known", #"person.name.lastName = "Lee" and person.birthYear < 1980"#),
            ("object", "loyalty.isNull()"),
            ("array", #"person.favoriteColors.includes("red")"#),
        ] {
            let result = try await create(name, pql)
            #expect(result.stderr.isEmpty, "\(pql): \(result.stderr)")
        }

        // The segments exist and evaluate: a warning is not an error.
        let evaluated = try await FerryBinary.run(["segments", "evaluate", "typo", "known"] + ws)
        #expect(evaluated.status == 0)
        #expect(evaluated.stdout.contains("typo: realized 0"))
        #expect(evaluated.stdout.contains("known: realized 1"))
    }

    @Test func segmentsCreateDoesNotWarnBeforeAnyProfileIsImported() async throws {
        let temp = try TemporaryWorkspace()
        let result = try await FerryBinary.run(
            ["segments", "create", "early", "--pql", #"anything.at.all = "x""#, "--workspace", temp.directory.path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }
}
