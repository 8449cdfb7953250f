/// A folder path or file-name template that cannot be used, with one sentence saying why.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
