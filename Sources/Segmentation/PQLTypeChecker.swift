/// Finds literals that can never match the field they are compared with, e.g. `person.birthYear = "1985"`.
struct PQLTypeChecker {
    let text: String
    let fieldKinds: [String: JSONValueKind]

    func check(_ expression: PQLExpression) throws(PQLError) {
        switch expression {
        case .and(let left, let right), .or(let left, let right):
            try check(left)
            try check(right)
        case .not(let inner):
            try check(inner)
        case .comparison(let left, _, let right):
            try checkPair(left, right)
            try checkPair(right, left)
            try check(left)
            try check(right)
        case .isIn(let value, let items), .notIn(let value, let items):
            for item in items { try checkPair(value, item) }
            try check(value)
        case .occursBetween(let value, let low, let high):
            try check(value)
            try check(low)
            try check(high)
        case .conditional(let condition, let then, let otherwise):
            try check(condition)
            try check(then)
            try check(otherwise)
        case .call(let receiver, let function, let arguments):
            if function.isStringTest, let kind = kind(of: receiver), kind != .string, kind != .null,
                case .literal(_, let position) = arguments[0]
            {
                throw PQLError(
                    "'\(function.rawValue)' needs a string, but '\(Self.dotted(receiver))' is \(Self.article(kind))",
                    at: position, in: text)
            }
            try check(receiver)
            for argument in arguments { try check(argument) }
        case .literal, .field, .list, .date, .now, .today:
            break
        }
    }

    /// Throws at `literal` when `field` has a known scalar kind the literal can't equal.
    private func checkPair(_ field: PQLExpression, _ literal: PQLExpression) throws(PQLError) {
        guard let fieldKind = kind(of: field), case .literal(let value, let position) = literal else { return }
        let scalarKinds: [JSONValueKind] = [.bool, .number, .string]
        guard scalarKinds.contains(fieldKind), scalarKinds.contains(value.kind), value.kind != fieldKind else { return }
        throw PQLError(
            "expected \(Self.article(fieldKind)) to compare with '\(Self.dotted(field))', found \(Self.article(value.kind))",
            at: position, in: text
        )
    }

    private func kind(of expression: PQLExpression) -> JSONValueKind? {
        guard case .field(let path, _) = expression else { return nil }
        return fieldKinds[path.joined(separator: ".")]
    }

    private static func dotted(_ expression: PQLExpression) -> String {
        if case .field(let path, _) = expression { return path.joined(separator: ".") }
        return "the value"
    }

    private static func article(_ kind: JSONValueKind) -> String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
