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
    /// A long line is cut to about 80 characters around the position, so a 100 KB definition
    /// never ends up in a message.
    public var description: String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return "\(message) at \(line):\(column)" }
        var sourceLine = Array(lines[line - 1])
        if sourceLine.last == "\r" { sourceLine.removeLast() }
        let offset = max(column - 1, 0)
        var start = 0
        var end = sourceLine.count
        if sourceLine.count > Self.excerptLength {
            start = max(0, min(offset - Self.excerptLength / 2, sourceLine.count - Self.excerptLength))
            end = min(sourceLine.count, start + Self.excerptLength)
        }
        let excerpt = (start > 0 ? "…" : "") + String(sourceLine[start..<end]) + (end < sourceLine.count ? "…" : "")
        // Tabs are copied so the caret lines up however the terminal expands them.
        let lead =
            (start > 0 ? " " : "")
            + sourceLine[start..<min(max(offset, start), end)].map { $0 == "\t" ? "\t" : " " }.joined()
        return "\(message) at \(line):\(column)\n\(excerpt)\n\(lead)^"
    }

    static let excerptLength = 80
}
