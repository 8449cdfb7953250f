/// A PQL problem found while parsing or type checking, with where it is in the source.
public struct PQLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the offending token, or of the end of input.
    public let line: Int
    /// 1-based column, counted in characters.
    public let column: Int
    /// What is wrong, without the position, e.g. "expected a value after '='".
    public let message: String
    /// The full source, kept so the description can show the offending line.
    public let text: String

    public init(line: Int, column: Int, message: String, text: String) {
        self.line = line
        self.column = column
        self.message = message
        self.text = text
    }

    init(_ message: String, at position: PQLPosition, in text: String) {
        self.init(line: position.line, column: position.column, message: message, text: text)
    }

    /// "expected a value after '=' at 1:27", then the source line and a caret under the token.
    public var description: String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return "\(message) at \(line):\(column)" }
        var sourceLine = lines[line - 1]
        if sourceLine.hasSuffix("\r") { sourceLine = sourceLine.dropLast() }
        // Tabs are copied so the caret lines up however the terminal expands them.
        let lead = sourceLine.prefix(max(column - 1, 0)).map { $0 == "\t" ? "\t" : " " }.joined()
        return "\(message) at \(line):\(column)\n\(sourceLine)\n\(lead)^"
    }
}
