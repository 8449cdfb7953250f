import Foundation
import S3
import Segmentation

/// One cell of a row: a missing value is `.null`, an empty string is `.text("")`.
public enum CSVField: Sendable, Equatable {
    case null
    case text(String)

    /// Renders a profile value for a cell: strings as is, numbers and booleans as JSON spells them, containers as compact JSON.
    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .string(let string): self = .text(string)
        case .bool(let flag): self = .text(flag ? "true" : "false")
        // Up to 15 digits fit in a small string, so most integers render without a heap allocation.
        case .int(let number): self = .text(String(number))
        // Same spelling as inside serialized JSON, so a number reads identically in a cell and in an object column.
        case .double(let number): self = number.isFinite ? .text(number.description) : .null
        // The literal as the profile wrote it: 1e400 or a 20-digit id must not turn into inf or 1.2e+19.
        case .number(let literal): self = .text(literal)
        case .array, .object: self = .text(value.serialized())
        }
    }

    /// The cell for an optional profile value; an absent value is `.null`.
    public init(_ value: JSONValue?) {
        guard let value else {
            self = .null
            return
        }
        self.init(value)
    }
}

extension CSVField {
    /// The hex SHA-256 of the value trimmed and lowercased, the normal form ad
    /// platforms hash e-mail addresses in before matching. Empty and missing
    /// values stay as they are: a hash of nothing would match everyone's nothing.
    public func hashedForMatching() -> CSVField {
        guard case .text(let text) = self else { return self }
        let normalized = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !normalized.isEmpty else { return .text("") }
        return .text(SigV4Signer.sha256Hex(Array(normalized.utf8)))
    }
}
