import Foundation

/// Profile Query Language: parsing, the reference evaluator, and translation to SQLite.
public enum PQL {
    /// Parses PQL text; errors carry the line and column of the offending token.
    public static func parse(_ text: String) throws(PQLError) -> PQLExpression {
        var parser = try PQLParser(text)
        return try parser.parseDocument()
    }

    /// Reference evaluator. `now` pins time for tests. Missing fields compare false except under isNull/notIn.
    public static func evaluate(_ expression: PQLExpression, on profile: JSONValue, now: Date) -> Bool {
        PQLEvaluator(profile: profile, now: now).isTrue(expression)
    }

    /// Field paths referenced by the expression, dotted ("person.name.lastName").
    public static func fieldPaths(_ expression: PQLExpression) -> Set<String> {
        var paths: Set<String> = []
        collectFieldPaths(expression, into: &paths)
        return paths
    }

    /// Type check against known field kinds; a string literal compared with a numeric field (or vice versa) throws a PQLError pointing at the literal.
    public static func typeCheck(_ expression: PQLExpression, text: String, fieldKinds: [String: JSONValueKind])
        throws(PQLError)
    {
        try PQLTypeChecker(text: text, fieldKinds: fieldKinds).check(expression)
    }

    /// A SQLite WHERE clause over a JSON text column that selects exactly the profiles `evaluate` accepts,
    /// or nil when some part can't be pushed into SQL and the caller must fall back to `evaluate`.
    ///
    /// `jsonColumn` is pasted into the SQL as written; qualify it (`profiles.document`) when the query joins.
    /// `now` is accepted for symmetry with `evaluate`; date forms are not pushed down today.
    /// - Parameter typedColumns: paths kept in typed columns `tN`/`vN` beside the
    ///   document (see the workspace's profile columns), read instead of the JSON.
    public static func sqliteWhere(
        _ expression: PQLExpression, jsonColumn: String, typedColumns: [[String]: Int] = [:], now: Date
    ) -> SQLFragment? {
        sqlWhere(expression, dialect: .sqlite, documentColumn: jsonColumn, typedColumns: typedColumns, now: now)
    }

    /// A WHERE clause in `dialect` that selects exactly the profiles `evaluate` accepts, or nil when
    /// some part can't be pushed into SQL and the caller must fall back to `evaluate`.
    ///
    /// The layout it reads (document column, `tN`/`vN` typed columns) is described on `SQLDialect`.
    /// Placeholders are `?`; PostgreSQL callers number them with `SQLFragment.numberedPlaceholders(from:)`.
    /// The condition is never NULL: 0/1 in SQLite, a boolean in PostgreSQL.
    public static func sqlWhere(
        _ expression: PQLExpression, dialect: SQLDialect, documentColumn: String, typedColumns: [[String]: Int] = [:],
        now: Date
    ) -> SQLFragment? {
        PQLSQLCompiler(column: documentColumn, typedColumns: typedColumns, dialect: dialect).condition(expression)
    }

    private static func collectFieldPaths(_ expression: PQLExpression, into paths: inout Set<String>) {
        switch expression {
        case .field(let path, _):
            paths.insert(path.joined(separator: "."))
        case .literal, .date, .now, .today:
            break
        case .list(let items):
            for item in items { collectFieldPaths(item, into: &paths) }
        case .comparison(let left, _, let right), .and(let left, let right), .or(let left, let right):
            collectFieldPaths(left, into: &paths)
            collectFieldPaths(right, into: &paths)
        case .not(let inner):
            collectFieldPaths(inner, into: &paths)
        case .isIn(let value, let items), .notIn(let value, let items):
            for item in [value] + items { collectFieldPaths(item, into: &paths) }
        case .call(let receiver, _, let arguments):
            for item in [receiver] + arguments { collectFieldPaths(item, into: &paths) }
        case .occursBetween(let a, let b, let c), .conditional(let a, let b, let c):
            for item in [a, b, c] { collectFieldPaths(item, into: &paths) }
        }
    }
}
