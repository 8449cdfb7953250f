import Foundation

/// Translates PQL into a SQL condition over a document column and typed columns, mirroring `PQLEvaluator` exactly.
///
/// Every condition it emits is true or false, never NULL: leaves are wrapped in `COALESCE(..., false)`, so
/// `NOT` and `OR` keep two-valued logic and a missing field behaves as in the evaluator.
/// Anything it cannot translate faithfully returns nil and the caller evaluates in Swift.
struct PQLSQLCompiler {
    let column: String
    /// Paths stored in typed columns: `tN` holds `json_type(column, path)` and
    /// `vN` the value (see `SQLDialect`) for every row, so reading them parses nothing.
    var typedColumns: [[String]: Int] = [:]
    /// SQLite: per typed path, the `json_type` names its values have (the schema catalog);
    /// a path of one class needs no type test (see `Operand.onlyClass`).
    var typedKinds: [[String]: Set<String>] = [:]
    var dialect: SQLDialect = .sqlite
    /// The evaluation instant: `currentMonth()` and friends are constants of the statement.
    var now = Date(timeIntervalSince1970: 0)
    /// The store's answer to `inSegment(reference)`; see `PQL.SegmentMembershipSQL`.
    var membership: PQL.SegmentMembershipSQL?
    /// The store's ExperienceEvent table; without it, event forms are left to Swift.
    var events: PQLEventStore?
    /// Inside an event subquery: what bound names, the item and `^` stand for.
    var eventScope = PQLEventScope()
    /// PostgreSQL: a subquery reading the row's document by itself as its column `doc`
    /// (correlated), for the rare rows `objectShortcut` must look at; nil reads `column`.
    var lazyDocument: String?
    /// PostgreSQL: each typed column `vN` has `sN` (text) and `nN` (numeric) beside it,
    /// its value when it is a string or a number and NULL otherwise (see `SQLDialect`).
    var nativeValues = false
    /// Put before every typed column's name: an event subquery's are its row's
    /// (`ev1.xv3`), so no name resolves to the profile's own `v3` or another level's.
    var columnPrefix = ""
    /// PostgreSQL: the typed columns have no `tN`; their type is read off `vN`.
    var derivedTypes = false
    /// PostgreSQL: paths without a typed column that have an object mark `oN` (see `PQL.markValue`).
    var objectColumns: [[String]: Int] = [:]

    /// The names of typed column N's value, type, text and number columns.
    func v(_ number: Int) -> String { "\(columnPrefix)v\(number)" }
    func t(_ number: Int) -> String { "\(columnPrefix)t\(number)" }
    func s(_ number: Int) -> String { "\(columnPrefix)s\(number)" }
    func n(_ number: Int) -> String { "\(columnPrefix)n\(number)" }

    /// A value in SQL: its `json_type` name, its SQL value per class, plus the class when known statically.
    ///
    /// SQLite keeps one dynamically typed value; PostgreSQL needs one expression per class,
    /// each NULL unless the value is of that class, so no cast ever meets a value of another type.
    struct Operand {
        var type: SQLFragment
        var values: [ValueClass: SQLFragment]
        var known: ValueClass?

        init(type: SQLFragment, value: SQLFragment, known: ValueClass?) {
            self.type = type
            // A value known to be of one class has no value in the others (PostgreSQL's CASE
            // needs every branch of one type).
            self.values = known.map { [$0: value] } ?? [.number: value, .text: value, .bool: value]
            self.known = known
        }

        init(type: SQLFragment, values: [ValueClass: SQLFragment], known: ValueClass?) {
            self.type = type
            self.values = values
            self.known = known
        }

        /// Set when `value(.number)` is already NULL for anything but a number, so
        /// arithmetic can use it without a type test that would copy it.
        var numberOrNull = false

        func value(_ valueClass: ValueClass) -> SQLFragment { values[valueClass] ?? SQLFragment(sql: "NULL") }

