import Foundation

/// The reference semantics of PQL over one profile; `PQL.sqliteWhere` must agree with it exactly.
///
/// A missing field and a JSON null are the same "absent" value: every comparison with it is
/// false, including `!=`, so only `isNull`, `not` and `notIn`-style negations can select it.
struct PQLEvaluator {
    let profile: JSONValue
    let now: Date
    /// Whether the profile is a current member of the segment an `inSegment` names.
    var isMember: (String) -> Bool = { _ in false }
    /// Names bound by `exists`, `forall`, `select` and `let`.
    var bindings: [String: Operand] = [:]
    /// The list item an argument of `filter`, `sum`, `topN`, ... is read against.
    var item: JSONValue?
    /// The items of the filters around this one, outermost first, for `^`.
    var outerItems: [JSONValue] = []
    /// Whether `item` is an ExperienceEvent, whose fields are read from it alone.
    var itemIsEvent = false

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
            if comparison == .equal || comparison == .notEqual, Self.isList(left) || Self.isList(right) {
                // A list written or computed in the definition equals a list item by item, in order
                // (`x.intersection(y) = ["red", "blue"]`); two array fields are never equal, as in SQL.
                let a = operand(left)
                let b = operand(right)
                guard case .value(.array(let x)) = a, case .value(.array(let y)) = b else {
                    return comparison == .notEqual && a.isPresent && b.isPresent
                }
                let same = x.count == y.count && zip(x, y).allSatisfy { Self.equal(Operand($0), Operand($1)) }
                return comparison == .equal ? same : !same
            }
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
        case .call(let receiver, let function, let arguments) where !function.isValued:
            return call(function, on: operand(receiver), arguments)
        case .call(let receiver, .filter, _) where PQL.isEventList(receiver) || itemIsEvent:
            // `xEvent[...]` as a condition, or `productListItems[...]` inside one: some item passes.
            return !(list(expression) ?? []).isEmpty
        case .inSegment(let reference, _):
            return isMember(reference)
        case .quantifier(let all, let list):
            return quantify(all: all, list[...])
        case .occurs(let value, let form):
            guard let subject = Self.timestamp(operand(value)),
                let range = PQLPeriods(now: now).range(form, resolve: { Self.timestamp(operand($0)) })
            else { return false }
            return range.contains(subject)
        default:
            return operand(expression) == .value(.bool(true))
        }
    }

    func operand(_ expression: PQLExpression) -> Operand {
        switch expression {
        case .literal(let value, _):
            return Operand(value)
        case .field(let path, _):
            return resolve(path).map(Operand.init) ?? .absent
        case .select(let binding):
            guard let items = list(binding.source) else { return .absent }
            return .value(.array(items.filter { matches(binding, $0) }))
        case .letIn(let name, let value, let body):
            var inner = self
            inner.bindings[name] = operand(value)
            return inner.operand(body)
        case .quantifier:
            return .value(.bool(isTrue(expression)))
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
        case .call(let receiver, let function, let arguments) where function.isValued && !function.isDatePart:
            return valued(function, receiver, arguments)
        case .call(let receiver, let function, _) where function.isValued:
            guard let timestamp = Self.timestamp(operand(receiver)) else { return .absent }
            let civil = timestamp.civil
            switch function {
            case .getMonth: return .value(.int(Int64(civil.month)))
            case .getYear: return .value(.int(civil.year))
            default: return .value(.int(Int64(civil.day)))
            }
        case .arithmetic(let left, let op, let right):
            return Self.arithmetic(operand(left), op, operand(right))
        default:
            return .value(.bool(isTrue(expression)))
        }
    }

    /// A list literal, `select`, or a function that returns a list.
    static func isList(_ expression: PQLExpression) -> Bool {
        switch expression {
        case .list, .select: return true
        case .call(_, let function, _):
            return [.distinct, .intersection, .topN, .bottomN, .filter, .map, .groupBy, .keys, .values].contains(
                function)
        default: return false
        }
    }

    /// A field: a bound name's value, else the current item's (with or without the item's
    /// own name in front, as in `orders.sum(order.price)`), else the profile's.
    func resolve(_ path: [String]) -> JSONValue? {
        if path.first == PQL.upKey {
            // `^` steps out one filter level per mark; past the outermost, the profile.
            let levels = path.prefix { $0 == PQL.upKey }.count
            let rest = Array(path.dropFirst(levels))
            let scopes = outerItems + (item.map { [$0] } ?? [])
            guard levels < scopes.count else { return profile[path: rest] }
            return scopes[scopes.count - 1 - levels][path: rest]
        }
        if let first = path.first, let bound = bindings[first] {
            guard case .value(let value) = bound else { return nil }
            return value[path: Array(path.dropFirst())]
        }
        if let item, itemIsEvent { return item[path: path] }
        if let item {
            if let value = item[path: path] { return value }
            if path.count > 1, let value = item[path: Array(path.dropFirst())] { return value }
            if path.isEmpty { return item }
        }
        return profile[path: path]
    }

    /// An expression read as a list: a field path crossing arrays of objects collects
    /// the values from every element; an array is its elements; one value is a list of one.
    func list(_ expression: PQLExpression) -> [JSONValue]? {
        if case .field(let path, _) = expression, !path.isEmpty, bindings[path[0]] == nil, item == nil {
            var current: [JSONValue] = [profile]
            for key in path {
                var next: [JSONValue] = []
                for value in current {
                    switch value {
                    case .object(let members): if let member = members[key] { next.append(member) }
                    case .array(let elements):
                        for case .object(let members) in elements {
                            if let member = members[key] { next.append(member) }
                        }
                    default: break
                    }
                }
                current = next
            }
            if current.isEmpty { return nil }
            return current.flatMap { value -> [JSONValue] in
                if case .array(let elements) = value { return elements }
                return value == .null ? [] : [value]
            }
        }
        switch operand(expression) {
        case .value(.array(let elements)): return elements
        case .value(let value): return [value]
        case .absent, .time: return nil
        }
    }

    private func withItem(_ element: JSONValue, event: Bool = false) -> PQLEvaluator {
        var copy = self
        if let item { copy.outerItems.append(item) }
        copy.item = element
        copy.itemIsEvent = event
        return copy
    }

    private func matches(_ binding: PQLBinding, _ element: JSONValue) -> Bool {
        guard let condition = binding.condition else { return true }
        var inner = self
        inner.bindings[binding.name] = Operand(element)
        return inner.isTrue(condition)
    }

    /// `exists`: some item of the first list meets its condition and, with it bound, the rest hold;
    /// `forall`: every item meets its condition and the rest hold. A missing list has no items,
    /// so `forall` over it is true and `exists` false.
    private func quantify(all: Bool, _ list: ArraySlice<PQLBinding>) -> Bool {
        guard let binding = list.first else { return true }
        let items = self.list(binding.source) ?? []
        for element in items {
            var inner = self
            inner.bindings[binding.name] = Operand(element)
            let holds = binding.condition.map { inner.isTrue($0) } ?? true
            if all {
                if !holds || !inner.quantify(all: true, list.dropFirst()) { return false }
            } else if holds && inner.quantify(all: false, list.dropFirst()) {
                return true
            }
        }
        return all
    }

    /// The functions that compute a value from a list, a map or a string.
    private func valued(_ function: PQLFunction, _ receiver: PQLExpression, _ arguments: [PQLExpression]) -> Operand {
        if function.readsList {
            let items = list(receiver)
            if function == .count { return .value(.int(Int64(items?.count ?? 0))) }
            guard let items else { return .absent }
            let events = PQL.isEventList(receiver)
            func each(_ argument: PQLExpression?) -> [Operand] {
                guard let argument else { return items.map(Operand.init) }
                return items.map { withItem($0, event: events).operand(argument) }
            }
            switch function {
            case .sum, .average, .min, .max:
                let numbers = each(arguments.first).compactMap { operand -> Double? in
                    switch operand {
                    case .value(.int(let x)): Double(x)
                    case .value(.double(let x)): x
                    default: nil
                    }
                }
                switch function {
                case .sum: return .value(.double(numbers.reduce(0, +)))
                case .average:
                    return numbers.isEmpty ? .absent : .value(.double(numbers.reduce(0, +) / Double(numbers.count)))
                case .min: return numbers.min().map { .value(.double($0)) } ?? .absent
                default: return numbers.max().map { .value(.double($0)) } ?? .absent
                }
            case .distinct:
                var kept: [JSONValue] = []
                for element in items where !kept.contains(where: { Self.equal(Operand($0), Operand(element)) }) {
                    kept.append(element)
                }
                return .value(.array(kept))
            case .intersection:
                guard let others = list(arguments[0]) else { return .absent }
                var kept: [JSONValue] = []
                for element in items
                where others.contains(where: { Self.equal(Operand($0), Operand(element)) })
                    && !kept.contains(where: { Self.equal(Operand($0), Operand(element)) })
                {
                    kept.append(element)
                }
                return .value(.array(kept))
            case .head:
                return items.first.map(Operand.init) ?? .absent
            case .topN, .bottomN:
                guard case .value(.int(let count)) = operand(arguments[1]), count >= 0 else { return .absent }
                let keyed = zip(items, each(arguments[0])).compactMap { element, key -> (JSONValue, Operand)? in
                    key.isPresent ? (element, key) : nil
                }
                let sorted = keyed.sorted { a, b in
                    let order = Self.order(a.1, b.1) ?? 0
                    return function == .topN ? order > 0 : order < 0
                }
                return .value(.array(sorted.prefix(Int(clamping: count)).map(\.0)))
            case .filter:
                return .value(.array(items.filter { withItem($0, event: events).isTrue(arguments[0]) }))
            case .map:
                return .value(.array(each(arguments[0]).map { if case .value(let v) = $0 { v } else { .null } }))
            default:
                // groupBy: the items in lists of equal keys, in order of first appearance.
                var groups: [(key: Operand, items: [JSONValue])] = []
                for (element, key) in zip(items, each(arguments[0])) {
                    if let index = groups.firstIndex(where: {
                        Self.equal($0.key, key) || (!$0.key.isPresent && !key.isPresent)
                    }) {
                        groups[index].items.append(element)
                    } else {
                        groups.append((key, [element]))
                    }
                }
                return .value(.array(groups.map { .array($0.items) }))
            }
        }
        let subject = operand(receiver)
        switch function {
        case .get:
            guard case .value(.object(let members)) = subject, case .value(.string(let key)) = operand(arguments[0])
            else { return .absent }
            return members[key].map(Operand.init) ?? .absent
        case .keys, .values:
            guard case .value(.object(let members)) = subject else { return .absent }
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return .value(.array(function == .keys ? keys.map(JSONValue.string) : keys.map { members[$0]! }))
        default:
            // regexGroup: the text of a group (the whole match when 0 or omitted) of the first match.
            guard case .value(.string(let text)) = subject, case .value(.string(let pattern)) = operand(arguments[0]),
                let regex = RegexCache.shared.regex(pattern)
            else { return .absent }
            var group = 0
            if arguments.count == 2 {
                guard case .value(.int(let number)) = operand(arguments[1]), number >= 0 else { return .absent }
                group = Int(clamping: number)
            }
            guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                group < match.numberOfRanges, let range = Range(match.range(at: group), in: text)
            else { return .absent }
            return .value(.string(String(text[range])))
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

    /// Numbers as SQLite computes them: integers stay integers until they overflow, then
    /// the operation is done in doubles; `/` always divides as doubles; division by zero is absent.
    /// A day plus or minus an integer is that many days later or earlier.
    static func arithmetic(_ left: Operand, _ op: PQLArithmetic, _ right: Operand) -> Operand {
        if case .time(let day) = left, day.isDay, case .value(.int(let days)) = right, op == .add || op == .subtract {
            let shift = Double(op == .add ? days : -days) * 86_400
            return .time(PQLTimestamp(seconds: day.seconds + shift, isDay: true))
        }
        guard case .value(let a) = left, case .value(let b) = right else { return .absent }
        if case .int(let x) = a, case .int(let y) = b, op != .divide {
            let result: (Int64, Bool)
            switch op {
            case .add: result = x.addingReportingOverflow(y)
            case .subtract: result = x.subtractingReportingOverflow(y)
            case .multiply: result = x.multipliedReportingOverflow(by: y)
            default:
                if y == 0 { return .absent }
                if y == -1 { return .value(.int(0)) }
                return .value(.int(x % y))
            }
            if !result.1 { return .value(.int(result.0)) }
        }
        guard let x = number(a), let y = number(b) else { return .absent }
        let value: Double
        switch op {
        case .add: value = x + y
        case .subtract: value = x - y
        case .multiply: value = x * y
        case .divide:
            if y == 0 { return .absent }
            value = x / y
        case .remainder:
            if y == 0 { return .absent }
            value = x - y * (x / y).rounded(.towardZero)
        }
        return value.isFinite ? .value(.double(value)) : .absent
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let x): Double(x)
        case .double(let x): x
        default: nil
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
