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
            let set = below.prefix(4).map { "\(t($0)) IS NOT NULL" }.joined(separator: " OR ")
            cases.append(SQLFragment(sql: "WHEN \(set) THEN 'object' "))
        }
        if let key = path.last, !key.isEmpty, Self.spelledAsItself(key) {
            // GLOB skips to each candidate first character; instr compares at every byte.
            cases.append(
                SQLFragment(
                    sql: "WHEN NOT (\(column) GLOB '*\\*') AND NOT (\(column) GLOB ?) THEN NULL ",
                    arguments: [.string("*" + Self.globEscaped("\"" + key + "\"") + "*")]))
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
    /// `includes`/`intersects` of strings over a typed array column in SQLite, mostly without
    /// `json_each`: when the array's text has no backslash, every quote in it delimits a
    /// string, so an array whose text does not hold any item in quotes holds none of them,
    /// and a flat one (no `[` or `{` inside) holds one exactly when its text does. Other
    /// arrays take the general test.
    func skippingArraysWithout(_ items: [PQLExpression], _ path: [String], _ test: SQLFragment) -> SQLFragment {
        guard dialect == .sqlite, let number = typedColumns[path] else { return test }
        var quoted: [SQLArgument] = []
        for item in items {
            guard case .literal(.string(let string), _) = item, Self.spelledAsItself(string) else { return test }
            quoted.append(.string("\"" + string + "\""))
        }
        let v = v(number)
        let present = quoted.map { _ in "instr(\(v), ?) > 0" }.joined(separator: " OR ")
        // Most arrays hold none of the items: one search each settles them, before any other.
        return SQLFragment(
            sql: "(CASE WHEN NOT (\(present)) AND instr(\(v), '\\') = 0 THEN 0"
                + " WHEN instr(\(v), '\\') = 0 AND instr(substr(\(v), 2), '[') = 0 AND instr(\(v), '{') = 0"
                + " THEN 1 ELSE ", arguments: quoted)
            + test + " END)"
    }
}

extension PQLSQLCompiler {
    /// A SQLite typed column as an operand, with what the catalog says of its values.
    func typedOperand(_ path: [String], _ number: Int) -> Operand {
        var operand = Operand(
            type: SQLFragment(sql: t(number)), value: SQLFragment(sql: v(number)), known: nil)
        operand.column = number
        operand.columnPrefix = columnPrefix
        if let kinds = typedKinds[path]?.subtracting(["null"]), !kinds.isEmpty {
            operand.onlyClass = ValueClass.allCases.first { kinds.isSubset(of: $0.typeNames) }
            operand.onlyArrays = kinds == ["array"]
        }
        return operand
    }

    /// The class test `compared` needs on `side` before `side op other`: none where that
    /// comparison is already NULL or false for every value of another class. A column of
    /// one class is NULL for the others; and a TEXT column value equal to a text that does
    /// not start with `[` or `{` is a string, since an array's or object's JSON text starts
    /// with one and SQLite never finds a number or boolean equal to text.
    func comparedCheck(_ side: Operand, _ op: String, _ other: Operand, _ valueClass: ValueClass) -> SQLFragment? {
        if side.classSeparated, side.known == nil { return yes }
        if side.column != nil, side.known == nil, dialect == .sqlite {
            if side.onlyClass == valueClass { return yes }
            if valueClass == .text, op == "=", let text = other.literal, Self.isPlainText(text) { return yes }
        }
        return classCheck(side, valueClass)
    }

    /// `comparedCheck` for `needle IN (...)` of literals; `texts` are the list's strings.
    func listCheck(_ needle: Operand, _ valueClass: ValueClass, texts: [String]) -> SQLFragment? {
        if needle.classSeparated, needle.known == nil { return yes }
        if needle.column != nil, needle.known == nil, dialect == .sqlite {
            if needle.onlyClass == valueClass { return yes }
            if valueClass == .text, texts.allSatisfy(Self.isPlainText) { return yes }
        }
        return classCheck(needle, valueClass)
    }

    /// A text no array's or object's JSON text can equal.
    static func isPlainText(_ text: String) -> Bool { !text.hasPrefix("[") && !text.hasPrefix("{") }
}

