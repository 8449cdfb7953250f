import Foundation
import Segmentation
import Workspace

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
}

extension ExportSource {
    /// The profile value the workspace reads for this source; nil for the
    /// membership's own status and time.
    var memberField: MemberField? {
        switch self {
        case .attribute(let keys): .attribute(keys)
        case .identity(let namespace): .identity(namespace: namespace)
        case .membershipStatus, .lastQualificationTime: nil
        }
    }

    /// What a dedup key on this source reads.
    var memberValue: MemberValue {
        switch self {
        case .membershipStatus: .status
        case .lastQualificationTime: .qualificationTime
        default: .field(memberField!)
        }
    }
}
