import Foundation

/// Translates PQL into a SQLite condition over a JSON text column, mirroring `PQLEvaluator` exactly.
///
/// Every condition it emits is 0 or 1, never NULL: leaves are wrapped in `COALESCE(..., 0)`, so
/// `NOT` and `OR` keep two-valued logic and a missing field behaves as in the evaluator.
/// Anything it cannot translate faithfully returns nil and the caller evaluates in Swift.
struct PQLSQLCompiler {
    let column: String
    /// Paths stored in typed columns: `tN` holds `json_type(column, path)` and
    /// `vN` `json_extract(column, path)` for every row, so reading them parses nothing.
    var typedColumns: [[String]: Int] = [:]

    /// A value in SQL: its `json_type` name and its SQL value, plus the class when known statically.
    struct Operand {
        var type: SQLFragment
        var value: SQLFragment
        var known: ValueClass?
    }

    /// The classes whose members the evaluator can compare with each other.
    enum ValueClass: CaseIterable {
        case number, text, bool

        var jsonTypes: String {
            switch self {
            case .number: "('integer','real')"
            case .text: "('text')"
            case .bool: "('true','false')"
            }
        }
    }

    private static let elementAlias = "_pql_element"

    func condition(_ expression: PQLExpression) -> SQLFragment? {
        switch expression {
        case .and(let left, let right):
            guard let l = condition(left), let r = condition(right) else { return nil }
            return "(" + l + " AND " + r + ")"
        case .or(let left, let right):
            guard let l = condition(left), let r = condition(right) else { return nil }
            return "(" + l + " OR " + r + ")"
        case .not(let inner):
            guard let i = condition(inner) else { return nil }
            return "(NOT " + i + ")"
        case .comparison(let left, let comparison, let right):
            guard let l = operand(left), let r = operand(right) else { return nil }
            switch comparison {
            case .equal: return equality(l, r)
            case .notEqual: return all([present(l), present(r), "(NOT " + equality(l, r) + ")"])
            default: return ordering(l, comparison.rawValue, r)
            }
        case .isIn(let value, let items):
            guard let needle = operand(value), let alternatives = equalities(needle, items) else { return nil }
            return any(alternatives)
        case .notIn(let value, let items):
            guard let needle = operand(value), let alternatives = equalities(needle, items) else { return nil }
            return all([present(needle), "(NOT " + any(alternatives) + ")"])
        case .call(let receiver, let function, let arguments) where function != .getMonth && function != .getYear:
            return call(function, receiver, arguments)
        case .occursBetween:
            return nil
        default:
            // A value used as a condition holds only when it is boolean true.
            guard let value = operand(expression) else { return nil }
            switch value.known {
            case .bool: return value.value
            case .some: return SQLFragment(sql: "0")
            case nil: return "COALESCE(" + value.type + " = 'true', 0)"
            }
        }
    }

    func operand(_ expression: PQLExpression) -> Operand? {
        switch expression {
        case .literal(let value, _):
            switch value {
            case .string(let string):
                guard !string.utf8.contains(0) else { return nil }
                return Operand(
                    type: SQLFragment(sql: "'text'"), value: SQLFragment(sql: "?", arguments: [.string(string)]),
                    known: .text)
            case .int(let int):
                return Operand(
                    type: SQLFragment(sql: "'integer'"), value: SQLFragment(sql: "?", arguments: [.int(int)]),
                    known: .number)
            case .double(let double):
                guard double.isFinite else { return nil }
                return Operand(
                    type: SQLFragment(sql: "'real'"), value: SQLFragment(sql: "?", arguments: [.double(double)]),
                    known: .number)
            case .bool(let bool):
                return Operand(
                    type: SQLFragment(sql: bool ? "'true'" : "'false'"), value: SQLFragment(sql: bool ? "1" : "0"),
                    known: .bool)
            // PQL's own literals are never kept as text; a `.number` would come from elsewhere, so the Swift evaluator decides.
            case .null, .number, .array, .object:
                return nil
            }
        case .field(let path, _):
            if let number = typedColumns[path] {
                return Operand(
                    type: SQLFragment(sql: "t\(number)"), value: SQLFragment(sql: "v\(number)"), known: nil)
            }
            guard let jsonPath = Self.jsonPath(path) else { return nil }
            return Operand(
                type: SQLFragment(sql: "json_type(\(column), \(jsonPath))"),
                value: SQLFragment(sql: "json_extract(\(column), \(jsonPath))"),
                known: nil
            )
        case .conditional(let test, let then, let otherwise):
            guard let c = condition(test), let a = operand(then), let b = operand(otherwise) else { return nil }
            return Operand(
                type: "CASE WHEN " + c + " THEN " + a.type + " ELSE " + b.type + " END",
                value: "CASE WHEN " + c + " THEN " + a.value + " ELSE " + b.value + " END",
                known: a.known == b.known ? a.known : nil
            )
        case .list, .date, .now, .today, .occursBetween:
            return nil
        case .call(_, let function, _) where function == .getMonth || function == .getYear:
            return nil
        case .comparison, .and, .or, .not, .isIn, .notIn, .call:
            guard let c = condition(expression) else { return nil }
            return Operand(type: "CASE WHEN " + c + " THEN 'true' ELSE 'false' END", value: c, known: .bool)
        }
    }

