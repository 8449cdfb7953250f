import Foundation

/// Cheaper SQL for common shapes, each selecting exactly what the general form selects.
extension PQLSQLCompiler {
    /// The type of a path without a typed column of its own, in SQLite: when a typed column
    /// below it is set, the path is an object, so the document is parsed only for the rows
    /// where none is (`json_type` of a nested path is NULL unless every step is an object).
    func documentType(_ path: [String], _ jsonPath: String) -> SQLFragment {
        let parse = SQLFragment(sql: "json_type(\(column), \(jsonPath))")
        let below = typedColumns.filter { $0.key.count > path.count && $0.key.starts(with: path) }.values.sorted()
        guard !below.isEmpty else { return parse }
        // A few columns decide for nearly every row; more would only lengthen the SQL.
        let set = below.prefix(4).map { "t\($0) IS NOT NULL" }.joined(separator: " OR ")
        return "(CASE WHEN \(set) THEN 'object' ELSE " + parse + " END)"
    }

    /// A `matches` pattern that is plain text, optionally anchored at the start (`^\+82`):
    /// the text it stands for, so it compiles as `startsWith` or `contains`, in both dialects,
    /// without a regular expression per row. Nil for anything with regex syntax in it.
    ///
    /// Only printable ASCII qualifies: then ICU's UTF-16 match and SQL's code point
    /// comparison agree. A backslash before ASCII punctuation stands for that character;
    /// before a letter or digit it is a class or an escape (`\d`, `\Q`), so it is refused.
    /// `$` is refused because ICU also matches it before a final line terminator.
    static func plainText(ofPattern pattern: String) -> (text: String, anchored: Bool)? {
        var scalars = Substring(pattern).unicodeScalars[...]
        let anchored = scalars.first == "^"
        if anchored { scalars = scalars.dropFirst() }
        var text = ""
        var escaped = false
        for scalar in scalars {
            guard scalar.value >= 0x20, scalar.value < 0x7F else { return nil }
            let isAlphanumeric = CharacterSet.alphanumerics.contains(scalar)
            if escaped {
                guard !isAlphanumeric, scalar != " " else { return nil }
                escaped = false
            } else if scalar == "\\" {
                escaped = true
                continue
            } else if ".[]{}()*+?|^$".unicodeScalars.contains(scalar) {
                return nil
            }
            text.unicodeScalars.append(scalar)
        }
        guard !escaped, !text.isEmpty else { return nil }
        return (text, anchored)
    }
}

extension PQLSQLCompiler {
    /// `includes`/`intersects` of strings over a typed array column in SQLite: rows whose
    /// array text holds none of the quoted strings, and no backslash, can't hold them, so
    /// `json_each` runs only on the rest. (With no backslash in it, the text spells every
    /// string as itself; a string needing an escape is never used as the filter.)
    func skippingArraysWithout(_ items: [PQLExpression], _ path: [String], _ test: SQLFragment) -> SQLFragment {
        guard dialect == .sqlite, let number = typedColumns[path] else { return test }
        var quoted: [String] = []
        for item in items {
            guard case .literal(.string(let string), _) = item,
                !string.unicodeScalars.contains(where: {
                    $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
                })
            else { return test }
            quoted.append("\"" + string + "\"")
        }
        let present = quoted.map { _ in "instr(v\(number), ?) > 0" }.joined(separator: " OR ")
        return SQLFragment(
            sql: "(CASE WHEN instr(v\(number), '\\') > 0 OR \(present) THEN ", arguments: quoted.map { .string($0) })
            + test + " ELSE 0 END)"
    }
}
