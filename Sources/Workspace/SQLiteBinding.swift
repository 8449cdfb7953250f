import GRDB
import GRDBSQLite

/// Binds values straight through SQLite's C API, for the import's hot loops:
/// building GRDB arguments, or a C string per text, cost more than SQLite's own work.
enum SQLiteBinding {
    /// A failed step of `statement` as GRDB reports errors, with SQLite's message.
    static func error(_ code: Int32, _ statement: SQLiteStatement) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
    }

    /// SQLite copies the bytes (SQLITE_TRANSIENT), so Swift's buffer may go after the call.
    static func text(_ statement: SQLiteStatement, _ index: Int32, _ text: String) {
        var text = text
        _ = text.withUTF8 { bytes in
            sqlite3_bind_text(statement, index, start(UnsafeRawBufferPointer(bytes)), Int32(bytes.count), transient)
        }
    }

    /// Binds `bytes` without a copy (SQLITE_STATIC): the caller steps the
    /// statement and clears its bindings before the bytes go.
    static func borrowedText(_ statement: SQLiteStatement, _ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_text(statement, index, start(bytes), Int32(bytes.count), nil)
    }

    /// Runs `body` with the UTF-8 of `first` and `second`, for `borrowedText`:
    /// a copied text cost SQLite a malloc, a copy and a free under its memory
    /// mutex, 7% of an import's writer for the identity texts alone.
    /// The body should capture only what it binds: a struct it captures is
    /// copied, a retain and a release of each of its references.
    static func withTexts<Result>(
        _ first: String, _ second: String,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Result
    ) -> Result {
        // Native strings lend their bytes as they are; others are made native first.
        let lent = first.utf8.withContiguousStorageIfAvailable { one in
            second.utf8.withContiguousStorageIfAvailable { two in
                body(UnsafeRawBufferPointer(one), UnsafeRawBufferPointer(two))
            }
        }
        if let lent, let result = lent { return result }
        var first = first
        var second = second
        return first.withUTF8 { one in
            second.withUTF8 { two in body(UnsafeRawBufferPointer(one), UnsafeRawBufferPointer(two)) }
        }
    }

    /// `withTexts` for one text.
    static func withText<Result>(_ text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var text = text
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// `json_type`'s name for `kind`, from static memory.
    static func typeName(_ statement: SQLiteStatement, _ index: Int32, _ kind: LeafCell.Kind) {
        let name = kind.staticTypeName
        let start = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(statement, index, start, Int32(name.utf8CodeUnitCount), nil)
    }

    /// SQLite reads a null pointer as SQL NULL, so an empty text points at static memory instead.
    private static func start(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
        (bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)).assumingMemoryBound(to: CChar.self)
    }

    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }
}