    private func call(_ function: PQLFunction, _ receiverExpression: PQLExpression, _ arguments: [PQLExpression])
        -> SQLFragment?
    {
        switch function {
        case .isNull, .isNotNull:
            guard let receiver = operand(receiverExpression) else { return nil }
            let isNull: SQLFragment =
                receiver.known == nil ? "(COALESCE(" + receiver.type + ", 'null') = 'null')" : SQLFragment(sql: "0")
            return function == .isNull ? isNull : "(NOT " + isNull + ")"
        case .includes, .intersects, .supersetOf, .subsetOf:
            return arrayTest(function, receiverExpression, arguments)
        case .matches, .getMonth, .getYear:
            return nil
        default:
            return stringTest(function, receiverExpression, arguments)
        }
    }

    /// String tests push down only case-sensitive forms with a literal pattern; SQLite's `lower()` folds ASCII only.
    private func stringTest(_ function: PQLFunction, _ receiverExpression: PQLExpression, _ arguments: [PQLExpression])
        -> SQLFragment?
    {
        guard let receiver = operand(receiverExpression),
            case .literal(.string(let pattern), _) = arguments[0], !pattern.utf8.contains(0)
        else { return nil }
        if arguments.count == 2 {
            guard case .literal(.bool(true), _) = arguments[1] else { return nil }
        }
        let argument = SQLArgument.string(pattern)
        let subject = receiver.value
        // SQLite's substr and length count Unicode scalars, so the pattern is measured the same way.
        let length = pattern.unicodeScalars.count
        let test: SQLFragment
        switch function {
        case .startsWith, .doesNotStartWith:
            test =
                length == 0
                ? SQLFragment(sql: "1")
                : "(substr(" + subject + ", 1, \(length)) = ?)" + SQLFragment(sql: "", arguments: [argument])
        case .endsWith, .doesNotEndWith:
            test =
                length == 0
                ? SQLFragment(sql: "1")
                : "(substr(" + subject + ", -\(length)) = ?)" + SQLFragment(sql: "", arguments: [argument])
        case .contains, .doesNotContain:
            test = "(instr(" + subject + ", ?) > 0)" + SQLFragment(sql: "", arguments: [argument])
        case .equals, .notEqualTo:
            test = "(" + subject + " = ?)" + SQLFragment(sql: "", arguments: [argument])
        case .like:
            test = "(" + subject + " GLOB ?)" + SQLFragment(sql: "", arguments: [.string(Self.glob(fromLike: pattern))])
        default:
            return nil
        }
        let negated = [.doesNotStartWith, .doesNotEndWith, .doesNotContain, .notEqualTo].contains(function)
        guard let isText = classCheck(receiver, .text) else { return SQLFragment(sql: "0") }
        return "COALESCE(" + all([isText, negated ? "(NOT " + test + ")" : test]) + ", 0)"
    }

    /// Array tests scan the field with `json_each`; elements are compared with literals only, so nothing
    /// inside the subquery can resolve a name against `json_each`'s own columns.
    private func arrayTest(_ function: PQLFunction, _ receiverExpression: PQLExpression, _ arguments: [PQLExpression])
        -> SQLFragment?
    {
        guard case .field(let path, _) = receiverExpression, let jsonPath = Self.jsonPath(path),
            !Self.isShadowedInsideJSONEach(column)
        else { return nil }
        let itemExpressions: [PQLExpression]
        if function == .includes {
            itemExpressions = [arguments[0]]
        } else {
            guard case .list(let list) = arguments[0] else { return nil }
            itemExpressions = list
        }
        var items: [Operand] = []
        for expression in itemExpressions {
            guard case .literal = expression, let item = operand(expression) else { return nil }
            items.append(item)
        }
        let alias = Self.elementAlias
        let element = Operand(
            type: SQLFragment(sql: "\(alias).type"), value: SQLFragment(sql: "\(alias).value"), known: nil)
        var each = "FROM json_each(\(column), \(jsonPath)) AS \(alias)"
        var isArray = SQLFragment(sql: "json_type(\(column), \(jsonPath)) = 'array'")
        if let number = typedColumns[path] {
            // The column holds the array's JSON text whenever the type says array.
            // SQLite may run the subquery before the type test, so a value that is
            // not an array is swapped for an empty one rather than parsed.
            each = "FROM json_each(CASE WHEN t\(number) = 'array' THEN v\(number) ELSE '[]' END) AS \(alias)"
            isArray = SQLFragment(sql: "t\(number) = 'array'")
        }
        func exists(_ test: SQLFragment) -> SQLFragment { "EXISTS (SELECT 1 \(each) WHERE " + test + ")" }
        let body: SQLFragment
        switch function {
        case .includes, .intersects:
            body = exists(any(items.map { equality(element, $0) }))
        case .supersetOf:
            body = all(items.map { exists(equality(element, $0)) })
        default:
            body = "NOT " + exists("NOT " + any(items.map { equality(element, $0) }))
        }
        return "COALESCE(" + all([isArray, body]) + ", 0)"
    }

