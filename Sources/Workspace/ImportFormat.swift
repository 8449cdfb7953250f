/// The layout of a profile file.
public enum ImportFormat: String, Sendable, CaseIterable {
    case jsonl
    case csv

    /// The format implied by a file name, or nil when the extension says nothing.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
            self = .jsonl
        } else if lower.hasSuffix(".csv") {
            self = .csv
        } else {
            return nil
        }
    }
}
