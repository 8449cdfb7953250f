/// What one input line turned out to be.
enum ParsedLine: Sendable {
    case profile(ParsedProfile)
    /// A line that carries no profile: a CSV header or a blank line.
    case skip
    case rejected(String)
    /// A CSV header that cannot be used: no row of its file can be read.
    case badHeader(String)
}
