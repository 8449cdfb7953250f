import Foundation

/// The reference semantics of PQL over one profile; `PQL.sqliteWhere` must agree with it exactly.
///
/// A missing field and a JSON null are the same "absent" value: every comparison with it is
/// false, including `!=`, so only `isNull`, `not` and `notIn`-style negations can select it.
struct PQLEvaluator {
    let profile: JSONValue
    let now: Date

    /// A value during evaluation; dates live outside JSON because they only come from `date()`, `now` and `today`.
    enum Operand: Equatable {
        case absent
        case value(JSONValue)
        case time(PQLTimestamp)

        init(_ json: JSONValue) {
            switch json {
            case .null: self = .absent
            // A literal kept exactly for storage compares by its nearest Double, as SQLite's json_extract does.
            case .number: self = .value(.double(json.doubleValue ?? .nan))
            default: self = .value(json)
            }
        }

        var isPresent: Bool { self != .absent }
    }

    func isTrue(_ expression: PQLExpression) -> Bool {
        switch expression {
        case .and(let left, let right):
            return isTrue(left) && isTrue(right)
        case .or(let left, let right):
            return isTrue(left) || isTrue(right)
        case .not(let inner):
            return !isTrue(inner)
        case .comparison(let left, let comparison, let right):
            return compare(operand(left), comparison, operand(right))
        case .isIn(let value, let items):
            let needle = operand(value)
            return items.contains { Self.equal(needle, operand($0)) }
        case .notIn(let value, let items):
            let needle = operand(value)
            return needle.isPresent && !items.contains { Self.equal(needle, operand($0)) }
        case .occursBetween(let value, let low, let high):
            let subject = operand(value)
            guard let fromLow = Self.order(subject, operand(low)), let fromHigh = Self.order(subject, operand(high))
            else { return false }
            return fromLow >= 0 && fromHigh <= 0
        case .call(let receiver, let function, let arguments) where function != .getMonth && function != .getYear:
            return call(function, on: operand(receiver), arguments)
        default:
            return operand(expression) == .value(.bool(true))
        }
    }

    func operand(_ expression: PQLExpression) -> Operand {
        switch expression {
        case .literal(let value, _):
            return Operand(value)
        case .field(let path, _):
            return profile[path: path].map(Operand.init) ?? .absent
        case .list(let items):
            return .value(
                .array(
                    items.map { item in
                        if case .value(let json) = operand(item) { json } else { .null }
                    }))
        case .date(let year, let month, let day):
            return .time(.day(year: year, month: month, day: day))
        case .now:
            return .time(PQLTimestamp(seconds: now.timeIntervalSince1970, isDay: false))
        case .today:
            let instant = PQLTimestamp(seconds: now.timeIntervalSince1970, isDay: false)
            return .time(PQLTimestamp(seconds: Double(instant.dayNumber) * 86_400, isDay: true))
        case .conditional(let condition, let then, let otherwise):
            return isTrue(condition) ? operand(then) : operand(otherwise)
        case .call(let receiver, let function, _) where function == .getMonth || function == .getYear:
            guard let timestamp = Self.timestamp(operand(receiver)) else { return .absent }
            let civil = timestamp.civil
            return .value(.int(function == .getMonth ? Int64(civil.month) : civil.year))
        default:
            return .value(.bool(isTrue(expression)))
        }
    }

    private func compare(_ left: Operand, _ comparison: PQLComparison, _ right: Operand) -> Bool {
        switch comparison {
        case .equal: return Self.equal(left, right)
        case .notEqual: return left.isPresent && right.isPresent && !Self.equal(left, right)
        case .less: return Self.order(left, right).map { $0 < 0 } ?? false
        case .lessOrEqual: return Self.order(left, right).map { $0 <= 0 } ?? false
        case .greater: return Self.order(left, right).map { $0 > 0 } ?? false
        case .greaterOrEqual: return Self.order(left, right).map { $0 >= 0 } ?? false
        }
    }

    private func call(_ function: PQLFunction, on receiver: Operand, _ arguments: [PQLExpression]) -> Bool {
        switch function {
        case .isNull: return !receiver.isPresent
        case .isNotNull: return receiver.isPresent
        case .includes:
            guard case .value(.array(let elements)) = receiver else { return false }
            let needle = operand(arguments[0])
            return elements.contains { Self.equal(Operand($0), needle) }
        case .intersects, .supersetOf, .subsetOf:
            guard case .value(.array(let elements)) = receiver, let items = members(of: arguments[0]) else {
                return false
            }
            let mine = elements.map(Operand.init)
            switch function {
            case .intersects: return mine.contains { element in items.contains { Self.equal(element, $0) } }
            case .supersetOf: return items.allSatisfy { item in mine.contains { Self.equal($0, item) } }
            default: return mine.allSatisfy { element in items.contains { Self.equal(element, $0) } }
            }
        case .getMonth, .getYear:
            return false
        default:
            guard case .value(.string(var subject)) = receiver,
                case .value(.string(var pattern)) = operand(arguments[0])
            else { return false }
            if arguments.count == 2, operand(arguments[1]) == .value(.bool(false)) {
                subject = subject.lowercased()
                pattern = pattern.lowercased()
            }
            return Self.stringTest(function, subject, pattern)
        }
    }

