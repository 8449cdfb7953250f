/// A PQL method, written `receiver.name(arguments)`; `like` is the one spelled infix.
public enum PQLFunction: String, Sendable, Hashable, CaseIterable {
    case startsWith, doesNotStartWith
    case endsWith, doesNotEndWith
    case contains, doesNotContain
    case equals, notEqualTo
    case matches
    case like
    case isNull, isNotNull
    case includes, intersects, supersetOf, subsetOf
    case getMonth, getYear, getDayOfMonth
    case count, sum, average, min, max
    case distinct, intersection, head, topN, bottomN, filter, map, groupBy
    case get, keys, values
    case regexGroup

    /// The argument counts the parser accepts.
    var arity: ClosedRange<Int> {
        switch self {
        case .startsWith, .doesNotStartWith, .endsWith, .doesNotEndWith, .contains, .doesNotContain: 1...2
        case .equals, .notEqualTo: 1...2
        case .matches, .like, .includes, .intersects, .supersetOf, .subsetOf: 1...1
        case .isNull, .isNotNull, .getMonth, .getYear, .getDayOfMonth: 0...0
        case .count, .distinct, .head, .keys, .values: 0...0
        case .sum, .average, .min, .max: 0...1
        case .intersection, .filter, .map, .groupBy, .get: 1...1
        case .topN, .bottomN: 2...2
        case .regexGroup: 1...2
        }
    }

    /// Functions that return a value rather than a condition.
    var isValued: Bool {
        switch self {
        case .startsWith, .doesNotStartWith, .endsWith, .doesNotEndWith, .contains, .doesNotContain, .equals,
            .notEqualTo, .matches, .like, .isNull, .isNotNull, .includes, .intersects, .supersetOf, .subsetOf:
            false
        default: true
        }
    }

    /// `getMonth`, `getYear`, `getDayOfMonth`: a part of a date.
    var isDatePart: Bool { self == .getMonth || self == .getYear || self == .getDayOfMonth }

    /// Functions whose receiver is read as a list, across arrays of objects
    /// (`orders.price.sum()` sums the price of every order).
    var readsList: Bool {
        switch self {
        case .count, .sum, .average, .min, .max, .distinct, .intersection, .head, .topN, .bottomN, .filter, .map,
            .groupBy:
            true
        default: false
        }
    }

    /// Functions whose arguments are read against each item of the receiver.
    var takesItemExpression: Bool {
        switch self {
        case .sum, .average, .min, .max, .topN, .bottomN, .filter, .map, .groupBy: true
        default: false
        }
    }

    /// Functions whose optional second argument chooses case sensitivity.
    var takesCaseSensitivity: Bool {
        switch self {
        case .startsWith, .doesNotStartWith, .endsWith, .doesNotEndWith, .contains, .doesNotContain, .equals,
            .notEqualTo:
            true
        default: false
        }
    }

    /// Functions that compare their receiver against a string argument.
    var isStringTest: Bool {
        switch self {
        case .startsWith, .doesNotStartWith, .endsWith, .doesNotEndWith, .contains, .doesNotContain,
            .equals, .notEqualTo, .matches, .like:
            true
        default: false
        }
    }
}
