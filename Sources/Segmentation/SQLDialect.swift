/// The SQL a segment compiles to: the workspace's SQLite or a shared PostgreSQL.
///
/// Both read the same layout: a document column and, per attribute path N, a
/// type column `tN` holding SQLite's `json_type` name for the value ('text',
/// 'integer', 'real', 'true', 'false', 'null', 'array', 'object', or NULL when
/// the profile lacks the path) beside a value column `vN`.
/// - SQLite: `vN` is what `json_extract` returns (no declared type), the document is JSON text.
/// - PostgreSQL: `vN` is `jsonb` holding the value itself (a jsonb string,
///   number, boolean, array or object), the document is `jsonb`. With
///   `nativeValues`, `sN` (text) and `nN` (numeric) hold it too when it is a
///   string or a number, NULL otherwise.
public enum SQLDialect: String, Sendable, Hashable, CaseIterable {
    case sqlite
    case postgresql
}
