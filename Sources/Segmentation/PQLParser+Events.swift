/// The ExperienceEvent forms: `xEvent[...]` filters, the `^` up operator,
/// `sum X.path over X from xEvent where ...`, and `CHAIN(...)` sequences.
///
/// CHAIN is read into the quantifier it means (see docs/events.md), so the
/// evaluator and the SQL compiler have one form to answer for both.
extension PQLParser {
    /// `list[condition]`: the items that meet the condition, read against each item.
    mutating func parseBracketFilter(on expression: PQLExpression) throws(PQLError) -> PQLExpression {
        let open = current
        switch expression {
        case .field, .call, .select: break
        default: throw error("only a list can be filtered with '[...]'", at: open)
        }
        try enterNesting(open)
        defer { leaveNesting() }
        try advanceToken()
        let condition = try parseCondition(after: open)
        guard current.isSymbol("]") else {
            throw error("expected ']' to close the filter opened at \(open.position)", at: current)
        }
        try advanceToken()
        return .call(expression, .filter, [condition])
    }

    /// `^.a.b`, `^^.a`: a field of the item one (two, ...) filter levels up;
    /// past the outermost filter, the profile's.
    mutating func parseUp(_ start: PQLToken) throws(PQLError) -> PQLExpression {
        var levels = 0
        while current.isSymbol("^") {
            levels += 1
            try advanceToken()
        }
        guard current.isSymbol(".") else { throw error("expected '.' and a field name after '^'", at: current) }
        try advanceToken()
        guard case .identifier(let name) = current.kind else {
            throw error("expected a field name after '^.'", at: current)
        }
        try advanceToken()
        return .field(Array(repeating: PQL.upKey, count: levels) + [name], at: start.position)
    }

    /// After `sum` (`average`, `min`, `max`, `count`): a value, then `over`.
    func startsAggregateOver() throws(PQLError) -> Bool {
        let next = try upcoming(1)
        guard case .identifier(let name) = next[0].kind, !["(", "."].contains(name) else { return false }
        // `sum X.a.b over X from ...`: scan the dotted path for `over`.
        var tokens = try upcoming(64)
        while let first = tokens.first, first.kind != .end {
            if first.kind == .identifier("over") { return true }
            if case .identifier = first.kind {
            } else if !first.isSymbol(".") {
                return false
            }
            tokens.removeFirst()
        }
        return false
    }

    /// `sum X.path over X from list where condition` is `(select X from list where condition).sum(path)`.
    mutating func parseAggregateOver(_ start: PQLToken) throws(PQLError) -> PQLExpression {
        guard case .identifier(let word) = start.kind, let function = PQLFunction(rawValue: word) else {
            preconditionFailure("checked by startsAggregateOver")
        }
        try enterNesting(start)
        defer { leaveNesting() }
        try advanceToken()
        let valueToken = current
        let value = try parseValue(after: start)
        guard current.kind == .identifier("over") else { throw error("expected 'over' after the value", at: current) }
        let over = current
        try advanceToken()
        let bindings = try parseBindingList(after: over, chained: false)
        let binding = bindings[0]
        guard case .field(let path, let position) = value, path.first == binding.name, path.count > 1 else {
            if function == .count, case .field([binding.name], _) = value {
                return .call(.select(binding), .count, [])
            }
            throw error("expected '\(binding.name).field' before 'over'", at: valueToken)
        }
        if function == .count { return .call(.select(binding), .count, []) }
        return .call(.select(binding), function, [.field(Array(path.dropFirst()), at: position)])
    }

    /// `CHAIN(xEvent, timestamp, [A: WHAT(...) WHERE(...) WHEN(...) COUNT(n), B: ...])`.
    mutating func parseChain(_ start: PQLToken) throws(PQLError) -> PQLExpression {
        try enterNesting(start)
        defer { leaveNesting() }
        try advanceToken()
        try advanceToken()  // '('
        let source = try parseValue(after: start)
        guard case .field([PQL.eventsField], _) = source else {
            throw error("CHAIN reads xEvent: CHAIN(xEvent, timestamp, [...])", at: start)
        }
        try expectSymbol(",", "after xEvent in CHAIN")
        guard case .identifier(let timeField) = current.kind else {
            throw error("expected the time field (timestamp) as the second argument of CHAIN", at: current)
        }
        try advanceToken()
        try expectSymbol(",", "after the time field in CHAIN")
        try expectSymbol("[", "to open the steps of CHAIN")
        var steps: [PQLChainStep] = []
        while true {
            steps.append(try parseChainStep(labels: steps.map(\.label), timeField: timeField))
            if current.isSymbol(",") {
                try advanceToken()
                continue
            }
            break
        }
        try expectSymbol("]", "to close the steps of CHAIN")
        try expectSymbol(")", "to close CHAIN")
        return PQLChainStep.quantifier(steps, timeField: timeField)
    }

