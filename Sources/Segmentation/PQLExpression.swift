/// A parsed PQL expression.
///
/// Literals and fields remember where they were written so the type checker can point at them;
/// expressions built in code may leave the position as `.unknown`. Positions take part in `==`.
public indirect enum PQLExpression: Sendable, Equatable {
    /// A string, number or boolean written in the query.
    case literal(JSONValue, at: PQLPosition = .unknown)
    /// A profile field such as `person.name.lastName`, as its object keys.
    case field([String], at: PQLPosition = .unknown)
    /// `[a, b, c]`, the right side of `in`, `notIn`, `intersects` and friends.
    case list([PQLExpression])
    /// `date(y, m, d)`: a UTC calendar day.
    case date(year: Int, month: Int, day: Int)
    /// The evaluation instant.
    case now
    /// The UTC calendar day of the evaluation instant.
    case today
    case comparison(PQLExpression, PQLComparison, PQLExpression)
    case and(PQLExpression, PQLExpression)
    case or(PQLExpression, PQLExpression)
    case not(PQLExpression)
    /// `value in [..]`.
    case isIn(PQLExpression, [PQLExpression])
    /// `value notIn [..]`: unlike `not (value in [..])`, false when the value is null or missing.
    case notIn(PQLExpression, [PQLExpression])
    /// `receiver.function(arguments)`, and `receiver like pattern`.
    case call(PQLExpression, PQLFunction, [PQLExpression])
    /// `value occurs between low and high`, inclusive at both ends.
    case occursBetween(PQLExpression, PQLExpression, PQLExpression)
    /// `if(condition, then, else)`.
    case conditional(PQLExpression, then: PQLExpression, else: PQLExpression)
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a % b` on numbers.
    case arithmetic(PQLExpression, PQLArithmetic, PQLExpression)
    /// `inSegment("id or name")`: the profile is a current member of that segment.
    case inSegment(String, at: PQLPosition = .unknown)
    /// `value occurs ...` against a period: `on`, `before`, `after`, `this month`, `= 3 days before now`.
    case occurs(PQLExpression, PQLOccurs)
    /// `exists X from list where condition, Y from X.items where ...` (`forall` when `all`):
    /// some (every) item of each list, in turn, meets its condition.
    case quantifier(all: Bool, [PQLBinding])
    /// `select X from list where condition`: the items that meet the condition.
    case select(PQLBinding)
    /// `let V = value in body`: `body` with `V` standing for the value.
    case letIn(String, PQLExpression, PQLExpression)
}

/// `X from list where condition`: a name for each item of a list, and an optional test.
public struct PQLBinding: Sendable, Equatable {
    public var name: String
    public var source: PQLExpression
    public var condition: PQLExpression?

    public init(name: String, source: PQLExpression, condition: PQLExpression?) {
        self.name = name
        self.source = source
        self.condition = condition
    }
}

/// An arithmetic operator.
public enum PQLArithmetic: String, Sendable, Hashable, CaseIterable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case remainder = "%"
}
