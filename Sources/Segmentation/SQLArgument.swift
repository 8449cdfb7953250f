/// A value bound to a `?` placeholder of a `SQLFragment`.
public enum SQLArgument: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case string(String)
}
