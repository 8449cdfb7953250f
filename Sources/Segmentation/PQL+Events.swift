import Foundation

extension PQL {
    /// The name PQL gives a profile's ExperienceEvents. The Swift evaluator reads
    /// them from the profile document under this key, oldest first.
    public static let eventsField = "xEvent"

    /// The key `^` becomes in a field path: one filter level up.
    static let upKey = "^"

    /// An ISO 8601 date-time as seconds since 1970, as the evaluator reads it;
    /// nil for anything else, a date without a time included.
    public static func instant(_ text: String) -> Double? {
        guard let time = PQLTimestamp.parse(text), !time.isDay else { return nil }
        return time.seconds
    }

    /// Evaluates with the profile's ExperienceEvents in view as `xEvent`.
    public static func evaluate(
        _ expression: PQLExpression, on profile: JSONValue, events: [JSONValue], now: Date,
        isMember: @escaping (String) -> Bool = { _ in false }
    ) -> Bool {
        PQLEvaluator(profile: withEvents(profile, events), now: now, isMember: isMember).isTrue(expression)
    }

    /// The profile document with its events under `xEvent`, as the evaluator reads them.
    public static func withEvents(_ profile: JSONValue, _ events: [JSONValue]) -> JSONValue {
        guard case .object(var members) = profile else { return .object([eventsField: .array(events)]) }
        members[eventsField] = .array(events)
        return .object(members)
    }

    /// Whether the expression reads ExperienceEvents; such segments depend on the
    /// clock (events age out) and on the event store.
    public static func readsEvents(_ expression: PQLExpression) -> Bool {
        var found = false
        visit(expression) { node in
            if case .field(let path, _) = node, path.first == eventsField { found = true }
        }
        return found
    }

    /// `xEvent`, a filter of it, or a `select` from it: a list whose items are events.
    static func isEventList(_ expression: PQLExpression) -> Bool {
        switch expression {
        case .field(let path, _): return path == [eventsField]
        case .call(let receiver, .filter, _): return isEventList(receiver)
        case .select(let binding): return isEventList(binding.source)
        default: return false
        }
    }
}
