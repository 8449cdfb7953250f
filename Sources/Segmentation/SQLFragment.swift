/// A piece of SQLite SQL with `?` placeholders and the values bound to them, in order.
public struct SQLFragment: Sendable, Equatable {
    public var sql: String
    public var arguments: [SQLArgument]

    public init(sql: String, arguments: [SQLArgument] = []) {
        self.sql = sql
        self.arguments = arguments
    }

    static func + (lhs: SQLFragment, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(sql: lhs.sql + rhs.sql, arguments: lhs.arguments + rhs.arguments)
    }

    static func + (lhs: SQLFragment, rhs: String) -> SQLFragment {
        SQLFragment(sql: lhs.sql + rhs, arguments: lhs.arguments)
    }

    static func + (lhs: String, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(sql: lhs + rhs.sql, arguments: rhs.arguments)
    }
}

extension [SQLFragment] {
    /// Joins fragments with a separator, keeping arguments in placeholder order.
    func joined(separator: String) -> SQLFragment {
        var result = SQLFragment(sql: "")
        for (position, fragment) in enumerated() {
            if position > 0 { result.sql += separator }
            result = result + fragment
        }
        return result
    }
}
