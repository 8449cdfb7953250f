import Foundation

/// Times in SQLite: a text value is read as a date exactly as `PQLTimestamp.parse` reads it,
/// in SQL, so comparisons with `date(...)`, `now` and `today`, `occurs` against fixed periods,
/// and `getMonth`-style parts of a field are pushed down. PostgreSQL leaves them to Swift.
extension PQLSQLCompiler {
    /// A field's time, in pieces that keep the SQL shallow (SQLite's parser stack is small):
    /// `whole` is the whole seconds since 1970 as an INTEGER (NULL when the value is not a date),
    /// `fraction` the fraction of a second, `isDay` whether it is a `YYYY-MM-DD` calendar day.
    struct SQLTime {
        var whole: String
        var fraction: String
        var isDay: String

        /// Seconds as the evaluator has them: the whole seconds plus the fraction, rounded once.
        var seconds: String { "(\(whole) + \(fraction))" }

        /// Days since 1970, rounding toward the past. The fraction never moves a value past
        /// midnight, so the whole seconds decide.
        var dayNumber: String { "(\(whole) / 86400 - (\(whole) % 86400 < 0))" }
    }

    func sqlTime(_ expression: PQLExpression) -> SQLTime? {
        guard dialect == .sqlite, case .field = expression, let field = operand(expression), field.known == nil,
            field.type.arguments.isEmpty, field.value(.text).arguments.isEmpty
        else { return nil }
        let s = field.value(.text).sql
        let t = field.type.sql
        let d = "substr(\(s), 1, 10)"
        let validDate =
            "\(t) = 'text' AND length(\(s)) >= 10 AND \(d) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
            + " AND date(\(d)) = \(d)"
            // SQLite's date() keeps February 30 as written, so the day is checked against the month's length.
            + " AND CAST(substr(\(s), 9, 2) AS INTEGER)"
            + " <= CAST(strftime('%d', substr(\(s), 1, 8) || '01', '+1 month', '-1 day') AS INTEGER)"
        let days = "CAST(julianday(\(d)) - 2440587.5 AS INTEGER)"
        // The zone's length at the end: Z (1), +HHMM (5) or +HH:MM (6); the patterns exclude each other.
        let r = "substr(\(s), 17)"
        let zl =
            "((substr(\(s), -1) IN ('Z', 'z')) + 5 * (\(r) GLOB '*[+-][0-9][0-9][0-9][0-9]')"
            + " + 6 * (\(r) GLOB '*[+-][0-9][0-9]:[0-9][0-9]'))"
        // Between the minutes and the zone: nothing, :SS, or :SS.digits.
        let b = "substr(\(s), 17, length(\(s)) - 16 - \(zl))"
        let z = "substr(\(s), length(\(s)) - \(zl) + 1)"
        let validTime =
            "substr(\(s), 11, 1) IN ('T', 't', ' ') AND substr(\(s), 12, 5) GLOB '[0-9][0-9]:[0-9][0-9]'"
            + " AND substr(\(s), 12, 2) < '24' AND substr(\(s), 15, 2) < '60'"
            + " AND (\(b) = '' OR \(b) GLOB ':[0-9][0-9]' OR (\(b) GLOB ':[0-9][0-9].[0-9]*'"
            + " AND substr(\(b), 5) NOT GLOB '*[^0-9]*'))"
            + " AND substr(\(b), 2, 2) < '61'"
            + " AND (\(zl) < 5 OR (substr(\(z), 2, 2) < '24' AND substr(\(z), \(zl) - 1, 2) < '60'))"
        let second = "CAST(substr(\(b), 2, 2) AS INTEGER)"
        let offset =
            "(\(zl) >= 5) * (1 - 2 * (substr(\(z), 1, 1) = '-'))"
            + " * (CAST(substr(\(z), 2, 2) AS INTEGER) * 3600 + CAST(substr(\(z), \(zl) - 1, 2) AS INTEGER) * 60)"
        let whole =
            "(CASE WHEN \(validDate) AND length(\(s)) = 10 THEN \(days) * 86400"
            + " WHEN \(validDate) AND \(validTime) THEN \(days) * 86400 + CAST(substr(\(s), 12, 2) AS INTEGER) * 3600"
            + " + CAST(substr(\(s), 15, 2) AS INTEGER) * 60 + \(second) - \(offset) END)"
        return SQLTime(
            whole: whole, fraction: "CAST('0' || substr(\(b), 4) AS REAL)", isDay: "(length(\(s)) = 10)")
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
        func test(_ symbol: String) -> SQLFragment {
            let byDay = "\(time.dayNumber) \(symbol) ?"
            if constant.isDay {
                return SQLFragment(sql: "(\(byDay))", arguments: [.int(constant.dayNumber)])
            }
            return SQLFragment(
                sql: "(CASE WHEN \(time.isDay) THEN \(byDay) ELSE \(time.seconds) \(symbol) ? END)",
                arguments: [.int(constant.dayNumber), .double(constant.seconds)])
        }
        switch op {
        case .equal: return definite(test("="))
        case .notEqual: return all([present(field), "(NOT " + definite(test("=")) + ")"])
        default: return definite(test(op.rawValue))
        }
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
        let instant =
            range.byDay
            ? "(\(time.dayNumber) * 86400.0)"
            : "(CASE WHEN \(time.isDay) THEN \(time.dayNumber) * 86400.0 ELSE \(time.seconds) END)"
        var alternatives: [SQLFragment] = []
        for interval in range.intervals {
            var parts: [SQLFragment] = [SQLFragment(sql: "(\(time.whole) IS NOT NULL)")]
            if let lower = interval.lower {
                parts.append(
                    SQLFragment(
                        sql: "(\(instant) \(interval.lowerInclusive ? ">=" : ">") ?)", arguments: [.double(lower)]))
            }
            if let upper = interval.upper {
                parts.append(
                    SQLFragment(
                        sql: "(\(instant) \(interval.upperInclusive ? "<=" : "<") ?)", arguments: [.double(upper)]))
            }
            alternatives.append(all(parts))
        }
        return definite(any(alternatives))
    }

    /// `field.getMonth()`, `getYear()`, `getDayOfMonth()` of the field's UTC day.
    func datePart(_ function: PQLFunction, of receiver: PQLExpression) -> Operand? {
        guard let time = sqlTime(receiver) else { return nil }
        let format = function == .getMonth ? "%m" : function == .getYear ? "%Y" : "%d"
        let value = SQLFragment(
            sql: "CAST(strftime('\(format)', \(time.dayNumber) * 86400, 'unixepoch') AS INTEGER)")
        var operand = Operand(
            type: SQLFragment(sql: "(CASE WHEN \(time.whole) IS NULL THEN NULL ELSE 'integer' END)"),
            values: [.number: value], known: nil)
        operand.numberOrNull = true
        return operand
    }
}