        /// SQLite: the typed column `vN` the value is, which is NULL exactly when the value is
        /// missing or null, and TEXT only for a string or an array's or object's JSON text.
        var column: Int?
        /// The one class the column's values have, by the catalog: `vN` is then NULL unless
        /// the value is of that class, so a comparison of `vN` needs no type test.
        var onlyClass: ValueClass?
        /// By the catalog, the column holds arrays only (or nothing, or null).
        var onlyArrays = false
        /// A string literal's text.
        var literal: String?

        /// `vN IS NOT NULL`: the value is present and not null.
        var isSet: SQLFragment? { column.map { SQLFragment(sql: "(\(v($0)) IS NOT NULL)") } }
        /// What the typed columns' names start with (`PQLSQLCompiler.columnPrefix`).
        var columnPrefix = ""
        /// The name of typed column N's value, as the compiler that made this operand names it.
        func v(_ number: Int) -> String { "\(columnPrefix)v\(number)" }

        /// PostgreSQL: each of `values` is NULL unless the value is of that class, so a
        /// comparison or string test of it needs no class test first (it is NULL, then
        /// false, for a value of another class).
        var classSeparated = false
        /// PostgreSQL: a condition, never NULL, that the value is missing or null, read off its columns.
        var missingOrNull: SQLFragment?
    }

    /// The dialect's true and false; conditions are 1/0 in SQLite and booleans in PostgreSQL.
    var yes: SQLFragment { SQLFragment(sql: dialect == .sqlite ? "1" : "TRUE") }
    var no: SQLFragment { SQLFragment(sql: dialect == .sqlite ? "0" : "FALSE") }

    /// A NULL of the class's SQL type; PostgreSQL reads a bare NULL in a CASE as text.
    func typedNull(_ valueClass: ValueClass) -> SQLFragment {
        guard dialect == .postgresql else { return SQLFragment(sql: "NULL") }
        switch valueClass {
        case .number: return SQLFragment(sql: "CAST(NULL AS numeric)")
        case .text: return SQLFragment(sql: "CAST(NULL AS text)")
        case .bool: return SQLFragment(sql: "CAST(NULL AS boolean)")
        }
    }

    /// `COALESCE(condition, false)`.
    func definite(_ condition: SQLFragment) -> SQLFragment { "COALESCE(" + condition + ", " + no + ")" }

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

