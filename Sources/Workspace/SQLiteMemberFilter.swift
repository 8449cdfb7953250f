import GRDB
import GRDBSQLite

/// `ferry_export_member(pid)`: whether a member set holds `pid`, answered
/// through SQLite's C API for one statement's steps.
///
/// A page of dense members reads its whole pid range; the filter drops the
/// rows between before SQLite computes their columns (an identity's
/// `json_extract` for each skipped row cost as much as the members' own).
/// GRDB's function wrapper builds an array of values per call, which at a
/// call per profile row would cost more than the lookup.
enum SQLiteMemberFilter {
    static let functionName = "ferry_export_member"

    private final class Members: Sendable {
        let bitmap: MemberBitmap
        init(_ bitmap: MemberBitmap) { self.bitmap = bitmap }
    }

    /// Runs `body` with the function registered on `db` for `members`; it is
    /// removed after, which also releases the set.
    static func with<T>(_ members: MemberBitmap, on db: Database, _ body: () throws -> T) throws -> T {
        let connection = db.sqliteConnection
        let box = Unmanaged.passRetained(Members(members)).toOpaque()
        let code = sqlite3_create_function_v2(
            connection, functionName, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, box,
            { context, _, arguments in
                guard let context, let value = arguments?[0], let box = sqlite3_user_data(context) else { return }
                let members = Unmanaged<Members>.fromOpaque(box).takeUnretainedValue()
                sqlite3_result_int(context, members.bitmap.contains(sqlite3_value_int64(value)) ? 1 : 0)
            }, nil, nil,
            { box in
                if let box { Unmanaged<Members>.fromOpaque(box).release() }
            })
        guard code == SQLITE_OK else {
            // SQLite calls the destructor itself when registering fails.
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
        defer { sqlite3_create_function_v2(connection, functionName, 1, SQLITE_UTF8, nil, nil, nil, nil, nil) }
        return try body()
    }
}
