extension PQL {
    /// The SQLite function a workspace registers for `matches` pushed down to SQL:
    /// `ferry_pql_matches(pattern, text)` is 1 when `PQL.matches` holds, else 0.
    public static let matchesFunctionName = "ferry_pql_matches"

    /// `text.matches(pattern)` exactly as the evaluator decides it.
    public static func matches(pattern: String, text: String) -> Bool {
        PQLEvaluator.stringTest(.matches, text, pattern)
    }
}
