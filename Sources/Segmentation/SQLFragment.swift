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

extension SQLFragment {
    /// The SQL with its `?` placeholders numbered `$first`, `$first+1`, ... for
    /// PostgreSQL. The compiler writes no `?` but placeholders in the PostgreSQL
    /// dialect (paths and patterns are bound, never pasted), so every `?` is one.
    public func numberedPlaceholders(from first: Int = 1) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + arguments.count * 2)
        var next = first
        for character in sql {
            if character == "?" {
                result += "$\(next)"
                next += 1
            } else {
                result.append(character)
            }
        }
        return result
    }
}