    private mutating func expectSymbol(_ symbol: String, _ purpose: String) throws(PQLError) {
        guard current.isSymbol(symbol) else { throw error("expected '\(symbol)' \(purpose)", at: current) }
        try advanceToken()
    }

    private mutating func parseChainStep(labels: [String], timeField: String) throws(PQLError) -> PQLChainStep {
        guard case .identifier(let label) = current.kind else {
            throw error("expected a step label such as 'A:' in CHAIN", at: current)
        }
        if labels.contains(label) { throw error("the step label '\(label)' is used twice", at: current) }
        try advanceToken()
        try expectSymbol(":", "after the step label '\(label)'")
        var step = PQLChainStep(label: label)
        while case .identifier(let clause) = current.kind,
            ["WHAT", "WHERE", "WHEN", "COUNT"].contains(clause.uppercased())
        {
            let clauseToken = current
            try advanceToken()
            try expectSymbol("(", "after \(clauseToken.quoted)")
            switch clause.uppercased() {
            case "WHAT": step.what = try parseCondition(after: clauseToken)
            case "WHERE": step.where = try parseCondition(after: clauseToken)
            case "WHEN":
                let form = try parseOccursForm(after: clauseToken)
                step.when = PQLChainStep.anchoring(form, labels: labels, timeField: timeField)
            default:
                guard case .integer(let count) = current.kind, count >= 1 else {
                    throw error("COUNT takes a whole number of at least 1", at: current)
                }
                step.count = count
                try advanceToken()
            }
            try expectSymbol(")", "to close \(clauseToken.quoted)")
        }
        guard step.what != nil || step.when != nil || step.where != nil else {
            throw error("expected WHAT(...), WHERE(...), WHEN(...) or COUNT(n) in step '\(label)'", at: current)
        }
        return step
    }
}

/// One step of a CHAIN, before it is read into a quantifier.
struct PQLChainStep {
    var label: String
    var what: PQLExpression?
    var `where`: PQLExpression?
    var when: PQLOccurs?
    var count: Int64 = 1

    /// A `WHEN` that names an earlier step (`<= 1 days after A`) means that step's time.
    static func anchoring(_ form: PQLOccurs, labels: [String], timeField: String) -> PQLOccurs {
        func fix(_ time: PQLTime) -> PQLTime {
            if case .value(.field(let path, let position)) = time, path.count == 1, labels.contains(path[0]) {
                return .value(.field([path[0], timeField], at: position))
            }
            return time
        }
        switch form {
        case .on(let time): return .on(fix(time))
        case .before(let time): return .before(fix(time))
        case .after(let time): return .after(fix(time))
        case .distance(let comparison, let count, let unit, let direction, let time):
            return .distance(comparison, count, unit, direction, fix(time))
        }
    }

    /// Step k is an event of `xEvent[WHAT and time occurs WHEN and time after step k-1]`,
    /// bound to its label; `COUNT(n)` asks that it be at least the n-th such event;
    /// `WHERE` is read against the profile.
    static func quantifier(_ steps: [PQLChainStep], timeField: String) -> PQLExpression {
        let events = PQLExpression.field([PQL.eventsField])
        let time = PQLExpression.field([timeField])
        var bindings: [PQLBinding] = []
        var previous: String?
        for step in steps {
            var parts: [PQLExpression] = []
            if let what = step.what { parts.append(what) }
            if let when = step.when { parts.append(.occurs(time, when)) }
            if let previous { parts.append(.occurs(time, .after(.value(.field([previous, timeField]))))) }
            let matches =
                parts.isEmpty ? PQLExpression.literal(.bool(true)) : PQLParser.balanced(parts[...], PQLExpression.and)
            var conditions: [PQLExpression] = []
            if let condition = step.where { conditions.append(condition) }
            if step.count > 1 {
                let upTo = PQLExpression.not(.occurs(time, .after(.value(.field([step.label, timeField])))))
                conditions.append(
                    .comparison(
                        .call(.call(events, .filter, [.and(matches, upTo)]), .count, []), .greaterOrEqual,
                        .literal(.int(step.count))))
            }
            bindings.append(
                PQLBinding(
                    name: step.label, source: .call(events, .filter, [matches]),
                    condition: conditions.isEmpty ? nil : PQLParser.balanced(conditions[...], PQLExpression.and)))
            previous = step.label
        }
        return .quantifier(all: false, bindings)
    }
}
