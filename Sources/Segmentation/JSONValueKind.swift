/// The kind of a JSON value, used to describe profile fields to the PQL type checker.
public enum JSONValueKind: String, Sendable {
    case null, bool, number, string, array, object
}
