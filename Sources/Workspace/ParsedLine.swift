/// What one input line turned out to be.
enum ParsedLine {
    case profile(ParsedProfile)
    /// A line that carries no profile: a CSV header or a blank line.
    case skip
    case rejected(String)
}
