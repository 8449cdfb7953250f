import Foundation

/// Where a store keeps ExperienceEvents, for the SQL compiler.
///
/// The table has one row per event: `epid` (the profile's id), `ets` (the
/// timestamp as seconds since 1970, a double), `etype` (the eventType text, or
/// NULL when the event has none), and `edoc` (the whole event: JSON text in
/// SQLite, where it may lack its leading `_id`, `timestamp` and `eventType`
/// members when the row's columns give them back, and jsonb in PostgreSQL),
/// indexed on (epid, ets) and (etype, ets).
public struct PQLEventStore: Sendable, Equatable {
    public var table: String
    /// The profile row's id as the outer query names it, e.g. `profile.pid`.
    public var profileKey: String
    /// Events before this instant (seconds since 1970) are past retention and never seen.
    public var retainedSince: Double
    /// Event paths with typed columns, to their numbers: `xvN` and, in SQLite,
    /// `xtN` (what `json_extract` and `json_type` give for the path), or in
    /// PostgreSQL `xvN` (jsonb), `xsN` (text) and `xnN` (numeric), as a
    /// profile's `vN`, `tN`, `sN`, `nN` (see `SQLDialect`). Other paths are
    /// read from `edoc`.
    public var columns: [[String]: Int] = [:]
    /// SQLite: per typed path, the `json_type` names its events hold there.
    public var kinds: [[String]: Set<String>] = [:]

    /// SQLite: the text `strftime` writes for the instant `seconds` (an `ets`):
    /// whole seconds as `2026-06-15T12:00:00Z`, else with milliseconds.
    public static func timestampText(_ seconds: String) -> String {
        "strftime(CASE WHEN \(seconds) = CAST(\(seconds) AS INTEGER) THEN '%Y-%m-%dT%H:%M:%SZ' "
            + "ELSE '%Y-%m-%dT%H:%M:%fZ' END, \(seconds), 'unixepoch')"
    }

    public init(
        table: String = "event", profileKey: String, retainedSince: Double, columns: [[String]: Int] = [:],
        kinds: [[String]: Set<String>] = [:]
    ) {
        self.table = table
        self.profileKey = profileKey
        self.retainedSince = retainedSince
        self.columns = columns
        self.kinds = kinds
    }
}

/// What names stand for inside an event subquery.
struct PQLEventScope {
    /// Names bound by `exists`/`forall`/`select`/CHAIN steps to an event, and the alias of its row.
    var names: [String: String] = [:]
    /// The aliases of the event items of the filters around this point, innermost last.
    var items: [String] = []
    /// How deep in event subqueries; aliases are `ev1`, `ev2`, ...
    var depth = 0
    /// The profile id the current subquery correlates with.
    var pid: String?
    /// Set when a condition inside reads the profile, so its set can't be computed once for all profiles.
    var usage = Usage()

    final class Usage {
        var readsProfile = false
    }
}

extension PQLSQLCompiler {
    /// An event form as a condition; nil when `expression` is not one (the caller
    /// goes on), `.some(nil)` when it is one SQL can't say.
    func eventCondition(_ expression: PQLExpression) -> SQLFragment?? {
        switch expression {
        case .quantifier(let all, let bindings) where PQL.isEventList(bindings[0].source):
            guard events != nil else { return .some(nil) }
            return .some(eventQuantifier(all: all, bindings))
        case .call(let receiver, .filter, _) where PQL.isEventList(receiver):
            guard events != nil else { return .some(nil) }
            return .some(eventSet(expression, exists: true))
        case .comparison(.call(let receiver, let function, let arguments), let comparison, .literal(let value, _))
        where PQL.isEventList(receiver) && events != nil && eventScope.depth == 0
            && [.count, .sum, .average, .min, .max].contains(function):
            // Otherwise the comparison goes on with the aggregate as a subquery per profile.
            return groupedComparison(receiver, function, arguments.first, comparison, value).map { .some($0) }
        case .occurs(.field(let path, _), let form) where eventScope.depth > 0:
            guard let alias = eventTimeAlias(path) else { return nil }
            return .some(eventTime(alias, form))
        case .letIn(let name, let value, let body) where PQL.readsEvents(value):
            guard events != nil, let substituted = body.substituting(name, with: value) else { return .some(nil) }
            return .some(condition(substituted))
        case .inSegment where eventScope.depth > 0:
            eventScope.usage.readsProfile = true
            return nil
        default:
            return nil
        }
    }

