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
        case .arithmetic(let left, _, let right):
            try check(left)
            try check(right)
        case .occurs(let value, let form):
            try check(value)
            switch form {
            case .on(let time), .before(let time), .after(let time), .distance(_, _, _, _, let time):
                if case .value(let inner) = time { try check(inner) }
            }
        case .quantifier, .select, .letIn:
            // Names bound to items have no kind the checker knows.
            break
        case .literal, .field, .list, .date, .now, .today, .inSegment:
            break
        }
    }

    /// What an expression yields, as far as the text alone tells.
    enum StaticType: String {
        case condition = "a condition"
        case number = "a number"
        case string = "a string"
        case time = "a date"
        case list = "a list"
        case unknown = "a value"
    }

    static func staticType(_ expression: PQLExpression) -> StaticType {
        switch expression {
        case .literal(let value, _):
            switch value {
            case .bool: return .condition
            case .int, .double, .number: return .number
            case .string: return .string
            default: return .unknown
            }
        case .field: return .unknown
        case .list: return .list
        case .date, .now, .today: return .time
        case .call(_, let function, _):
            switch function {
            case .getMonth, .getYear, .getDayOfMonth, .count, .sum, .average, .min, .max: return .number
            case .distinct, .intersection, .topN, .bottomN, .filter, .map, .groupBy, .keys, .values: return .list
            case .regexGroup: return .string
            case .get, .head: return .unknown
            default: return .condition
            }
        case .select: return .list
        case .quantifier: return .condition
        case .letIn(_, _, let body): return staticType(body)
        case .arithmetic(let left, _, _): return staticType(left) == .time ? .time : .number
        case .conditional(_, let then, let otherwise):
            let a = staticType(then)
            let b = staticType(otherwise)
            if a == .unknown || b == .unknown { return .unknown }
            return a == .condition ? b : a
        case .comparison, .and, .or, .not, .isIn, .notIn, .occursBetween, .occurs, .inSegment: return .condition
        }
    }

    /// A segment definition must be a condition; `42` or `if(a, 1, 2)` is refused with what it is.
    func checkDefinition(_ expression: PQLExpression) throws(PQLError) {
        let type = Self.staticType(expression)
        // `xEvent[...]` alone selects the profiles with such an event.
        guard type != .condition, type != .unknown, !PQL.isEventList(expression) else { return }
        throw PQLError(
            "a segment definition must be true or false for each profile, but this is \(type.rawValue)",
            at: Self.firstPosition(expression) ?? PQLPosition(line: 1, column: 1), in: text)
    }

    private static func firstPosition(_ expression: PQLExpression) -> PQLPosition? {
        switch expression {
        case .literal(_, let position), .field(_, let position), .inSegment(_, let position):
            return position == .unknown ? nil : position
        case .conditional(let a, let b, let c): return firstPosition(a) ?? firstPosition(b) ?? firstPosition(c)
        case .arithmetic(let a, _, let b), .comparison(let a, _, let b): return firstPosition(a) ?? firstPosition(b)
        case .call(let a, _, let rest): return ([a] + rest).lazy.compactMap(firstPosition).first
        case .list(let items): return items.lazy.compactMap(firstPosition).first
        default: return nil
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
