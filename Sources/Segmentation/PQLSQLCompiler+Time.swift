import Foundation

/// Times in SQL: a field's text is read as a date by `ferry_pql_time(value, part)`, which
/// both stores provide (see `PQL.timeFunctionName`) with the evaluator's own parser or its
/// exact copy, so comparisons with `date(...)`, `now` and `today`, `occurs` against fixed
/// periods, `occurs between` and `getMonth`-style parts of a field are pushed down.
extension PQLSQLCompiler {
    /// A field's time: each part is one call of `ferry_pql_time`, NULL when the value is not a date.
    struct SQLTime {
        /// The field's value when it is text.
        var text: SQLFragment
        var dialect: SQLDialect

        func part(_ part: PQL.TimePart) -> SQLFragment {
            "\(PQL.timeFunctionName)(" + text + ", \(part.rawValue))"
        }

        /// Whether a value that is a date is a calendar day (`YYYY-MM-DD`, nothing after):
        /// the only dates ten characters long.
        var isDay: SQLFragment { "(length(" + text + ") = 10)" }
    }

    func sqlTime(_ expression: PQLExpression) -> SQLTime? {
        guard case .field = expression, let field = operand(expression), field.known == nil else { return nil }
        return SQLTime(text: field.value(.text), dialect: dialect)
    }

    /// A time known when compiling: `date(...)`, `now`, `today`.
    func constantTime(_ expression: PQLExpression) -> PQLTimestamp? {
        let instant = PQLTimestamp(seconds: now.timeIntervalSince1970, isDay: false)
        switch expression {
        case .date(let year, let month, let day): return .day(year: year, month: month, day: day)
        case .now: return instant
        case .today: return PQLTimestamp(seconds: Double(instant.dayNumber) * 86_400, isDay: true)
        default: return nil
        }
    }

    /// `field op time` (either side) as the evaluator orders times: by day when either is a day.
    func timeComparison(_ left: PQLExpression, _ comparison: PQLComparison, _ right: PQLExpression)
        -> SQLFragment?
    {
        var op = comparison
        let fieldSide: PQLExpression
        let constant: PQLTimestamp
        if let c = constantTime(right) {
            fieldSide = left
            constant = c
        } else if let c = constantTime(left) {
            fieldSide = right
            constant = c
            switch comparison {
            case .less: op = .greater
            case .lessOrEqual: op = .greaterOrEqual
            case .greater: op = .less
            case .greaterOrEqual: op = .lessOrEqual
            default: break
            }
        } else {
            return nil
        }
        guard let time = sqlTime(fieldSide), let field = operand(fieldSide) else { return nil }
        let equal = timeTest(time, "=", [constant])
        switch op {
        case .equal: return definite(equal)
        case .notEqual: return all([present(field), "(NOT " + definite(equal) + ")"])
        default: return definite(timeTest(time, op.rawValue, [constant]))
        }
    }

    /// `time op constant`, or with two constants `time BETWEEN first AND second`, in the
    /// evaluator's order of times: by day when either side is a day, else by the second.
    /// The value is read by one call per row: SQLite evaluates BETWEEN's left side once.
    private func timeTest(_ time: SQLTime, _ op: String, _ constants: [PQLTimestamp]) -> SQLFragment {
        func test(_ value: SQLFragment, _ arguments: [SQLArgument]) -> SQLFragment {
            let bounds = arguments.count == 2 ? " BETWEEN ? AND ?" : " \(op) ?"
            return "(" + value + SQLFragment(sql: bounds, arguments: arguments) + ")"
        }
        let days = constants.map { SQLArgument.int($0.dayNumber) }
        // PostgreSQL evaluates BETWEEN's left side twice, a plpgsql call each; a range
        // of whole days takes the day number once (always a whole number).
        let byDay =
            dialect == .postgresql && days.count == 2
            ? "(int8range(" + SQLFragment(sql: "CAST(? AS bigint), CAST(? AS bigint)", arguments: days)
                + ", '[]') @> CAST(" + time.part(.day) + " AS bigint))"
            : test(time.part(.day), days)
        if constants.contains(where: \.isDay) {
            let days = constants.map(\.dayNumber)
            guard dialect == .postgresql, let window = dayWindow(time.text, op, days) else {
                return byDay
            }
            return "(" + window + " AND " + (plainDayTest(time.text, op, days, otherwise: byDay) ?? byDay) + ")"
        }
        return "(CASE WHEN " + time.isDay + " THEN " + byDay + " ELSE "
            + test(time.part(.seconds), constants.map { .double($0.seconds) }) + " END)"
    }

    /// PostgreSQL: a test of the text alone that every value whose day satisfies `day op
    /// days` passes, so most rows skip the plpgsql call. A date's text starts with its
    /// `YYYY-MM-DD` (the grammar's only form), and its UTC day is within one of that
    /// date (an offset is under 24 hours); so a day in [low, high] needs text from
    /// `low - 1` up to, not including, `high + 2`, in byte order. Nil when nothing is ruled out.
    func dayWindow(_ text: SQLFragment, _ op: String, _ days: [Int64]) -> SQLFragment? {
        var low: Int64?
        var high: Int64?
        switch (op, days.count) {
        case ("BETWEEN", 2): (low, high) = (days[0], days[1])
        case ("=", 1): (low, high) = (days[0], days[0])
        case ("<", 1): high = days[0] - 1
        case ("<=", 1): high = days[0]
        case (">", 1): low = days[0] + 1
        case (">=", 1): low = days[0]
        default: return nil
        }
        var parts: [SQLFragment] = []
        if let low, let bound = Self.spelled(low - 1) {
            parts.append("(" + text + SQLFragment(sql: " COLLATE \"C\" >= ?)", arguments: [.string(bound)]))
        }
        if let high, let bound = Self.spelled(high + 2) {
            parts.append("(" + text + SQLFragment(sql: " COLLATE \"C\" < ?)", arguments: [.string(bound)]))
        }
        return parts.isEmpty ? nil : all(parts)
    }