    /// An aggregate of events as a value.
    func eventOperand(_ expression: PQLExpression) -> Operand?? {
        switch expression {
        case .call(let receiver, let function, let arguments)
        where PQL.isEventList(receiver) && [.count, .sum, .average, .min, .max].contains(function):
            guard events != nil else { return .some(nil) }
            return .some(eventAggregate(receiver, function, arguments.first))
        case .letIn(let name, let value, let body) where PQL.readsEvents(value):
            guard events != nil, let substituted = body.substituting(name, with: value) else { return .some(nil) }
            return .some(operand(substituted))
        default:
            return nil
        }
    }

    /// A field inside an event subquery: a bound event's, the item event's, an
    /// outer level's (`^`), or else the profile's (noted, see `Usage`).
    func scopedField(_ path: [String]) -> Operand?? {
        if path.first == PQL.upKey {
            let levels = path.prefix { $0 == PQL.upKey }.count
            let rest = Array(path.dropFirst(levels))
            if levels < eventScope.items.count {
                return .some(eventField(eventScope.items[eventScope.items.count - 1 - levels], rest))
            }
            // Past the outermost filter: the profile.
            return .some(profileCompiler.field(rest))
        }
        if path.first == PQL.eventsField { return .some(nil) }
        if let first = path.first, let alias = eventScope.names[first] {
            return .some(eventField(alias, Array(path.dropFirst())))
        }
        if let alias = eventScope.items.last { return .some(eventField(alias, path)) }
        if eventScope.depth > 0 { eventScope.usage.readsProfile = true }
        return nil
    }

    /// This compiler outside every event subquery, for the profile's own fields.
    private var profileCompiler: PQLSQLCompiler {
        if eventScope.depth > 0 { eventScope.usage.readsProfile = true }
        var outer = self
        outer.eventScope = PQLEventScope()
        outer.eventScope.usage = eventScope.usage
        return outer
    }

    /// A path of the event in row `alias`: `eventType` and `_id` from their
    /// columns, the rest from its document.
    private func eventField(_ alias: String, _ path: [String]) -> Operand? {
        if path.isEmpty { return nil }
        if path == ["eventType"] {
            let type = SQLFragment(sql: "(CASE WHEN \(alias).etype IS NOT NULL THEN 'text' END)")
            return Operand(type: type, values: [.text: SQLFragment(sql: "\(alias).etype")], known: nil)
        }
        // Every event has a text `_id`; a SQLite document may have been stored
        // without it, and without a `timestamp` its `ets` writes back.
        if path == ["_id"] {
            return Operand(
                type: SQLFragment(sql: "'text'"), values: [.text: SQLFragment(sql: "\(alias).id")], known: nil)
        }
        if path == ["timestamp"], dialect == .sqlite {
            let text =
                "coalesce(json_extract(\(alias).edoc, '$.timestamp'), \(PQLEventStore.timestampText("\(alias).ets")))"
            return Operand(type: SQLFragment(sql: "'text'"), values: [.text: SQLFragment(sql: text)], known: nil)
        }
        return eventDocument(alias).field(path)
    }

    /// An array test (`includes`, `intersects`, ...) of a field inside an event
    /// subquery, on the event's document or columns; nil when the field is the
    /// profile's (noted, see `Usage`), so the caller tests the profile's.
    func scopedArrayTarget(_ path: [String]) -> (PQLSQLCompiler, [String])? {
        guard eventScope.depth > 0 || !eventScope.items.isEmpty else { return nil }
        if path.first == PQL.upKey {
            let levels = path.prefix { $0 == PQL.upKey }.count
            let rest = Array(path.dropFirst(levels))
            if levels < eventScope.items.count {
                return (eventDocument(eventScope.items[eventScope.items.count - 1 - levels]), rest)
            }
            eventScope.usage.readsProfile = true
            return (profileCompiler, rest)
        }
        if let first = path.first, let alias = eventScope.names[first] {
            return (eventDocument(alias), Array(path.dropFirst()))
        }
        if let alias = eventScope.items.last { return (eventDocument(alias), path) }
        eventScope.usage.readsProfile = true
        return (profileCompiler, path)
    }