    /// The items of a list literal, or of an array-valued expression.
    private func members(of expression: PQLExpression) -> [Operand]? {
        if case .list(let items) = expression { return items.map(operand) }
        if case .value(.array(let elements)) = operand(expression) { return elements.map(Operand.init) }
        return nil
    }

    /// String tests work on UTF-8 bytes, as SQLite does, so canonically equivalent spellings stay distinct.
    static func stringTest(_ function: PQLFunction, _ subject: String, _ pattern: String) -> Bool {
        let bytes = Array(subject.utf8)
        let needle = Array(pattern.utf8)
        switch function {
        case .startsWith: return bytes.starts(with: needle)
        case .doesNotStartWith: return !bytes.starts(with: needle)
        case .endsWith: return bytes.reversed().starts(with: needle.reversed())
        case .doesNotEndWith: return !bytes.reversed().starts(with: needle.reversed())
        case .contains: return contains(bytes, needle)
        case .doesNotContain: return !contains(bytes, needle)
        case .equals: return bytes == needle
        case .notEqualTo: return bytes != needle
        case .like: return like(Array(subject.unicodeScalars)[...], Array(pattern.unicodeScalars)[...])
        case .matches:
            guard let regex = RegexCache.shared.regex(pattern) else { return false }
            return regex.firstMatch(in: subject, range: NSRange(subject.startIndex..., in: subject)) != nil
        default: return false
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    /// `%` matches any run of characters and `_` exactly one; characters are Unicode scalars, as in SQLite's GLOB.
    static func like(_ subject: ArraySlice<Unicode.Scalar>, _ pattern: ArraySlice<Unicode.Scalar>) -> Bool {
        var s = subject.startIndex, p = pattern.startIndex
        var starPattern: Int?
        var starSubject = 0
        while s < subject.endIndex {
            if p < pattern.endIndex, pattern[p] == "%" {
                starPattern = p
                starSubject = s
                p += 1
            } else if p < pattern.endIndex, pattern[p] == "_" || pattern[p] == subject[s] {
                s += 1
                p += 1
            } else if let star = starPattern {
                p = star + 1
                starSubject += 1
                s = starSubject
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == "%" { p += 1 }
        return p == pattern.endIndex
    }

    /// Equality: numbers numerically, strings by bytes, booleans, and dates against ISO-8601 strings.
    static func equal(_ left: Operand, _ right: Operand) -> Bool {
        if case .value(.bool(let a)) = left, case .value(.bool(let b)) = right { return a == b }
        return order(left, right) == 0
    }

    /// Ordering of numbers, strings and dates; nil when the two can't be ordered, which makes every comparison false.
    static func order(_ left: Operand, _ right: Operand) -> Int? {
        switch (left, right) {
        case (.value(let a), .value(let b)):
            switch (a, b) {
            case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
            case (.double(let x), .double(let y)): return x < y ? -1 : (x == y ? 0 : 1)
            case (.int(let x), .double(let y)): return compare(x, y)
            case (.double(let x), .int(let y)): return compare(y, x).map { -$0 }
            case (.string(let x), .string(let y)):
                if x.utf8.elementsEqual(y.utf8) { return 0 }
                return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
            default: return nil
            }
        case (.time, _), (_, .time):
            guard let x = timestamp(left), let y = timestamp(right) else { return nil }
            if x.isDay || y.isDay {
                return x.dayNumber < y.dayNumber ? -1 : (x.dayNumber == y.dayNumber ? 0 : 1)
            }
            return x.seconds < y.seconds ? -1 : (x.seconds == y.seconds ? 0 : 1)
        default:
            return nil
        }
    }

    /// Compares an integer with a double exactly, the way SQLite does, rather than rounding the integer.
    static func compare(_ integer: Int64, _ double: Double) -> Int? {
        if double.isNaN { return nil }
        if double >= 9_223_372_036_854_775_808.0 { return -1 }
        if double < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = Int64(double.rounded(.down))
        if integer != whole { return integer < whole ? -1 : 1 }
        return double > Double(whole) ? -1 : 0
    }

    static func timestamp(_ operand: Operand) -> PQLTimestamp? {
        switch operand {
        case .time(let timestamp): timestamp
        case .value(.string(let text)): PQLTimestamp.parse(text)
        default: nil
        }
    }
}