    /// The text of a day, or nil past the four-digit years the grammar reads.
    static func spelled(_ day: Int64) -> String? {
        let civil = PQLTimestamp(seconds: Double(day) * 86_400, isDay: true).civil
        guard (0...9999).contains(civil.year) else { return nil }
        return String(format: "%04d-%02d-%02d", Int(civil.year), civil.month, civil.day)
    }

    /// PostgreSQL: `day op days` without the plpgsql call for a column holding a plain
    /// `YYYY-MM-DD` whose day of the month is at most 28. Such text is always a valid
    /// date, and its day orders as its bytes do, so it is compared as text; other
    /// forms, the 29th to the 31st and malformed text still go to `otherwise`. The
    /// call cost about 5 µs per row in the date window (`eighties`: 150k rows of 1M).
    /// Nil for an expression rather than a column, which would be computed five times.
    func plainDayTest(_ text: SQLFragment, _ op: String, _ days: [Int64], otherwise: SQLFragment) -> SQLFragment? {
        guard text.arguments.isEmpty, !text.sql.isEmpty,
            text.sql.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { return nil }
        let bounds = days.compactMap { Self.spelled($0).map(SQLArgument.string) }
        guard bounds.count == days.count else { return nil }
        let comparison: SQLFragment
        switch (op, bounds.count) {
        case ("BETWEEN", 2): comparison = text + SQLFragment(sql: " COLLATE \"C\" BETWEEN ? AND ?", arguments: bounds)
        case ("=", 1), ("<", 1), ("<=", 1), (">", 1), (">=", 1):
            comparison = text + SQLFragment(sql: " COLLATE \"C\" \(op) ?", arguments: bounds)
        default: return nil
        }
        let column = text.sql
        let plain =
            "\(column) LIKE '____-__-__' AND translate(\(column), '0123456789', '') = '--' "
            + "AND substr(\(column), 6, 2) COLLATE \"C\" BETWEEN '01' AND '12' "
            + "AND substr(\(column), 9, 2) COLLATE \"C\" BETWEEN '01' AND '28'"
        return "(CASE WHEN " + SQLFragment(sql: plain, arguments: []) + " THEN " + comparison + " ELSE " + otherwise
            + " END)"
    }

    /// `field occurs between low and high`: both bounds in one test when they are both days
    /// or both instants; else one comparison per bound.
    func occursBetweenCondition(_ value: PQLExpression, _ low: PQLExpression, _ high: PQLExpression)
        -> SQLFragment?
    {
        if let lower = constantTime(low), let upper = constantTime(high), lower.isDay == upper.isDay,
            let time = sqlTime(value)
        {
            return definite(timeTest(time, "BETWEEN", [lower, upper]))
        }
        guard let lower = timeComparison(value, .greaterOrEqual, low),
            let upper = timeComparison(value, .lessOrEqual, high)
        else { return nil }
        return all([lower, upper])
    }

    /// `field occurs ...` against a period fixed at compile time.
    func occursCondition(_ value: PQLExpression, _ form: PQLOccurs) -> SQLFragment? {
        guard let time = sqlTime(value) else { return nil }
        guard
            let range = PQLPeriods(now: now).range(
                form,
                // Only literal dates resolve here; a field as the period keeps the segment in Swift.
                resolve: { expression in
                    if case .date(let year, let month, let day) = expression {
                        return .day(year: year, month: month, day: day)
                    }
                    return nil
                })
        else { return nil }
        let instant = time.part(range.byDay ? .dayStart : .instant)
        var alternatives: [SQLFragment] = []
        for interval in range.intervals {
            // The instant is a double in both dialects, so an open bound is the closed one
            // next to it, and an interval is one BETWEEN that reads the value once.
            let lower = interval.lower.map { interval.lowerInclusive ? $0 : $0.nextUp }
            let upper = interval.upper.map { interval.upperInclusive ? $0 : $0.nextDown }
            switch (lower, upper) {
            case (let lower?, let upper?):
                alternatives.append(
                    "(" + instant + SQLFragment(sql: " BETWEEN ? AND ?)", arguments: [.double(lower), .double(upper)]))
            case (let lower?, nil):
                alternatives.append("(" + instant + SQLFragment(sql: " >= ?)", arguments: [.double(lower)]))
            case (nil, let upper?):
                alternatives.append("(" + instant + SQLFragment(sql: " <= ?)", arguments: [.double(upper)]))
            case (nil, nil):
                alternatives.append("(" + instant + " IS NOT NULL)")
            }
        }
        return definite(any(alternatives))
    }

    /// `field.getMonth()`, `getYear()`, `getDayOfMonth()` of the field's UTC day.
    func datePart(_ function: PQLFunction, of receiver: PQLExpression) -> Operand? {
        guard let time = sqlTime(receiver) else { return nil }
        let part = time.part(function == .getMonth ? .month : function == .getYear ? .year : .dayOfMonth)
        let value = dialect == .sqlite ? part : "CAST(" + part + " AS numeric)"
        var operand = Operand(
            type: "(CASE WHEN " + part + " IS NULL THEN NULL ELSE 'integer' END)", values: [.number: value],
            known: nil)
        operand.numberOrNull = true
        return operand
    }
}
