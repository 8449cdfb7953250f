import Foundation

/// Object marks: what a PostgreSQL workspace keeps of a path that is an object
/// (`loyalty`, `person.name`) and has no typed column of its own, so
/// `loyalty.isNull()` and the path's type are answered from `profile_value`
/// without reading the document. The document is still what holds the value.
///
/// Column `oN` of mark N holds, per profile, `markValue`: NULL when a typed
/// column below the path is set (the path is then an object) or the profile
/// lacks the path; else the value at the path with an object written as `{}`
/// (so `{}`, an object whose keys have no columns, `null`, or a scalar or
/// array where other profiles hold an object). An object-written `{}` stays
/// right when a column below is added later and set, so only new marks are
/// ever filled for stored rows.
extension PQL {
    /// The typed columns `markValue` and the compiler read as "set means the path
    /// is an object": those below `path` whose next key holds no digit
    /// (`jsonb_extract_path` reads a digit key as an index into an array, so such
    /// a column is set for an array too).
    public static func objectMarkColumns(below path: [String], in typedColumns: [[String]: Int]) -> [Int] {
        typedColumns.filter { typed in
            typed.key.count > path.count && typed.key.starts(with: path)
                && !typed.key[path.count].unicodeScalars.contains { CharacterSet.decimalDigits.contains($0) }
        }.values.sorted()
    }

    /// The paths that get a mark, given the typed columns and the marks there are:
    /// each proper prefix of a typed path that has no column or mark of its own.
    public static func objectMarkPaths(for typedColumns: [[String]: Int], marked: Set<[String]>) -> [[String]] {
        var seen = marked
        var found: [[String]] = []
        for path in typedColumns.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where path.count > 1 {
            for length in 1..<path.count {
                let prefix = Array(path.prefix(length))
                if typedColumns[prefix] == nil, seen.insert(prefix).inserted { found.append(prefix) }
            }
        }
        return found
    }

    /// The mark's value (see above) in SQL: `value` is the jsonb at the path (read
    /// up to twice, only when none of `below` is set), `below` the names of the
    /// typed values of `objectMarkColumns`, as the writing statement has them.
    public static func markValue(_ value: String, below: [String]) -> String {
        let object = "WHEN jsonb_typeof(\(value)) = 'object' THEN '{}'::jsonb ELSE \(value) END"
        guard !below.isEmpty else { return "CASE " + object }
        return "CASE WHEN " + below.map { "\($0) IS NOT NULL" }.joined(separator: " OR ") + " THEN NULL " + object
    }

    /// Past this many columns below it, a mark is not read: its tests would
    /// lengthen every condition over the path more than the document read costs.
    public static let maximumMarkColumnsBelow = 32
}
