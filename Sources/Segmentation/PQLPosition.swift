/// A 1-based line and column in PQL source text; columns count characters.
public struct PQLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Stands in for expressions built in code rather than parsed.
    public static let unknown = PQLPosition(line: 0, column: 0)

    public var description: String { "\(line):\(column)" }
}