    /// A compiler of the fields of the event in row `alias`: its typed columns, else its document.
    private func eventDocument(_ alias: String) -> PQLSQLCompiler {
        var document = PQLSQLCompiler(column: "\(alias).edoc", dialect: dialect, now: now)
        document.eventScope.usage = eventScope.usage
        if let events {
            // The event's own typed columns, named apart from the profile's (`xvN`),
            // so a profile field read in the same subquery still finds its own.
            document.typedColumns = events.columns
            document.typedKinds = events.kinds
            document.columnPrefix = "\(alias).x"
            document.nativeValues = dialect == .postgresql
            document.derivedTypes = dialect == .postgresql
        }
        return document
    }

    /// The alias whose `ets` a path names: `timestamp` of the item event, or `E.timestamp` of a bound one.
    private func eventTimeAlias(_ path: [String]) -> String? {
        if path == ["timestamp"], let alias = eventScope.items.last { return alias }
        if path.count == 2, path[1] == "timestamp", let alias = eventScope.names[path[0]] { return alias }
        return nil
    }

    /// `timestamp occurs ...` on the event's `ets`: against the clock the range is
    /// constant; against another event's time (a CHAIN gap) it is that row's `ets` plus offsets.
    private func eventTime(_ alias: String, _ form: PQLOccurs) -> SQLFragment? {
        let time: PQLTime
        switch form {
        case .on(let t), .before(let t), .after(let t), .distance(_, _, _, _, let t): time = t
        }
        let column = "\(alias).ets"
        if case .value(.field(let path, _)) = time, let anchor = eventTimeAlias(path), anchor != alias {
            if case .distance(_, _, let unit, _, _) = form, unit.seconds == nil { return nil }
            let origin = PQLTimestamp(seconds: 0, isDay: false)
            guard let range = PQLPeriods(now: now).range(form, resolve: { _ in origin }), !range.byDay else {
                return nil
            }
            return intervals(range.intervals, column) { "\(anchor).ets + \(Self.number($0))" }
        }
        guard let range = PQLPeriods(now: now).range(form, resolve: eventConstantTime) else { return nil }
        var shifted = range.intervals
        if range.byDay {
            // Compared by UTC day: a day start within bounds is a span of instants.
            func floorDay(_ x: Double) -> Double { (x / 86_400).rounded(.down) * 86_400 }
            func ceilDay(_ x: Double) -> Double { (x / 86_400).rounded(.up) * 86_400 }
            for index in shifted.indices {
                if let lower = shifted[index].lower {
                    shifted[index].lower = shifted[index].lowerInclusive ? ceilDay(lower) : floorDay(lower) + 86_400
                    shifted[index].lowerInclusive = true
                }
                if let upper = shifted[index].upper {
                    shifted[index].upper = shifted[index].upperInclusive ? floorDay(upper) + 86_400 : ceilDay(upper)
                    shifted[index].upperInclusive = false
                }
            }
        }
        return intervals(shifted, column) { Self.number($0) }
    }

    private func intervals(
        _ intervals: [PQLTimeRange.Interval], _ column: String, _ bound: (Double) -> String
    ) -> SQLFragment {
        any(
            intervals.map { interval in
                var parts: [SQLFragment] = []
                if let lower = interval.lower {
                    parts.append(SQLFragment(sql: "\(column) \(interval.lowerInclusive ? ">=" : ">") \(bound(lower))"))
                }
                if let upper = interval.upper {
                    parts.append(SQLFragment(sql: "\(column) \(interval.upperInclusive ? "<=" : "<") \(bound(upper))"))
                }
                return all(parts)
            })
    }

    /// A time the text fixes: a date, a literal timestamp, now or today.
    private func eventConstantTime(_ expression: PQLExpression) -> PQLTimestamp? {
        switch expression {
        case .literal(.string(let text), _): return PQLTimestamp.parse(text)
        case .date(let year, let month, let day): return .day(year: year, month: month, day: day)
        case .now: return PQLTimestamp(seconds: now.timeIntervalSince1970, isDay: false)
        default: return nil
        }
    }