    private func equalities(_ needle: Operand, _ items: [PQLExpression]) -> [SQLFragment]? {
        var alternatives: [SQLFragment] = []
        for item in items {
            guard let value = operand(item) else { return nil }
            alternatives.append(equality(needle, value))
        }
        return alternatives
    }

    /// `a = b` as the evaluator means it: same class, then SQLite's `=`, which compares numbers exactly and text by bytes.
    private func equality(_ left: Operand, _ right: Operand) -> SQLFragment {
        compared(left, "=", right, classes: ValueClass.allCases)
    }

    private func ordering(_ left: Operand, _ op: String, _ right: Operand) -> SQLFragment {
        compared(left, op, right, classes: [.number, .text])
    }

    private func compared(_ left: Operand, _ op: String, _ right: Operand, classes: [ValueClass]) -> SQLFragment {
        var alternatives: [SQLFragment] = []
        for valueClass in classes {
            guard let l = classCheck(left, valueClass), let r = classCheck(right, valueClass) else { continue }
            alternatives.append(all([l, r, "(" + left.value + " \(op) " + right.value + ")"]))
        }
        if alternatives.isEmpty { return SQLFragment(sql: "0") }
        return "COALESCE(" + any(alternatives) + ", 0)"
    }

    /// A test that the operand belongs to a class: "1" when known to, nil when known not to.
    private func classCheck(_ operand: Operand, _ valueClass: ValueClass) -> SQLFragment? {
        switch operand.known {
        case valueClass: SQLFragment(sql: "1")
        case .some: nil
        case nil: "(" + operand.type + " IN \(valueClass.jsonTypes))"
        }
    }

    private func present(_ operand: Operand) -> SQLFragment {
        operand.known == nil ? "(COALESCE(" + operand.type + ", 'null') <> 'null')" : SQLFragment(sql: "1")
    }

    private func all(_ parts: [SQLFragment]) -> SQLFragment {
        let kept = parts.filter { $0.sql != "1" }
        if kept.isEmpty { return SQLFragment(sql: "1") }
        return kept.count == 1 ? kept[0] : "(" + kept.joined(separator: " AND ") + ")"
    }

    private func any(_ parts: [SQLFragment]) -> SQLFragment {
        let kept = parts.filter { $0.sql != "0" }
        if kept.isEmpty { return SQLFragment(sql: "0") }
        return kept.count == 1 ? kept[0] : "(" + kept.joined(separator: " OR ") + ")"
    }

    /// Inside `json_each(...)` an unqualified name like `json` or `value` resolves to the table-valued
    /// function's own columns, not the caller's, so such a column name can't be used there.
    static func isShadowedInsideJSONEach(_ column: String) -> Bool {
        guard !column.contains(".") else { return false }
        let name = column.trimmingCharacters(in: ["\"", "`", "[", "]"]).lowercased()
        return ["key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"].contains(name)
    }

    /// A quoted SQL string literal for the JSON path, e.g. `'$."person"."name"'`; nil for keys SQLite's path syntax can't quote.
    static func jsonPath(_ keys: [String]) -> String? {
        var path = "$"
        for key in keys {
            guard !key.contains("\""), !key.contains("\\"), !key.utf8.contains(0) else { return nil }
            path += ".\"\(key)\""
        }
        return "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    /// Rewrites a `like` pattern for GLOB, which is case-sensitive like the evaluator (SQL LIKE folds ASCII case).
    static func glob(fromLike pattern: String) -> String {
        var glob = ""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "%": glob += "*"
            case "_": glob += "?"
            case "*", "?", "[": glob += "[\(scalar)]"
            default: glob.unicodeScalars.append(scalar)
            }
        }
        return glob
    }
}
