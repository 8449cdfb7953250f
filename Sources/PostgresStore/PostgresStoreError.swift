/// A PostgreSQL workspace failure a user can act on, in one sentence.
public struct PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badURL
        case missingMasterKey
        case unreachable
        case schemaTooNew
        case notInitialized
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
