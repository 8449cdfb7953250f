/// An export failure phrased for the user, with a code callers can branch on.
public struct ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badMapping
        case badOption
        case badTemplate
        case credentials
        case upload
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
