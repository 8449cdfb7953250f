/// A profile read from one input line, ready to be written.
struct ParsedProfile: Sendable {
    var namespace: String
    var identity: String
    /// Compact JSON text of the whole record.
    var doc: String
}
