import Testing

@testable import Segmentation

@Suite("PQL type check")
struct PQLTypeCheckTests {
    static let kinds: [String: JSONValueKind] = [
        "person.birthYear": .number, "person.name": .string, "loyalty.member": .bool, "person.favoriteColors": .array,
    ]

    @Test(arguments: [
        (#"person.birthYear = "1985""#, 1, 20, "expected a number to compare with 'person.birthYear', found a string"),
        (#""Joe" = person.name and 1 = 1"#, 0, 0, ""),
        ("person.name != 5", 1, 16, "expected a string to compare with 'person.name', found a number"),
        ("loyalty.member = 1", 1, 18, "expected a boolean to compare with 'loyalty.member', found a number"),
        (
            "a = 1 and\n  person.birthYear in [1985, \"x\"]", 2, 30,
            "expected a number to compare with 'person.birthYear', found a string"
        ),
        (
            #"person.birthYear.startsWith("19")"#, 1, 29,
            "'startsWith' needs a string, but 'person.birthYear' is a number"
        ),
        (#"not (5 > person.name)"#, 1, 6, "expected a string to compare with 'person.name', found a number"),
        (#"unknown.field = "x" and person.favoriteColors.includes("red")"#, 0, 0, ""),
        (
            #"if(person.birthYear > "1", 1, 2) = 1"#, 1, 23,
            "expected a number to compare with 'person.birthYear', found a string"
        ),
    ])
    func flagsLiteralsOfTheWrongKind(text: String, line: Int, column: Int, message: String) throws {
        let expression = try PQL.parse(text)
        if message.isEmpty {
            #expect(throws: Never.self) { try PQL.typeCheck(expression, text: text, fieldKinds: Self.kinds) }
        } else {
            #expect(throws: PQLError(line: line, column: column, message: message, text: text)) {
                try PQL.typeCheck(expression, text: text, fieldKinds: Self.kinds)
            }
        }
    }
}
