import Foundation
import Segmentation

/// Where a mapped column's value comes from.
public enum ExportSource: Sendable, Equatable {
    /// A profile attribute, by its path in the document.
    case attribute([String])
    /// The first id in an identity namespace (`identityMap.Email`).
    case identity(namespace: String)
    /// `realized` or `exited`.
    case membershipStatus
    case lastQualificationTime

    /// Parses a `--map` source as the reference spells it.
    public init(parsing text: String) throws(ExportError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "segmentMembership.status":
            self = .membershipStatus
            return
        case "segmentMembership.lastQualificationTime":
            self = .lastQualificationTime
            return
        default: break
        }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !trimmed.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ExportError(.badMapping, "'\(text)' is not a field path; use dotted names like person.name.lastName")
        }
        if parts[0] == "identityMap", parts.count == 2 {
            self = .identity(namespace: parts[1])
        } else {
            self = .attribute(parts)
        }
    }

    /// The reference's default column name: the source with dots turned into underscores.
    public static func defaultColumnName(_ source: String) -> String {
        source.replacingOccurrences(of: ".", with: "_")
    }

    /// A JSON path for SQLite's json functions; every key is quoted so names
    /// with spaces or dots inside still address one field.
    var jsonPath: String? {
        func quote(_ key: String) -> String {
            "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        switch self {
        case let .attribute(parts): return "$." + parts.map(quote).joined(separator: ".")
        case let .identity(namespace): return "$.identityMap.\(quote(namespace))[0].id"
        case .membershipStatus, .lastQualificationTime: return nil
        }
    }
}
