import ArgumentParser
import Foundation
import Segmentation
import Workspace

/// `ferry profiles schema [--json]`
struct ProfilesSchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the inferred profile schema: each attribute path, its type and how many profiles have it.",
        discussion: """
            The schema is inferred at import and widens as new paths or types appear. TYPE is one word \
            (text, integer, real, number for integers mixed with reals, boolean, array, object, null, \
            or mixed); TYPES gives how many profiles hold each JSON type at the path. A path whose value \
            is null in every profile holding it is listed with type null.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    struct Output: Encodable {
        var path: String
        var keys: [String]
        var type: String
        var profiles: Int
        var types: [ProfileField.TypeCount]

        init(_ field: ProfileField) {
            path = field.path
            keys = field.keys
            type = field.kind
            profiles = field.profiles
            types = field.types
        }
    }

    func run() async throws {
        let opened = try await options.openStore()
        let fields = try await WorkspaceOptions.translatingErrors { try await opened.store.profileSchema() }
        if json {
            print(try SegmentsShowCommand.json(fields.map(Output.init)))
            return
        }
        print(Self.table(fields), terminator: "")
    }

    /// PATH, TYPE, PROFILES and TYPES columns; the header alone when there are no profiles.
    static func table(_ fields: [ProfileField]) -> String {
        let rows = fields.map { field in
            [
                field.path, field.kind, String(field.profiles),
                field.types.map { "\($0.type) \($0.profiles)" }.joined(separator: ", "),
            ]
        }
        let header = ["PATH", "TYPE", "PROFILES", "TYPES"]
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var text = ""
        for row in [header] + rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                switch i {
                case 2: line += padding + cell + "  "  // numbers right-aligned
                case row.count - 1: line += cell
                default: line += cell + padding + "  "
                }
            }
            text += line + "\n"
        }
        return text
    }
}

/// Which PQL field paths the profiles have never had, and the nearest known path.
enum SchemaCheck {
    struct Unknown: Equatable {
        var path: String
        var suggestion: String?
    }

    /// The paths of `expression` that no profile has. A path is known when the
    /// schema lists it, when it leads to listed paths (an object such as
    /// `loyalty` for `loyalty.isNull()`), or when it goes inside a listed array
    /// or object. Nothing is unknown while the schema is empty (no profiles yet).
    static func unknownPaths(in expression: PQLExpression, schema: [ProfileField]) -> [Unknown] {
        guard !schema.isEmpty else { return [] }
        var known: Set<String> = []
        var containers: Set<String> = []
        var candidates: Set<String> = []
        for field in schema {
            known.insert(field.path)
            candidates.insert(field.path)
            if field.types.contains(where: { $0.type == "array" || $0.type == "object" }) {
                containers.insert(field.path)
            }
            for end in 1..<max(field.keys.count, 1) {
                let parent = field.keys[..<end].joined(separator: ".")
                known.insert(parent)
                candidates.insert(parent)
            }
        }
        var unknown: [Unknown] = []
        for path in PQL.fieldPaths(expression, itemPaths: false).sorted() where !known.contains(path) {
            let keys = path.split(separator: ".", omittingEmptySubsequences: false)
            let inside = (1..<max(keys.count, 1)).contains { containers.contains(keys[..<$0].joined(separator: ".")) }
            if inside { continue }
            unknown.append(Unknown(path: path, suggestion: suggestion(for: path, among: candidates)))
        }
        return unknown
    }

    /// The known path nearest to `path` by edit distance (ignoring case first),
    /// if it is close enough to be a typo; else a known path that ends with
    /// `path` (a missing prefix such as `birthYear` for `person.birthYear`).
    static func suggestion(for path: String, among known: Set<String>) -> String? {
        let lowered = Array(path.lowercased())
        var best: (Int, Int, String)?
        for candidate in known {
            let key = (
                editDistance(lowered, Array(candidate.lowercased())), editDistance(Array(path), Array(candidate)),
                candidate
            )
            if let current = best, !(key < current) { continue }
            best = key
        }
        if let best, best.0 <= max(2, path.count / 4) { return best.2 }
        let tail = "." + path
        return known.filter { $0.hasSuffix(tail) }.min { ($0.count, $0) < ($1.count, $1) }
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// One warning line per unknown path.
    static func warnings(segment: String, unknown: [Unknown]) -> [String] {
        unknown.map { item in
            var line = "warning: segment '\(segment)': no profile has the field \(item.path)"
            if let suggestion = item.suggestion {
                line += "; did you mean \(suggestion)?"
            } else {
                line += " (see `ferry profiles schema`)"
            }
            return line
        }
    }
}
