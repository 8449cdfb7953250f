/// A line the importer skipped, with where it is and why.
public struct ImportRejection: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, the shape compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line): \(reason)" }
}
