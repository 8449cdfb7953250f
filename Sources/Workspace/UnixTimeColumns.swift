import GRDB

/// Records whose dates are stored as REAL seconds since 1970, so SQL can
/// compare and subtract them with plain arithmetic.
public protocol UnixTimeColumns: FetchableRecord, EncodableRecord {}

extension UnixTimeColumns {
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .timeIntervalSince1970
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }
}