    /// A double as SQL text that reads back exactly.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) + ".0" : "\(value)"
    }

    /// The rows of an event list: `xEvent`, filtered (`xEvent[c]`) or selected
    /// (`select X from xEvent where c`), without the retention bound (see `retained`).
    private func eventRows(_ source: PQLExpression, alias: String) -> [SQLFragment]? {
        guard events != nil else { return nil }
        switch source {
        case .field:
            return []
        case .call(let inner, .filter, let arguments):
            guard let parts = eventRows(inner, alias: alias) else { return nil }
            var scoped = inside(alias)
            scoped.eventScope.items.append(alias)
            guard let tests = scoped.rowTests(arguments[0], alias: alias, type: ["eventType"]) else { return nil }
            return parts + tests
        case .select(let binding):
            guard let parts = eventRows(binding.source, alias: alias) else { return nil }
            guard let condition = binding.condition else { return parts }
            var scoped = inside(alias)
            scoped.eventScope.names[binding.name] = alias
            guard let tests = scoped.rowTests(condition, alias: alias, type: [binding.name, "eventType"]) else {
                return nil
            }
            return parts + tests
        default:
            return nil
        }
    }

    /// A condition every selected row meets, as one test per conjunct. Only rows
    /// passing all of them are kept, so a NULL test drops a row as a false one
    /// does, and `eventType` equal to text can be the bare `etype = ?` an index serves.
    private func rowTests(_ test: PQLExpression, alias: String, type: [String]) -> [SQLFragment]? {
        var tests: [SQLFragment] = []
        func add(_ expression: PQLExpression) -> Bool {
            if case .and(let left, let right) = expression { return add(left) && add(right) }
            guard let test = typeTest(expression, alias: alias, type: type) ?? condition(expression) else {
                return false
            }
            tests.append(test)
            return true
        }
        return add(test) ? tests : nil
    }

    /// `eventType = "x"` or `eventType in ["x", "y"]` (`type` is how the row's
    /// eventType is named here) on the `etype` column; nil for anything else.
    private func typeTest(_ expression: PQLExpression, alias: String, type: [String]) -> SQLFragment? {
        if type.count == 1, eventScope.names[type[0]] != nil { return nil }
        func literal(_ expression: PQLExpression) -> String? {
            guard case .literal(.string(let text), _) = expression, !text.utf8.contains(0) else { return nil }
            return text
        }
        switch expression {
        case .comparison(.field(let path, _), .equal, let value) where path == type:
            return literal(value).map { "(\(alias).etype = " + text($0) + ")" }
        case .comparison(let value, .equal, .field(let path, _)) where path == type:
            return literal(value).map { "(\(alias).etype = " + text($0) + ")" }
        case .isIn(.field(let path, _), let items) where path == type && !items.isEmpty:
            let texts = items.compactMap(literal)
            guard texts.count == items.count else { return nil }
            return "(\(alias).etype IN (" + texts.map(text).joined(separator: ", ") + "))"
        default:
            return nil
        }
    }

    /// The retention bound on a row's time. It comes last in a WHERE: SQLite
    /// bounds an index range with the first lower bound it finds on `ets`, and a
    /// CHAIN gap (`ets > A.ets`) is far narrower than retention.
    private func retained(_ alias: String) -> SQLFragment {
        SQLFragment(sql: "\(alias).ets >= \(Self.number(events?.retainedSince ?? 0))")
    }

    /// This compiler one event subquery deeper, correlated through `alias`.
    private func inside(_ alias: String) -> PQLSQLCompiler {
        var copy = self
        copy.eventScope.depth = eventScope.depth + 1
        copy.eventScope.pid = "\(alias).epid"
        return copy
    }

    private var nextAlias: String { "ev\(eventScope.depth + 1)" }

    /// Whether some (`exists`) or no (`!exists`) event of the profile meets `parts`.
    ///
    /// At the top, with nothing of the profile read inside, the set is computed
    /// once (`pid IN (SELECT epid ...)`); otherwise it is a subquery per profile
    /// on the (epid, ets) index.
    private func exists(_ alias: String, _ parts: [SQLFragment], negated: Bool = false, usage: PQLEventScope.Usage)
        -> SQLFragment?
    {
        guard let events else { return nil }
        let body = all(parts + [retained(alias)])
        if eventScope.depth == 0, !usage.readsProfile {
            return "(" + events.profileKey + (negated ? " NOT IN" : " IN")
                + " (SELECT \(alias).epid FROM \(events.table) AS \(alias) WHERE " + body + "))"
        }
        let pid = eventScope.pid ?? events.profileKey
        return (negated ? "(NOT EXISTS" : "(EXISTS")
            + " (SELECT 1 FROM \(events.table) AS \(alias) WHERE \(alias).epid = \(pid) AND " + body + "))"
    }

    /// A fresh usage record for one event set, shared by the compilers inside it.
    private func tracking() -> (PQLSQLCompiler, PQLEventScope.Usage) {
        var copy = self
        let usage = PQLEventScope.Usage()
        copy.eventScope.usage = usage
        return (copy, usage)
    }

    private func eventSet(_ list: PQLExpression, exists wanted: Bool) -> SQLFragment? {
        let (compiler, usage) = tracking()
        let alias = nextAlias
        guard let parts = compiler.eventRows(list, alias: alias) else { return nil }
        if usage.readsProfile { eventScope.usage.readsProfile = true }
        return compiler.exists(alias, parts, negated: !wanted, usage: usage)
    }

    /// `exists E from xEvent where c, F from xEvent where d` (CHAIN's form too) and `forall`.
    private func eventQuantifier(all every: Bool, _ bindings: [PQLBinding]) -> SQLFragment? {
        let (compiler, usage) = tracking()
        let alias = nextAlias
        let binding = bindings[0]
        guard var parts = compiler.eventRows(binding.source, alias: alias) else { return nil }
        var scoped = compiler.inside(alias)
        scoped.eventScope.names[binding.name] = alias
        var tests: [SQLFragment] = []
        if let condition = binding.condition {
            // With `exists` the condition selects rows like a filter; with `forall` it is negated.
            if every {
                guard let test = scoped.condition(condition) else { return nil }
                tests.append(test)
            } else {
                guard let rowTests = scoped.rowTests(condition, alias: alias, type: [binding.name, "eventType"])
                else { return nil }
                tests += rowTests
            }
        }
        if bindings.count > 1 {
            guard let rest = scoped.condition(.quantifier(all: every, Array(bindings.dropFirst()))) else { return nil }
            tests.append(rest)
        }
        if usage.readsProfile { eventScope.usage.readsProfile = true }
        if every {
            // Every event passes: none fails.
            if !tests.isEmpty { parts.append("(NOT " + all(tests) + ")") } else { return yes }
            return compiler.exists(alias, parts, negated: true, usage: usage)
        }
        return compiler.exists(alias, parts + tests, usage: usage)
    }

    /// `xEvent[...].count() op n` (or `sum`, `average`, `min`, `max`): the
    /// profiles whose aggregate passes, as one grouped set over the events, so
    /// neither every profile nor every event pays a subquery.
    private func groupedComparison(
        _ list: PQLExpression, _ function: PQLFunction, _ argument: PQLExpression?, _ comparison: PQLComparison,
        _ literal: JSONValue
    ) -> SQLFragment? {
        guard let events else { return nil }
        let bound: Double
        switch literal {
        case .int(let n): bound = Double(n)
        case .double(let x) where x.isFinite: bound = x
        default: return nil
        }
        let (compiler, usage) = tracking()
        let alias = nextAlias
        guard let parts = compiler.eventRows(list, alias: alias),
            let aggregate = compiler.aggregateSQL(function, argument, alias: alias), !usage.readsProfile,
            let value = operand(.literal(literal))?.value(.number)
        else { return nil }
        // A profile without a matching event has a count and a sum of 0, and no
        // average, minimum or maximum (every comparison false).
        let zeroPasses: Bool
        switch (function, comparison) {
        case (.count, _), (.sum, _):
            switch comparison {
            case .equal: zeroPasses = bound == 0
            case .notEqual: zeroPasses = bound != 0
            case .less: zeroPasses = 0 < bound
            case .lessOrEqual: zeroPasses = 0 <= bound
            case .greater: zeroPasses = 0 > bound
            case .greaterOrEqual: zeroPasses = 0 >= bound
            }
        default: zeroPasses = false
        }
        // Profiles that pass with none are not in the grouped set, so when 0
        // passes the set holds the profiles that fail. COUNT and the sum are
        // never NULL; an average of no numbers is, and fails as absent does.
        let having = "(" + aggregate + " \(comparison.rawValue) " + value + ")"
        let group =
            " (SELECT \(alias).epid FROM \(events.table) AS \(alias) WHERE " + all(parts + [compiler.retained(alias)])
            + " GROUP BY \(alias).epid HAVING " + (zeroPasses ? "NOT " + having : having) + ")"
        return "(" + events.profileKey + (zeroPasses ? " NOT IN" : " IN") + group + ")"
    }

    /// The aggregate over rows `alias` in SQL: `COUNT(*)`, the sum (0 for
    /// none), or the average, minimum, maximum of the items' numbers (NULL
    /// for none); nil when the items' value is never a number, but for the sum.
    private func aggregateSQL(_ function: PQLFunction, _ argument: PQLExpression?, alias: String) -> SQLFragment? {
        if function == .count {
            return SQLFragment(sql: dialect == .sqlite ? "COUNT(*)" : "CAST(COUNT(*) AS numeric)")
        }
        // The evaluator adds up the numbers among the items' values and skips the rest.
        var number: SQLFragment?
        if let argument {
            var scoped = inside(alias)
            scoped.eventScope.items.append(alias)
            guard let item = scoped.operand(argument) else { return nil }
            number = scoped.numeric(item)
        }
        // A sum of no numbers is 0, over no rows as over some.
        let none = SQLFragment(sql: dialect == .sqlite ? "TOTAL(NULL)" : "COALESCE(SUM(CAST(NULL AS numeric)), 0)")
        guard let number else { return function == .sum ? none : nil }
        switch (function, dialect) {
        case (.sum, .sqlite): return "TOTAL(" + number + ")"
        case (.sum, .postgresql): return "COALESCE(SUM(" + number + "), 0)"
        case (.average, _): return "AVG(" + number + ")"
        case (.min, _): return "MIN(" + number + ")"
        default: return "MAX(" + number + ")"
        }
    }

    /// `count`, `sum`, `average`, `min`, `max` over the profile's events, as a scalar subquery.
    private func eventAggregate(_ list: PQLExpression, _ function: PQLFunction, _ argument: PQLExpression?)
        -> Operand?
    {
        guard let events else { return nil }
        let (compiler, usage) = tracking()
        let alias = nextAlias
        guard let parts = compiler.eventRows(list, alias: alias) else { return nil }
        if usage.readsProfile { eventScope.usage.readsProfile = true }
        let pid = eventScope.pid ?? events.profileKey
        let from =
            " FROM \(events.table) AS \(alias) WHERE \(alias).epid = \(pid) AND " + all(parts + [retained(alias)]) + ")"
        guard let value = compiler.aggregateSQL(function, argument, alias: alias) else { return nil }
        let aggregate = "(SELECT " + value + from
        if function == .count {
            return Operand(type: SQLFragment(sql: "'integer'"), value: aggregate, known: .number)
        }
        if function == .sum {
            return Operand(type: SQLFragment(sql: "'real'"), value: aggregate, known: .number)
        }
        let type: SQLFragment = "(CASE WHEN " + aggregate + " IS NULL THEN NULL ELSE 'real' END)"
        var result = Operand(type: type, values: [.number: aggregate], known: nil)
        result.numberOrNull = true
        return result
    }
}