        var typeNames: Set<String> {
            switch self {
            case .number: ["integer", "real"]
            case .text: ["text"]
            case .bool: ["true", "false"]
            }
        }
    }

    private static let elementAlias = "_pql_element"

    func condition(_ expression: PQLExpression) -> SQLFragment? {
        if let form = eventCondition(expression) { return form }
        switch expression {
        case .and(let left, let right):
            guard let l = condition(left), let r = condition(right) else { return nil }
            return "(" + l + " AND " + r + ")"
        case .or:
            return disjunction(expression)
        case .not(let inner):
            guard let i = condition(inner) else { return nil }
            return "(NOT " + i + ")"
        case .comparison(let left, let comparison, let right):
            if let time = timeComparison(left, comparison, right) { return time }
            guard let l = operand(left), let r = operand(right) else { return nil }
            switch comparison {
            case .equal: return equality(l, r)
            case .notEqual: return all([present(l), present(r), "(NOT " + equality(l, r) + ")"])
            default: return ordering(l, comparison.rawValue, r)
            }
        case .isIn(let value, let items):
            guard let needle = operand(value) else { return nil }
            if needle.known == nil, let grouped = membership(needle, items) { return grouped }
            guard let alternatives = equalities(needle, items) else { return nil }
            return any(alternatives)
        case .notIn(let value, let items):
            guard let needle = operand(value), let alternatives = equalities(needle, items) else { return nil }
            return all([present(needle), "(NOT " + any(alternatives) + ")"])
        case .call(let receiver, let function, let arguments) where !function.isValued:
            return call(function, receiver, arguments)
        case .occurs(let value, let form):
            return occursCondition(value, form)
        case .occursBetween(let value, let low, let high):
            return occursBetweenCondition(value, low, high)
        case .quantifier:
            return nil
        case .inSegment(let reference, _):
            return membership?(reference)
        default:
            // A value used as a condition holds only when it is boolean true.
            guard let value = operand(expression) else { return nil }
            switch value.known {
            case .bool: return value.value(.bool)
            case .some: return no
            case nil: return definite(value.type + " = 'true'")
            }
        }
    }

    func operand(_ expression: PQLExpression) -> Operand? {
        if let form = eventOperand(expression) { return form }
        switch expression {
        case .literal(let value, _):
            switch value {
            case .string(let string):
                guard !string.utf8.contains(0) else { return nil }
                var operand = Operand(type: SQLFragment(sql: "'text'"), value: text(string), known: .text)
                operand.literal = string
                return operand
            case .int(let int):
                let value =
                    dialect == .sqlite
                    ? SQLFragment(sql: "?", arguments: [.int(int)])
                    : SQLFragment(sql: "CAST(? AS numeric)", arguments: [.int(int)])
                return Operand(type: SQLFragment(sql: "'integer'"), value: value, known: .number)
            case .double(let double):
                guard double.isFinite else { return nil }
                // PostgreSQL gets the shortest decimal that reads back as the double, as an exact numeric.
                let value =
                    dialect == .sqlite
                    ? SQLFragment(sql: "?", arguments: [.double(double)])
                    : SQLFragment(sql: "CAST(? AS numeric)", arguments: [.string("\(double)")])
                return Operand(type: SQLFragment(sql: "'real'"), value: value, known: .number)
            case .bool(let bool):
                return Operand(
                    type: SQLFragment(sql: bool ? "'true'" : "'false'"), value: bool ? yes : no, known: .bool)
            // PQL's own literals are never kept as text; a `.number` would come from elsewhere, so the Swift evaluator decides.
            case .null, .number, .array, .object:
                return nil
            }
        case .field(let path, _):
            return field(path)
        case .conditional(let test, let then, let otherwise):
            guard let c = condition(test), let a = operand(then), let b = operand(otherwise),
                !Self.tooLarge([c, a.type, b.type] + Array(a.values.values) + Array(b.values.values))
            else { return nil }
            var values: [ValueClass: SQLFragment] = [:]
            for valueClass in ValueClass.allCases {
                values[valueClass] =
                    "CASE WHEN " + c + " THEN " + (a.values[valueClass] ?? typedNull(valueClass)) + " ELSE "
                    + (b.values[valueClass] ?? typedNull(valueClass)) + " END"
            }
            return Operand(
                type: "CASE WHEN " + c + " THEN " + a.type + " ELSE " + b.type + " END",
                values: values,
                known: a.known == b.known ? a.known : nil
            )
        case .list, .date, .now, .today, .occursBetween, .select, .letIn:
            return nil
        case .call(.now, let function, _) where function.isDatePart:
            let civil = PQLTimestamp(seconds: now.timeIntervalSince1970, isDay: false).civil
            let part =
                function == .getMonth ? Int64(civil.month) : function == .getYear ? civil.year : Int64(civil.day)
            return operand(.literal(.int(part)))
        case .call(let receiver, let function, _) where function.isDatePart:
            return datePart(function, of: receiver)
        case .call(_, let function, _) where function.isValued:
            return nil
        case .arithmetic(let left, let op, let right):
            guard let l = operand(left), let r = operand(right), let a = numeric(l), let b = numeric(r),
                !Self.tooLarge([a, a, a, a, b, b, b, b])
            else { return nil }
            return arithmetic(a, op, b)
        case .comparison, .and, .or, .not, .isIn, .notIn, .call, .occurs, .inSegment, .quantifier:
            guard let c = condition(expression) else { return nil }
            return Operand(type: "CASE WHEN " + c + " THEN 'true' ELSE 'false' END", values: [.bool: c], known: .bool)
        }
    }

    /// The operand's value when it is a number, else NULL; nil when it never is.
    func numeric(_ operand: Operand) -> SQLFragment? {
        switch operand.known {
        case .number: return operand.value(.number)
        case .some: return nil
        case nil:
            if operand.numberOrNull || dialect == .postgresql || (operand.column != nil && operand.onlyClass == .number)
            {
                return operand.value(.number)
            }
            return "CASE WHEN " + operand.type + " IN \(ValueClass.number.jsonTypes) THEN " + operand.value(.number)
                + " END"
        }
    }

    /// Arithmetic as the evaluator does it: NULL (absent) when a side is not a number or a divisor is zero.
    ///
    /// SQLite computes as the evaluator: integers until they overflow, then doubles; `/` in doubles.
    /// PostgreSQL computes `+ - * %` exactly in numeric and `/` in float8 (see docs/pql.md).
    func arithmetic(_ a: SQLFragment, _ op: PQLArithmetic, _ b: SQLFragment) -> Operand {
        let value: SQLFragment
        switch (dialect, op) {
        case (_, .add), (_, .subtract), (_, .multiply):
            value = "(" + a + " \(op.rawValue) " + b + ")"
        case (.sqlite, .divide):
            value = "(CAST(" + a + " AS REAL) / NULLIF(" + b + ", 0))"
        case (.postgresql, .divide):
            // Through text, which PostgreSQL writes as the shortest decimal that reads back as the double.
            value = "CAST(CAST(CAST(" + a + " AS float8) / NULLIF(CAST(" + b + " AS float8), 0) AS text) AS numeric)"
        case (.sqlite, .remainder):
            value =
                "(CASE WHEN typeof(" + a + ") = 'integer' AND typeof(" + b + ") = 'integer' THEN " + a + " % " + b
                + " ELSE " + a + " - " + b + " * CAST(" + a + " / NULLIF(" + b + ", 0) AS INTEGER) END)"
        case (.postgresql, .remainder):
            value = "MOD(" + a + ", NULLIF(" + b + ", 0))"
        }
        let type: SQLFragment =
            dialect == .sqlite
            ? "typeof(" + value + ")"
            : "CASE WHEN " + value + " IS NULL THEN NULL WHEN scale(" + value + ") = 0 THEN 'integer' ELSE 'real' END"
        var operand = Operand(type: type, values: [.number: value], known: nil)
        operand.numberOrNull = true
        return operand
    }

    /// A string literal as a bound value.
    func text(_ string: String) -> SQLFragment {
        dialect == .sqlite
            ? SQLFragment(sql: "?", arguments: [.string(string)])
            : SQLFragment(sql: "CAST(? AS text)", arguments: [.string(string)])
    }

    /// A profile attribute: its typed columns when it has them, else the document.
    func field(_ path: [String]) -> Operand? {
        if let scoped = scopedField(path) { return scoped }
        if let number = typedColumns[path] {
            switch dialect {
            case .sqlite:
                return typedOperand(path, number)
            case .postgresql:
                let type = derivedTypes ? jsonb(SQLFragment(sql: v(number))).type : SQLFragment(sql: t(number))
                // The class is read off the jsonb itself: `tN` spells SQLite's type
                // names, which costs a CASE (and a numeric scale) per row.
                let kind = "jsonb_typeof(\(v(number)))"
                // Reading a stored text or numeric costs a fraction of decoding the jsonb.
                var operand = Operand(
                    type: type,
                    values: [
                        .number: SQLFragment(
                            sql: nativeValues
                                ? n(number) : "CASE WHEN \(kind) = 'number' THEN (\(v(number)))::numeric END"),
                        .text: SQLFragment(
                            sql: nativeValues
                                ? s(number) : "CASE WHEN \(kind) = 'string' THEN \(v(number)) #>> '{}' END"),
                        .bool: SQLFragment(sql: "CASE WHEN \(kind) = 'boolean' THEN (\(v(number)))::boolean END"),
                    ], known: nil)
                operand.classSeparated = true
                operand.missingOrNull = SQLFragment(
                    sql: "(\(v(number)) IS NULL OR \(v(number)) = 'null'::jsonb)")
                operand.columnPrefix = columnPrefix
                return operand
            }
        }
        switch dialect {
        case .sqlite:
            guard let jsonPath = Self.jsonPath(path) else { return nil }
            return Operand(
                type: documentType(path, jsonPath),
                value: SQLFragment(sql: "json_extract(\(column), \(jsonPath))"),
                known: nil
            )
        case .postgresql:
            guard !path.contains(where: { $0.utf8.contains(0) }) else { return nil }
            if let marked = objectMark(path) { return marked }
            return objectShortcut(path, jsonb(documentPath(path)))
        }
    }

    /// `jsonb_extract_path(doc, 'a', 'b')` with the keys bound, so no key is ever pasted into SQL.
    func documentPath(_ path: [String], in document: String? = nil) -> SQLFragment {
        SQLFragment(
            sql: "jsonb_extract_path(\(document ?? column)" + String(repeating: ", ?", count: path.count) + ")",
            arguments: path.map { .string($0) })
    }

    /// A PostgreSQL jsonb value as an operand, its type named as SQLite's `json_type` would.
    func jsonb(_ value: SQLFragment) -> Operand {
        let kind = "jsonb_typeof(" + value + ")"
        var operand = Operand(
            type: "CASE " + kind
                + " WHEN 'string' THEN 'text' WHEN 'number' THEN 'real' WHEN 'boolean' THEN (CASE WHEN "
                + value + " = 'true'::jsonb THEN 'true' ELSE 'false' END) ELSE " + kind + " END",
            values: [
                .number: "CASE WHEN " + kind + " = 'number' THEN (" + value + ")::numeric END",
                .text: "CASE WHEN " + kind + " = 'string' THEN " + value + " #>> '{}' END",
                .bool: "CASE WHEN " + kind + " = 'boolean' THEN (" + value + ")::boolean END",
            ], known: nil)
        operand.classSeparated = true
        return operand
    }

    private func call(_ function: PQLFunction, _ receiverExpression: PQLExpression, _ arguments: [PQLExpression])
        -> SQLFragment?
    {
        switch function {
        case .isNull, .isNotNull:
            guard let receiver = operand(receiverExpression) else { return nil }
            let isNull: SQLFragment =
                receiver.known != nil
                ? no
                : receiver.column.map { SQLFragment(sql: "(\(receiver.v($0)) IS NULL)") }
                    ?? receiver.missingOrNull
                    ?? "(COALESCE(" + receiver.type + ", 'null') = 'null')"
            return function == .isNull ? isNull : "(NOT " + isNull + ")"
        case .includes, .intersects, .supersetOf, .subsetOf:
            return arrayTest(function, receiverExpression, arguments)
        case .matches:
            if case .literal(.string(let pattern), _) = arguments[0], let plain = Self.plainText(ofPattern: pattern) {
                return stringTest(
                    plain.anchored ? .startsWith : .contains, receiverExpression,
                    [.literal(.string(plain.text))])
            }
            // SQLite calls back into Swift for the pattern (`PQL.matches`), so the
            // regular expression is the same one the evaluator compiles.
            return dialect == .sqlite ? stringTest(function, receiverExpression, arguments) : nil
        case .getMonth, .getYear:
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
        let argument = text(pattern)
        let subject = receiver.value(.text)
        // SQLite's substr and PostgreSQL's left/right count Unicode scalars, so the pattern is measured the same way.
        let length = pattern.unicodeScalars.count
        let sqlite = dialect == .sqlite
        let test: SQLFragment
        switch function {
        case .startsWith, .doesNotStartWith:
            // GLOB compares from the first character and stops at the first difference,
            // where substr would copy the prefix first.
            test =
                length == 0
                ? yes
                : sqlite
                    ? "(" + subject + " GLOB " + text(Self.globEscaped(pattern) + "*") + ")"
                    : "(left(" + subject + ", \(length)) = " + argument + ")"
        case .endsWith, .doesNotEndWith:
            // substr from the end counts every character of the value first.
            test =
                length == 0
                ? yes
                : sqlite
                    ? "(" + subject + " GLOB " + text("*" + Self.globEscaped(pattern)) + ")"
                    : "(right(" + subject + ", \(length)) = " + argument + ")"
        case .contains, .doesNotContain:
            test = "(" + (sqlite ? "instr(" : "strpos(") + subject + ", " + argument + ") > 0)"
        case .equals, .notEqualTo:
            test = "(" + subject + " = " + argument + ")"
        case .matches:
            test = "(" + PQL.matchesFunctionName + "(" + argument + ", " + subject + ") = 1)"
        case .like:
            test =
                sqlite
                ? "(" + subject + " GLOB " + text(Self.glob(fromLike: pattern)) + ")"
                : "(" + subject + " LIKE " + text(Self.escapedLike(pattern)) + ")"
        default:
            return nil
        }
        let negated = [.doesNotStartWith, .doesNotEndWith, .doesNotContain, .notEqualTo].contains(function)
        // A column of strings only is NULL for anything else, and every test here is NULL on NULL.
        let isText: SQLFragment
        if (receiver.column != nil && receiver.onlyClass == .text) || (receiver.classSeparated && test != yes) {
            isText = yes
        } else {
            guard let check = classCheck(receiver, .text) else { return no }
            isText = check
        }
        return definite(all([isText, negated ? "(NOT " + test + ")" : test]))
    }

    /// Array tests scan the field with `json_each`; elements are compared with literals only, so nothing
    /// inside the subquery can resolve a name against `json_each`'s own columns.
    func arrayTest(_ function: PQLFunction, _ receiverExpression: PQLExpression, _ arguments: [PQLExpression])
        -> SQLFragment?
    {
        guard case .field(let path, _) = receiverExpression, !Self.isShadowedInsideJSONEach(column) else { return nil }
        if let (compiler, rest) = scopedArrayTarget(path) {
            // Inside an event subquery the field is an event's, or the profile's read from there.
            guard !rest.isEmpty else { return nil }
            var target = compiler
            target.eventScope = PQLEventScope()
            target.eventScope.usage = eventScope.usage
            return target.arrayTest(function, .field(rest), arguments)
        }
        let jsonPath = Self.jsonPath(path)
        if dialect == .sqlite, jsonPath == nil, typedColumns[path] == nil { return nil }
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
        let element: Operand
        let each: SQLFragment
        let isArray: SQLFragment
        switch dialect {
        case .sqlite:
            element = Operand(
                type: SQLFragment(sql: "\(alias).type"), value: SQLFragment(sql: "\(alias).value"), known: nil)
            if let number = typedColumns[path], typedOperand(path, number).onlyArrays {
                // Arrays only, by the catalog: the column is an array's JSON text or NULL.
                each = SQLFragment(sql: "FROM json_each(\(v(number))) AS \(alias)")
                isArray = SQLFragment(sql: "\(v(number)) IS NOT NULL")
            } else if let number = typedColumns[path] {
                // The column holds the array's JSON text whenever the type says array.
                // SQLite may run the subquery before the type test, so a value that is
                // not an array is swapped for an empty one rather than parsed.
                each = SQLFragment(
                    sql: "FROM json_each(CASE WHEN \(t(number)) = 'array' THEN \(v(number)) ELSE '[]' END) AS \(alias)")
                isArray = SQLFragment(sql: "\(t(number)) = 'array'")
            } else {
                each = SQLFragment(sql: "FROM json_each(\(column), \(jsonPath!)) AS \(alias)")
                isArray = SQLFragment(sql: "json_type(\(column), \(jsonPath!)) = 'array'")
            }
        case .postgresql:
            element = jsonb(SQLFragment(sql: "\(alias).value"))
            let array: SQLFragment
            if let number = typedColumns[path] {
                array = SQLFragment(
                    sql: "CASE WHEN jsonb_typeof(\(v(number))) = 'array' THEN \(v(number)) ELSE '[]'::jsonb END")
                isArray = SQLFragment(sql: "jsonb_typeof(\(v(number))) = 'array'")
            } else {
                let value = markColumn(path).map { SQLFragment(sql: $0) } ?? documentPath(path)
                array = "CASE WHEN jsonb_typeof(" + value + ") = 'array' THEN " + value + " ELSE '[]'::jsonb END"
                isArray = "jsonb_typeof(" + value + ") = 'array'"
            }
            each = "FROM jsonb_array_elements(" + array + ") AS \(alias)(value)"
        }
        func exists(_ test: SQLFragment) -> SQLFragment { "EXISTS (SELECT 1 " + each + " WHERE " + test + ")" }
        let body: SQLFragment
        switch function {
        case _ where dialect == .postgresql && function != .subsetOf && Self.containable(itemExpressions):
            body = contained(function, itemExpressions, path)
        case .includes, .intersects:
            body = skippingArraysWithout(itemExpressions, path, exists(any(items.map { equality(element, $0) })))
        case .supersetOf:
            body = all(items.map { exists(equality(element, $0)) })
        default:
            body = "NOT " + exists("NOT " + any(items.map { equality(element, $0) }))
        }
        return definite(all([isArray, body]))
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
            guard let l = comparedCheck(left, op, right, valueClass), let r = comparedCheck(right, op, left, valueClass)
            else { continue }
            // PostgreSQL orders text by collation; the evaluator, like SQLite, by bytes.
            let collate = dialect == .postgresql && valueClass == .text && op != "=" ? " COLLATE \"C\"" : ""
            alternatives.append(
                all([l, r, "(" + left.value(valueClass) + collate + " \(op) " + right.value(valueClass) + ")"]))
        }
        if alternatives.isEmpty { return no }
        return definite(any(alternatives))
    }

    /// A test that the operand belongs to a class: true when known to, nil when known not to.
    func classCheck(_ operand: Operand, _ valueClass: ValueClass) -> SQLFragment? {
        switch operand.known {
        case valueClass: return yes
        case .some: return nil
        case nil:
            if let only = operand.onlyClass, let isSet = operand.isSet { return only == valueClass ? isSet : nil }
            return "(" + operand.type + " IN \(valueClass.jsonTypes))"
        }
    }

    func present(_ operand: Operand) -> SQLFragment {
        guard operand.known == nil else { return yes }
        if let missingOrNull = operand.missingOrNull { return "(NOT " + missingOrNull + ")" }
        return operand.isSet ?? "(COALESCE(" + operand.type + ", 'null') <> 'null')"
    }

    func all(_ parts: [SQLFragment]) -> SQLFragment {
        let kept = parts.filter { $0 != yes }
        if kept.isEmpty { return yes }
        return Self.balanced(kept[...], " AND ")
    }

    func any(_ parts: [SQLFragment]) -> SQLFragment {
        let kept = parts.filter { $0 != no }
        if kept.isEmpty { return no }
        return Self.balanced(kept[...], " OR ")
    }

    /// SQLite parses `a OR b OR c` as a chain as deep as it is long, and refuses
    /// expressions deeper than 1,000; parentheses around halves keep it logarithmic.
    static func balanced(_ parts: ArraySlice<SQLFragment>, _ separator: String) -> SQLFragment {
        if parts.count == 1 { return parts.first! }
        if parts.count <= 4 { return "(" + Array(parts).joined(separator: separator) + ")" }
        let middle = parts.startIndex + parts.count / 2
        return "(" + balanced(parts[..<middle], separator) + separator + balanced(parts[middle...], separator) + ")"
    }

    /// An `or` of many terms: equalities of one field with literals become one `IN` list
    /// per field and class, so 5,000 alternatives are a short statement, not 5,000 tests.
    private func disjunction(_ expression: PQLExpression) -> SQLFragment? {
        var terms: [PQLExpression] = []
        func flatten(_ e: PQLExpression) {
            if case .or(let a, let b) = e {
                flatten(a)
                flatten(b)
            } else {
                terms.append(e)
            }
        }
        flatten(expression)
        var parts: [SQLFragment] = []
        var groups: [[String]: [PQLExpression]] = [:]
        var order: [[String]] = []
        for term in terms {
            if case .comparison(let left, .equal, let right) = term {
                let pair: ([String], PQLExpression)? =
                    switch (left, right) {
                    case (.field(let path, _), .literal(let value, _)) where Self.listable(value): (path, right)
                    case (.literal(let value, _), .field(let path, _)) where Self.listable(value): (path, left)
                    default: nil
                    }
                if let (path, literal) = pair {
                    if groups[path] == nil { order.append(path) }
                    groups[path, default: []].append(literal)
                    continue
                }
            }
            guard let part = condition(term) else { return nil }
            parts.append(part)
        }
        for path in order {
            let literals = groups[path]!
            guard let needle = field(path) else { return nil }
            if literals.count > 1, let grouped = membership(needle, literals) {
                parts.append(grouped)
            } else {
                guard let alternatives = equalities(needle, literals) else { return nil }
                parts.append(any(alternatives))
            }
        }
        return any(parts)
    }

    private static func listable(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let string): !string.utf8.contains(0)
        case .int: true
        case .double(let double): double.isFinite
        default: false
        }
    }

    /// `needle IN (...)` per class for literal items, or nil when an item is not a plain literal.
    private func membership(_ needle: Operand, _ items: [PQLExpression]) -> SQLFragment? {
        var byClass: [ValueClass: [SQLFragment]] = [:]
        for item in items {
            guard case .literal(let value, _) = item, Self.listable(value), let literal = operand(item),
                let valueClass = literal.known
            else { return nil }
            byClass[valueClass, default: []].append(literal.value(valueClass))
        }
        var alternatives: [SQLFragment] = []
        for valueClass in ValueClass.allCases {
            guard let values = byClass[valueClass] else { continue }
            let texts = items.compactMap { item -> String? in
                if case .literal(.string(let string), _) = item { return string }
                return nil
            }
            guard let isClass = listCheck(needle, valueClass, texts: texts) else { continue }
            // Lists of at most 500 keep each IN a size SQLite and PostgreSQL plan quickly.
            var start = 0
            while start < values.count {
                let chunk = values[start..<min(start + 500, values.count)]
                alternatives.append(
                    all([
                        isClass, "(" + needle.value(valueClass) + " IN (" + Array(chunk).joined(separator: ", ") + "))",
                    ]))
                start += 500
            }
        }
        return definite(any(alternatives))
    }

    /// Forms that copy their operands stop once the copies would pass the length
    /// limit, so nested `if`s can't grow the SQL exponentially before it is measured.
    static func tooLarge(_ parts: [SQLFragment]) -> Bool {
        parts.reduce(0) { $0 + $1.sql.utf8.count } > PQL.maximumSQLLength
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

    /// A `like` pattern for PostgreSQL's LIKE, which is case-sensitive but reads a backslash as its escape.
    static func escapedLike(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: "\\", with: "\\\\")
    }

    /// Rewrites a `like` pattern for GLOB, which is case-sensitive like the evaluator (SQL LIKE folds ASCII case).
    static func glob(fromLike pattern: String) -> String {
        var glob = ""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "%": glob += "*"
            case "_": glob += "?"
            default: glob += globEscaped(String(scalar))
            }
        }
        return glob
    }

    /// Text that GLOB matches only as itself: its wildcards in brackets.
    static func globEscaped(_ text: String) -> String {
        var glob = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "*", "?", "[": glob += "[\(scalar)]"
            default: glob.unicodeScalars.append(scalar)
            }
        }
        return glob
    }
}
