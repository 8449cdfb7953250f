import Foundation

/// Cheaper SQL for common shapes, each selecting exactly what the general form selects.
extension PQLSQLCompiler {
    /// The type of a path without a typed column of its own, in SQLite, parsing the document
    /// only for the rows that need it: when a typed column below the path is set, the path is
    /// an object (`json_type` of a nested path is NULL unless every step is an object); when
    /// the document has no backslash and does not spell the last key in quotes, the path is
    /// missing. Otherwise `json_type` decides.
    func documentType(_ path: [String], _ jsonPath: String) -> SQLFragment {
        let parse = SQLFragment(sql: "json_type(\(column), \(jsonPath))")
        var cases: [SQLFragment] = []
        let below = typedColumns.filter { $0.key.count > path.count && $0.key.starts(with: path) }.values.sorted()
        if !below.isEmpty {
            // A few columns decide for nearly every row; more would only lengthen the SQL.
            let set = below.prefix(4).map { "t\($0) IS NOT NULL" }.joined(separator: " OR ")
            cases.append(SQLFragment(sql: "WHEN \(set) THEN 'object' "))
        }
        if let key = path.last, !key.isEmpty, Self.spelledAsItself(key) {
            cases.append(
                SQLFragment(
                    sql: "WHEN instr(\(column), '\\') = 0 AND instr(\(column), ?) = 0 THEN NULL ",
                    arguments: [.string("\"" + key + "\"")]))
        }
        guard !cases.isEmpty else { return parse }
        return "(CASE " + cases.joined(separator: "") + "ELSE " + parse + " END)"
    }

    /// Whether JSON text spells the string with no escape: no quote, backslash or control character.
    static func spelledAsItself(_ string: String) -> Bool {
        !string.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
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
    /// `includes`/`intersects` of strings over a typed array column in SQLite, without
    /// `json_each` for flat arrays: when the array's text has no backslash, every quote in
    /// it delimits a string, so with no `[` or `{` inside, the array holds the string
    /// exactly when its text holds it in quotes. Other arrays take the general test.
    func skippingArraysWithout(_ items: [PQLExpression], _ path: [String], _ test: SQLFragment) -> SQLFragment {
        guard dialect == .sqlite, let number = typedColumns[path] else { return test }
        var quoted: [SQLArgument] = []
        for item in items {
            guard case .literal(.string(let string), _) = item, Self.spelledAsItself(string) else { return test }
            quoted.append(.string("\"" + string + "\""))
        }
        let v = "v\(number)"
        let present = quoted.map { _ in "instr(\(v), ?) > 0" }.joined(separator: " OR ")
        return SQLFragment(
            sql: "(CASE WHEN instr(\(v), '\\') = 0 AND instr(substr(\(v), 2), '[') = 0 AND instr(\(v), '{') = 0"
                + " THEN \(present) ELSE ", arguments: quoted)
            + test + " END)"
    }
}