extension PQLExpression {
    /// The expression with the name `let` bound replaced by its value; nil when
    /// the name is used in a way a plain replacement would change.
    func substituting(_ name: String, with value: PQLExpression) -> PQLExpression? {
        func sub(_ e: PQLExpression) -> PQLExpression? { e.substituting(name, with: value) }
        switch self {
        case .field(let path, _):
            if path.first == name { return path.count == 1 ? value : nil }
            return self
        case .literal, .date, .now, .today, .inSegment: return self
        case .and(let a, let b): return sub(a).flatMap { x in sub(b).map { .and(x, $0) } }
        case .or(let a, let b): return sub(a).flatMap { x in sub(b).map { .or(x, $0) } }
        case .not(let a): return sub(a).map { .not($0) }
        case .comparison(let a, let op, let b): return sub(a).flatMap { x in sub(b).map { .comparison(x, op, $0) } }
        case .arithmetic(let a, let op, let b): return sub(a).flatMap { x in sub(b).map { .arithmetic(x, op, $0) } }
        case .conditional(let a, let b, let c):
            guard let x = sub(a), let y = sub(b), let z = sub(c) else { return nil }
            return .conditional(x, then: y, else: z)
        case .occursBetween(let a, let b, let c):
            guard let x = sub(a), let y = sub(b), let z = sub(c) else { return nil }
            return .occursBetween(x, y, z)
        case .isIn(let a, let items):
            guard let x = sub(a) else { return nil }
            let mapped = items.compactMap(sub)
            return mapped.count == items.count ? .isIn(x, mapped) : nil
        case .notIn(let a, let items):
            guard let x = sub(a) else { return nil }
            let mapped = items.compactMap(sub)
            return mapped.count == items.count ? .notIn(x, mapped) : nil
        default:
            var mentioned = false
            PQL.visit(self) { node in
                if case .field(let path, _) = node, path.first == name { mentioned = true }
            }
            return mentioned ? nil : self
        }
    }
}
