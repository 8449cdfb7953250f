/// ISO 8601 text read the way PQL reads profile timestamps, for code outside
/// this module (the import's merge policy) that must agree with it.
public enum ISOTimestamp {
    /// Seconds since 1970 UTC, or nil when the text is not `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]`.
    public static func seconds(_ text: String) -> Double? { PQLTimestamp.parse(text)?.seconds }
}
