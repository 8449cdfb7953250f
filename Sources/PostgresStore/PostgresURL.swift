import Foundation

/// Where a PostgreSQL workspace lives: `postgresql://user:pass@host:port/db?sslmode=...`.
///
/// The password is kept out of `description`, so the URL can be logged and
/// printed in errors without giving it away.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(
        host: String, port: Int = 5432, user: String, password: String?, database: String, sslMode: SSLMode = .prefer
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses a URL; the error never repeats the text, which may hold a password.
    public init(_ text: String) throws(PostgresStoreError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), ["postgresql", "postgres"].contains(scheme)
        else {
            throw PostgresStoreError(
                .badURL, "The database URL is not postgresql://user:password@host:port/database.")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError(.badURL, "The database URL names no host.")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresStoreError(.badURL, "The database URL names no user (postgresql://USER:password@host/db).")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError(.badURL, "The database URL names no database (postgresql://user@host/DATABASE).")
        }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw PostgresStoreError(
                        .badURL,
                        "The database URL's sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))."
                    )
                }
                sslMode = mode
            default:
                throw PostgresStoreError(
                    .badURL, "The database URL has the option '\(item.name)', which Ferry does not know; only sslmode.")
            }
        }
        self.init(
            host: host, port: components.port ?? 5432,
            user: components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user,
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            database: database.removingPercentEncoding ?? database, sslMode: sslMode)
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let credentials = user + (password == nil ? "" : ":***")
        return "postgresql://\(credentials)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }
}
