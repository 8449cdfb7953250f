/// A segment as the dependency functions see it: its id, name and parsed definition.
public struct PQLSegmentDefinition: Sendable, Equatable {
    public var id: String
    public var name: String
    public var expression: PQLExpression

    public init(id: String, name: String, expression: PQLExpression) {
        self.id = id
        self.name = name
        self.expression = expression
    }
}

/// Why segments that use `inSegment` can't be ordered or created.
public enum PQLDependencyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Names along the cycle, the first repeated at the end: ["a", "b", "a"].
    case cycle([String])
    /// `segment` refers to `reference`, which is no segment's id or name.
    case unknownSegment(reference: String, segment: String)

    public var description: String {
        switch self {
        case .cycle(let names):
            if names.count == 2 { return "Segment '\(names[0])' refers to itself with inSegment." }
            return "Segments refer to each other in a cycle: " + names.map { "'\($0)'" }.joined(separator: " -> ") + "."
        case .unknownSegment(let reference, let segment):
            return "Segment '\(segment)' refers to '\(reference)' with inSegment, but no segment has that id or name."
        }
    }
}

extension PQL {
    /// The references of every `inSegment(...)` in the expression, as written.
    public static func segmentReferences(_ expression: PQLExpression) -> Set<String> {
        var references: Set<String> = []
        visit(expression) { if case .inSegment(let reference, _) = $0 { references.insert(reference) } }
        return references
    }

    /// The segments in an order where every segment comes after the ones its `inSegment`s
    /// refer to; otherwise in the given order. References to no known segment are ignored
    /// here (the membership hook answers "not a member"). A cycle throws, naming it.
    public static func evaluationOrder(_ segments: [PQLSegmentDefinition]) throws(PQLDependencyError)
        -> [PQLSegmentDefinition]
    {
        let dependencies = segments.map { segment in
            Set(segmentReferences(segment.expression).compactMap { resolve($0, in: segments) })
        }
        var placed = Array(repeating: false, count: segments.count)
        var order: [PQLSegmentDefinition] = []
        // Repeated passes keep the given order among independent segments; n is small.
        var progress = true
        while order.count < segments.count, progress {
            progress = false
            for index in segments.indices where !placed[index] {
                if dependencies[index].allSatisfy({ placed[$0] }) {
                    placed[index] = true
                    order.append(segments[index])
                    progress = true
                }
            }
        }
        guard order.count < segments.count else { return order }
        // Every unplaced segment waits on another unplaced one: walk until a segment repeats.
        var path: [Int] = [segments.indices.first { !placed[$0] }!]
        while true {
            let next = dependencies[path.last!].sorted().first { !placed[$0] }!
            if let start = path.firstIndex(of: next) {
                throw .cycle((path[start...] + [next]).map { segments[$0].name })
            }
            path.append(next)
        }
    }

    /// Checks a segment about to be created or changed against the others: every
    /// `inSegment` must name one of them (or the segment itself, which is a cycle),
    /// and no cycle may form.
    public static func checkDependencies(of segment: PQLSegmentDefinition, among others: [PQLSegmentDefinition])
        throws(PQLDependencyError)
    {
        // First, so a cycle is named from the segment being created.
        let all = [segment] + others.filter { $0.id != segment.id }
        for reference in segmentReferences(segment.expression).sorted() where resolve(reference, in: all) == nil {
            throw .unknownSegment(reference: reference, segment: segment.name)
        }
        _ = try evaluationOrder(all)
    }

    /// The index of the segment a reference names: an id first (ids compare without case), then a name.
    public static func resolve(_ reference: String, in segments: [PQLSegmentDefinition]) -> Int? {
        let lowered = reference.lowercased()
        return segments.firstIndex { $0.id.lowercased() == lowered } ?? segments.firstIndex { $0.name == reference }
    }

    /// Calls `body` on every node of the expression, parents first.
    static func visit(_ expression: PQLExpression, _ body: (PQLExpression) -> Void) {
        body(expression)
        switch expression {
        case .literal, .field, .date, .now, .today, .inSegment:
            break
        case .list(let items):
            for item in items { visit(item, body) }
        case .comparison(let a, _, let b), .and(let a, let b), .or(let a, let b), .arithmetic(let a, _, let b):
            visit(a, body)
            visit(b, body)
        case .not(let inner):
            visit(inner, body)
        case .isIn(let value, let items), .notIn(let value, let items):
            for item in [value] + items { visit(item, body) }
        case .call(let receiver, _, let arguments):
            for item in [receiver] + arguments { visit(item, body) }
        case .occursBetween(let a, let b, let c), .conditional(let a, let b, let c):
            for item in [a, b, c] { visit(item, body) }
        case .quantifier(_, let bindings):
            for binding in bindings {
                visit(binding.source, body)
                if let condition = binding.condition { visit(condition, body) }
            }
        case .select(let binding):
            visit(binding.source, body)
            if let condition = binding.condition { visit(condition, body) }
        case .letIn(_, let value, let body_):
            visit(value, body)
            visit(body_, body)
        case .occurs(let value, let form):
            visit(value, body)
            switch form {
            case .on(let time), .before(let time), .after(let time), .distance(_, _, _, _, let time):
                if case .value(let inner) = time { visit(inner, body) }
            }
        }
    }

    /// The parts of an expression that keep it from compiling to SQL, described for
    /// `segments show` (e.g. "'matches'"); empty when the whole compiles. The membership
    /// hook is assumed to be given, since every store provides one.
    public static func swiftOnlyParts(_ expression: PQLExpression, dialect: SQLDialect = .sqlite) -> [String] {
        let compiler = PQLSQLCompiler(
            column: "doc", dialect: dialect, membership: { _ in SQLFragment(sql: dialect == .sqlite ? "1" : "TRUE") },
            events: PQLEventStore(profileKey: "profile.pid", retainedSince: 0))
        var parts: [String] = []
        func walk(_ expression: PQLExpression) {
            if compiler.condition(expression) != nil { return }
            switch expression {
            case .and(let a, let b), .or(let a, let b):
                walk(a)
                walk(b)
            case .not(let inner):
                walk(inner)
            default:
                parts.append(describe(expression))
            }
        }
        walk(expression)
        var seen: Set<String> = []
        return parts.filter { seen.insert($0).inserted }
    }

    private static func describe(_ expression: PQLExpression) -> String {
        var found: String?
        visit(expression) { node in
            guard found == nil else { return }
            switch node {
            case .call(_, let function, let arguments):
                if function == .matches {
                    found = "'matches' (regular expressions)"
                } else if arguments.count == 2, case .literal(.bool(false), _) = arguments[1] {
                    found = "case-insensitive '\(function.rawValue)'"
                } else if function.isValued {
                    found = "'\(function.rawValue)'"
                }
            case .occurs, .occursBetween: found = "'occurs' (dates)"
            case .date, .now, .today: found = "dates and times"
            default: break
            }
        }
        return found ?? "a form without SQL"
    }
}
