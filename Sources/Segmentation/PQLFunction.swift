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
    case getMonth, getYear

    /// The argument counts the parser accepts.
    var arity: ClosedRange<Int> {
        switch self {
        case .startsWith, .doesNotStartWith, .endsWith, .doesNotEndWith, .contains, .doesNotContain: 1...2
        case .equals, .notEqualTo, .matches, .like, .includes, .intersects, .supersetOf, .subsetOf: 1...1
        case .isNull, .isNotNull, .getMonth, .getYear: 0...0
        }
    }

    /// Functions whose optional second argument chooses case sensitivity.
    var takesCaseSensitivity: Bool { arity.upperBound == 2 }

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
