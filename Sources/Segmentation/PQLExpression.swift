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
}