extension PQLSQLCompiler {
    /// Items `contained` can test: strings, which jsonb compares byte for byte as the
    /// evaluator does, spelled without a NUL (which PostgreSQL text cannot hold).
    static func containable(_ items: [PQLExpression]) -> Bool {
        items.allSatisfy { item in
            if case .literal(.string(let string), _) = item { return !string.utf8.contains(0) }
            return false
        }
    }

    /// `includes`/`intersects`/`supersetOf` of strings on PostgreSQL as jsonb containment
    /// (`array @> '["red"]'`), one test per array instead of a subquery over its elements.
    /// `@>` holds for an array with an element equal to each string (the caller tests that
    /// the value is an array).
    func contained(_ function: PQLFunction, _ items: [PQLExpression], _ path: [String]) -> SQLFragment {
        let array =
            typedColumns[path].map { SQLFragment(sql: v($0)) } ?? markColumn(path).map { SQLFragment(sql: $0) }
            ?? documentPath(path)
        func holds(_ strings: [PQLExpression]) -> SQLFragment {
            let json = JSONValue.array(
                strings.map { item in
                    if case .literal(.string(let string), _) = item { return .string(string) }
                    return .null
                }
            ).serialized()
            return "(" + array + " @> " + SQLFragment(sql: "CAST(? AS jsonb)", arguments: [.string(json)]) + ")"
        }
        return function == .supersetOf ? holds(items) : any(items.map { holds([$0]) })
    }
}

extension PQLSQLCompiler {
    /// PostgreSQL: the type of a path without a typed column of its own, from the document
    /// only for rows where no typed column below the path is set. One that is set makes the
    /// path an object, when the key under the path is no array index (`jsonb_extract_path`
    /// reads a digit key as an index into an array). Those rows read the document through
    /// `lazyDocument`, so a test like `loyalty.isNull()` needs no join with every document.
    func objectShortcut(_ path: [String], _ operand: Operand) -> Operand {
        let below = PQL.objectMarkColumns(below: path, in: typedColumns)
        guard dialect == .postgresql, !below.isEmpty else { return operand }
        // A few columns decide for nearly every row; more would only lengthen the SQL.
        let set = below.prefix(4).map { "\(v($0)) IS NOT NULL" }.joined(separator: " OR ")
        // The document is fetched once per row that needs it: its type expression reads the
        // value up to three times, and each read of `lazyDocument` would probe `profile` again.
        let documentType =
            lazyDocument.map {
                "(SELECT " + jsonb(documentPath(path, in: "_pql_lazy.doc")).type + " FROM \($0) AS _pql_lazy)"
            } ?? operand.type
        var shortcut = operand
        shortcut.type = SQLFragment(sql: "(CASE WHEN \(set) THEN 'object' ELSE ") + documentType + " END)"
        return shortcut
    }

    /// PostgreSQL: a path with an object mark `oN` (see `PQL.markValue`), read
    /// without the document: NULL in `oN` is an object when a typed column below
    /// is set, else a missing path; any other `oN` is the value, objects as `{}`
    /// (which no comparison or string test selects, as the evaluator's objects).
    func objectMark(_ path: [String]) -> Operand? {
        guard let mark = markColumn(path) else { return nil }
        let below = PQL.objectMarkColumns(below: path, in: typedColumns)
        var operand = jsonb(SQLFragment(sql: mark))
        let unset = below.map { "\(v($0)) IS NULL" }
        if !below.isEmpty {
            operand.type =
                "(CASE WHEN \(mark) IS NOT NULL THEN " + operand.type + " WHEN NOT ("
                + unset.joined(separator: " AND ") + ") THEN 'object' END)"
        }
        operand.missingOrNull = SQLFragment(
            sql: "COALESCE(\(mark) = 'null'::jsonb, " + (unset.isEmpty ? "TRUE" : unset.joined(separator: " AND "))
                + ")")
        return operand
    }

    /// The name of the path's object mark, when segment SQL reads it (an array
    /// there is the array itself).
    func markColumn(_ path: [String]) -> String? {
        guard dialect == .postgresql, typedColumns[path] == nil, let number = objectColumns[path],
            PQL.objectMarkColumns(below: path, in: typedColumns).count <= PQL.maximumMarkColumnsBelow
        else { return nil }
        return "\(columnPrefix)o\(number)"
    }
}
