/// A PostgreSQL workspace failure a user can act on, in one sentence.
import PostgresNIO

public struct PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badURL
        case missingMasterKey
        case unreachable
        case schemaTooNew
        case notInitialized
        case server
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// True when the user's input, not the machine, is at fault.
    public var isBadInput: Bool { code == .badURL || code == .missingMasterKey }
}

extension PostgresStoreError {
    /// A PostgreSQL failure from below the store (a dropped connection, a
    /// refused login, a server error), phrased for a user; nil for other errors.
    public static func from(_ error: any Error) -> PostgresStoreError? {
        switch error {
        case let error as PostgresStoreError:
            return error
        case let error as PSQLError:
            return PostgresStoreError(.server, "The database failed: \(PostgresWorkspace.describe(error)).")
        case let error as PostgresTransactionError:
            return (error.closureError ?? error.beginError ?? error.commitError).flatMap(from)
        case is ConnectionLost:
            // Left to the argument parser's fallback, it read as a usage mistake.
            return PostgresStoreError(
                .unreachable,
                "The database connection closed under a statement that then never ended (the server restarted "
                    + "or ended the session), so the command did not finish; run it again."
            )
        default:
            return nil
        }
    }
}
