import Foundation

/// What a segment, destination or activation name may hold. Names are printed in terminals,
/// logs and alerts and end up in S3 keys, so characters that can rewrite what a reader sees are
/// refused: control characters (terminal escapes start with ESC), line and paragraph separators,
/// and the bidirectional controls that can make `gold‮lanif` display reversed.
public enum NameRules {
    /// The name, trimmed of surrounding spaces, or an error naming the offending character.
    public static func checked(_ name: String, kind: String) throws(WorkspaceError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw WorkspaceError(.badName, "A \(kind) name must not be empty.")
        }
        if let bad = trimmed.unicodeScalars.first(where: isForbidden) {
            throw WorkspaceError(
                .badName,
                "A \(kind) name must not contain \(describe(bad)) (U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(4))); control characters, terminal escapes and bidirectional overrides are refused."
            )
        }
        return trimmed
    }

    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: break
        }
        switch scalar.value {
        // LRM, RLM, ALM, the embeddings and overrides (LRE..RLO), and the isolates (LRI..PDI).
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x1B: "an escape character"
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: "a bidirectional control"
        default: "a control character"
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
