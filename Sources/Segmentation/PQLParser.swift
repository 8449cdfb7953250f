import Foundation

/// A recursive-descent PQL parser: a value-type cursor holding one token of lookahead.
///
/// Precedence from loosest to tightest: `or`, `and`, `not`/`!`, comparisons
/// (`=`, `in`, `like`, `occurs between`, ...), then `.` member access and calls.
struct PQLParser {
    private var lexer: PQLLexer
    private var token: PQLToken
    private var text: String { lexer.text }
    /// Open parentheses, brackets, `not`s and calls around the current token.
    private var depth = 0
    /// The name a lambda (`(Profile) => ...`) gives the profile.
    private var profileName: String?

    /// Deeper nesting is refused at its position rather than risking the stack
    /// of the parser, the evaluator or SQLite (whose expression depth limit is 1,000).
    static let maximumDepth = 200

    init(_ text: String) throws(PQLError) {
        lexer = PQLLexer(text)
        token = try lexer.next()
    }

    mutating func parseDocument() throws(PQLError) -> PQLExpression {
        if token.kind == .end { throw failure("expected an expression", at: token) }
        try parseLambdaHead()
        let expression = try parseOr(after: nil)
        guard token.kind == .end else { throw failure("unexpected \(token.quoted) after the expression", at: token) }
        return expression
    }

    private mutating func advance() throws(PQLError) {
        token = try lexer.next()
    }

    /// `(Name) =>` before the body names the profile; `Name.a.b` then reads `a.b`.
    private mutating func parseLambdaHead() throws(PQLError) {
        guard token.isSymbol("(") else { return }
        var lookahead = lexer
        guard case .identifier(let name) = try lookahead.next().kind, try lookahead.next().kind == .symbol(")"),
            try lookahead.next().kind == .symbol("=>")
        else { return }
        lexer = lookahead
        profileName = name
        try advance()
    }

    private mutating func enter(_ at: PQLToken) throws(PQLError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw failure("the expression nests deeper than \(Self.maximumDepth) levels", at: at)
        }
    }

    /// Chains of `or` and `and` become balanced trees, so thousands of terms stay
    /// a few dozen levels deep for the evaluator and for SQLite.
    private mutating func parseOr(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var terms = [try parseAnd(after: previous)]
        while token.isKeyword("or") {
            let keyword = token
            try advance()
            terms.append(try parseAnd(after: keyword))
        }
        return Self.balanced(terms[...], PQLExpression.or)
    }

    private mutating func parseAnd(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var terms = [try parseNot(after: previous)]
        while token.isKeyword("and") {
            let keyword = token
            try advance()
            terms.append(try parseNot(after: keyword))
        }
        return Self.balanced(terms[...], PQLExpression.and)
    }

    static func balanced(
        _ terms: ArraySlice<PQLExpression>, _ join: (PQLExpression, PQLExpression) -> PQLExpression
    ) -> PQLExpression {
        if terms.count == 1 { return terms.first! }
        let middle = terms.startIndex + terms.count / 2
        return join(balanced(terms[..<middle], join), balanced(terms[middle...], join))
    }

    /// `after` names the token before this operand so a missing operand can be reported as "after 'and'".
    private mutating func parseNot(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        if token.isKeyword("not") || token.isSymbol("!") {
            let keyword = token
            try enter(keyword)
            try advance()
            let inner = try parseNot(after: keyword)
            depth -= 1
            return .not(inner)
        }
        return try parseComparison(after: previous)
    }

    private mutating func parseComparison(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        let left = try parseAdditive(after: previous)
        if case .symbol(let symbol) = token.kind, let comparison = PQLComparison(rawValue: symbol) {
            let op = token
            try advance()
            return .comparison(left, comparison, try parseAdditive(after: op))
        }
        if token.isKeyword("in") || token.isKeyword("notIn") {
            let keyword = token
            let negated = !token.isKeyword("in")
            try advance()
            guard token.isSymbol("[") else {
                // `x in list` with a list-valued expression: whether the list includes x.
                let listToken = token
                let list = try parseAdditive(after: keyword)
                if case .literal = list {
                    throw failure("expected a list like [1, 2] after \(keyword.quoted)", at: listToken)
                }
                let includes = PQLExpression.call(list, .includes, [left])
                return negated ? .and(.call(left, .isNotNull, []), .not(includes)) : includes
            }
            guard case .list(let items) = try parsePrimary(after: keyword) else {
                preconditionFailure("'[' always starts a list")
            }
            return negated ? .notIn(left, items) : .isIn(left, items)
        }
        if token.isKeyword("like") {
            let keyword = token
            try advance()
            return .call(left, .like, [try parsePostfix(after: keyword)])
        }
        if token.isKeyword("occurs") {
            let occurs = token
            try advance()
            guard token.isKeyword("between") else { return .occurs(left, try parseOccurs(after: occurs)) }
            let between = token
            try advance()
            let low = try parseAdditive(after: between)
            guard token.isKeyword("and") else {
                throw failure("expected 'and' between the two bounds of 'occurs between'", at: token)
            }
            let and = token
            try advance()
            return .occursBetween(left, low, try parseAdditive(after: and))
        }
        return left
    }

    /// The forms after `occurs` other than `between`: `[on] T`, `before T`, `after T`,
    /// `<cmp> N unit before|after|from T`.
    private mutating func parseOccurs(after occurs: PQLToken) throws(PQLError) -> PQLOccurs {
        if case .symbol(let symbol) = token.kind, let comparison = PQLComparison(rawValue: symbol) {
            try advance()
            guard case .integer(let count) = token.kind, count >= 0 else {
                throw failure(
                    "expected a whole number of time units after '\(symbol)', e.g. '3 days before now'", at: token)
            }
            try advance()
            guard case .identifier(let word) = token.kind, let unit = PQLTimeUnit(word: word) else {
                throw failure("expected a time unit (days, weeks, months, ...)", at: token)
            }
            let unitToken = token
            try advance()
            let direction: PQLDirection
            if token.isKeyword("before") {
                direction = .before
            } else if token.isKeyword("after") || token.isKeyword("from") {
                direction = .after
            } else {
                throw failure("expected 'before', 'after' or 'from' after \(unitToken.quoted)", at: token)
            }
            let directionToken = token
            try advance()
            return .distance(comparison, count, unit, direction, try parseTime(after: directionToken))
        }
        if token.isKeyword("before") || token.isKeyword("after") {
            let word = token
            try advance()
            let time = try parseTime(after: word)
            return word.isKeyword("before") ? .before(time) : .after(time)
        }
        var previous = occurs
        if token.isKeyword("on") {
            previous = token
            try advance()
        }
        return .on(try parseTime(after: previous))
    }

    /// `now`, `today`, `yesterday`, `tomorrow`, `this|last|next unit`, or a date value.
    private mutating func parseTime(after previous: PQLToken) throws(PQLError) -> PQLTime {
        if token.isKeyword("this") || token.isKeyword("last") || token.isKeyword("next") {
            let word = token
            try advance()
            guard case .identifier(let name) = token.kind, let unit = PQLTimeUnit(word: name) else {
                throw failure("expected a time unit after \(word.quoted), e.g. '\(word.quotedName) month'", at: token)
            }
            try advance()
            return .period(unit, offset: word.isKeyword("this") ? 0 : word.isKeyword("last") ? -1 : 1)
        }
        for (word, offset) in [("today", Int64(0)), ("yesterday", -1), ("tomorrow", 1)] where token.isKeyword(word) {
            try advance()
            return .day(offset: offset)
        }
        if token.isKeyword("now") {
            try advance()
            return .now
        }
        return .value(try parseAdditive(after: previous))
    }

    /// `+` and `-`, left to right, over `*`, `/` and `%`.
    private mutating func parseAdditive(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        let start = depth
        defer { depth = start }
        var expression = try parseMultiplicative(after: previous)
        while case .symbol(let symbol) = token.kind, symbol == "+" || symbol == "-" {
            let op = token
            try enter(op)
            try advance()
            expression = .arithmetic(expression, PQLArithmetic(rawValue: symbol)!, try parseMultiplicative(after: op))
        }
        return expression
    }

    private mutating func parseMultiplicative(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        let start = depth
        defer { depth = start }
        var expression = try parsePostfix(after: previous)
        while case .symbol(let symbol) = token.kind, symbol == "*" || symbol == "/" || symbol == "%" {
            let op = token
            try enter(op)
            try advance()
            expression = .arithmetic(expression, PQLArithmetic(rawValue: symbol)!, try parsePostfix(after: op))
        }
        return expression
    }

    /// A primary followed by `.field` steps and `.function(...)` calls.
    private mutating func parsePostfix(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var expression = try parsePrimary(after: previous)
        while token.isSymbol(".") || token.isSymbol("[") {
            if token.isSymbol("[") {
                expression = try parseBracketFilter(on: expression)
                continue
            }
            try advance()
            guard case .identifier(let name) = token.kind else {
                throw failure("expected a field or function name after '.'", at: token)
            }
            let nameToken = token
            try advance()
            if token.isSymbol("("), name == "exists" {
                // `list.exists(condition)`: some item meets the condition.
                let arguments = try parseArguments(of: nameToken)
                guard arguments.count == 1 else {
                    throw failure("'exists' takes 1 argument, found \(arguments.count)", at: nameToken)
                }
                expression = .comparison(
                    .call(.call(expression, .filter, arguments), .count, []), .greater, .literal(.int(0)))
            } else if token.isSymbol("(") {
                guard let function = PQLFunction(rawValue: name) else {
                    throw failure("unknown function '\(name)'", at: nameToken)
                }
                if function == .like {
                    throw failure("'like' is written infix: value like \"pattern\"", at: nameToken)
                }
                let arguments = try parseArguments(of: nameToken)
                try validate(function, arguments, at: nameToken)
                expression = .call(expression, function, arguments)
            } else if case .field(let path, let position) = expression {
                expression = .field(path + [name], at: position)
            } else if case .call(_, let function, _) = expression, function == .head || function == .get {
                // A member of a computed object, such as `orders.topN(price, 5).head().price`.
                expression = .call(expression, .get, [.literal(.string(name), at: nameToken.position)])
            } else {
                throw failure("'.\(name)' can only follow a field name or an object", at: nameToken)
            }
        }
        return expression
    }

    private mutating func parsePrimary(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        let start = token
        switch token.kind {
        case .string(let value):
            try advance()
            return .literal(.string(value), at: start.position)
        case .integer(let value):
            try advance()
            return .literal(.int(value), at: start.position)
        case .double(let value):
            try advance()
            return .literal(.double(value), at: start.position)
        case .symbol("-"):
            // A minus before a number is part of the literal; before anything else it is `0 - x`.
            try enter(start)
            defer { depth -= 1 }
            try advance()
            switch token.kind {
            case .integer(let value):
                try advance()
                return .literal(.int(0 &- value), at: start.position)
            case .double(let value):
                try advance()
                return .literal(.double(-value), at: start.position)
            default:
                return .arithmetic(.literal(.int(0), at: start.position), .subtract, try parsePostfix(after: start))
            }
        case .symbol("^"):
            return try parseUp(start)
        case .symbol("("):
            try enter(start)
            try advance()
            let inner = try parseOr(after: start)
            guard token.isSymbol(")") else {
                throw failure("expected ')' to close the '(' at \(start.position)", at: token)
            }
            depth -= 1
            try advance()
            return inner
        case .symbol("["):
            try enter(start)
            defer { depth -= 1 }
            try advance()
            var items: [PQLExpression] = []
            while !token.isSymbol("]") {
                if !items.isEmpty {
                    guard token.isSymbol(",") else { throw failure("expected ',' or ']' in list", at: token) }
                    let comma = token
                    try advance()
                    items.append(try parseAdditive(after: comma))
                } else {
                    items.append(try parseAdditive(after: start))
                }
            }
            try advance()
            return .list(items)
        case .identifier(let name):
            if Self.reservedWords.contains(where: { start.isKeyword($0) }) { break }
            if Self.eventWords.contains(name) {
                throw failure(Self.eventsUnsupported, at: start)
            }
            if name.lowercased() == "xevent" {
                try advance()
                return .field([PQL.eventsField], at: start.position)
            }
            if name.lowercased() == "chain", try lookaheadIsSymbol("(") {
                return try parseChain(start)
            }
            if ["sum", "average", "min", "max", "count"].contains(name), try startsAggregateOver() {
                return try parseAggregateOver(start)
            }
            if ["exists", "forall", "select"].contains(name), try startsBinding() {
                try enter(start)
                defer { depth -= 1 }
                try advance()
                let bindings = try parseBindings(after: start, chained: name != "select")
                return name == "select" ? .select(bindings[0]) : .quantifier(all: name == "forall", bindings)
            }
            if name == "let", try startsLet() {
                try enter(start)
                defer { depth -= 1 }
                try advance()
                guard case .identifier(let variable) = token.kind else { preconditionFailure("checked by startsLet") }
                try advance()
                let equals = token
                try advance()
                let value = try parseAdditive(after: equals)
                guard token.isKeyword("in") else {
                    throw failure("expected 'in' after the value of 'let \(variable) = ...'", at: token)
                }
                let keyword = token
                try advance()
                return .letIn(variable, value, try parseOr(after: keyword))
            }
            try advance()
            if start.isKeyword("true") { return .literal(.bool(true), at: start.position) }
            if start.isKeyword("false") { return .literal(.bool(false), at: start.position) }
            if start.isKeyword("now") { return .now }
            if start.isKeyword("today") { return .today }
            if start.isKeyword("yesterday") || start.isKeyword("tomorrow") {
                return .arithmetic(.today, start.isKeyword("yesterday") ? .subtract : .add, .literal(.int(1)))
            }
            if name == "$1" || name == profileName { return .field([], at: start.position) }
            if name.hasPrefix("$") {
                throw failure("only $1, the profile, is a parameter of a segment definition", at: start)
            }
            guard token.isSymbol("(") else { return .field([name], at: start.position) }
            switch name {
            case "date": return try parseDate(start)
            case "if":
                let arguments = try parseArguments(of: start)
                guard arguments.count == 3 else {
                    throw failure("'if' takes 3 arguments (condition, then, else), found \(arguments.count)", at: start)
                }
                return .conditional(arguments[0], then: arguments[1], else: arguments[2])
            case "currentMonth", "currentYear", "currentDayOfMonth":
                let arguments = try parseArguments(of: start)
                guard arguments.isEmpty else {
                    throw failure("'\(name)' takes no arguments, found \(arguments.count)", at: start)
                }
                let function: PQLFunction =
                    name == "currentMonth" ? .getMonth : name == "currentYear" ? .getYear : .getDayOfMonth
                return .call(.now, function, [])
            case "inSegment":
                let arguments = try parseArguments(of: start)
                guard arguments.count == 1, case .literal(.string(let reference), let position) = arguments[0] else {
                    throw failure("'inSegment' takes one string: the id or name of a segment", at: start)
                }
                return .inSegment(reference, at: position)
            default:
                throw failure("unknown function '\(name)'", at: start)
            }
        default:
            break
        }
        if let previous {
            throw failure("expected a value after \(previous.quoted)", at: token)
        }
        throw failure("expected an expression, found \(token.quoted)", at: token)
    }

    /// After `exists`, `forall` or `select`: a name, then `from`.
    private func startsBinding() throws(PQLError) -> Bool {
        var lookahead = lexer
        guard case .identifier = try lookahead.next().kind else { return false }
        return try lookahead.next().kind == .identifier("from")
    }

    /// After `let`: a name, then `=`.
    private func startsLet() throws(PQLError) -> Bool {
        var lookahead = lexer
        guard case .identifier = try lookahead.next().kind else { return false }
        return try lookahead.next().kind == .symbol("=")
    }

    /// `X from list [where|: condition]`, and more after commas when `chained`.
    private mutating func parseBindings(after keyword: PQLToken, chained: Bool) throws(PQLError) -> [PQLBinding] {
        var bindings: [PQLBinding] = []
        while true {
            guard case .identifier(let name) = token.kind else {
                throw failure("expected a name after \(keyword.quoted)", at: token)
            }
            try advance()
            guard token.kind == .identifier("from") else { throw failure("expected 'from' after '\(name)'", at: token) }
            let from = token
            try advance()
            let source = try parseAdditive(after: from)
            var condition: PQLExpression?
            if token.kind == .identifier("where") || token.isSymbol(":") {
                let word = token
                try advance()
                condition = try parseOr(after: word)
            }
            bindings.append(PQLBinding(name: name, source: source, condition: condition))
            guard chained, token.isSymbol(","), try startsBinding() else { return bindings }
            try advance()
        }
    }

    /// Words that end an operand, so `x = and` reports a missing value rather than a field named "and".
    private static let reservedWords = ["and", "or", "not", "in", "notIn", "like", "occurs", "between"]

    /// Words of time-series queries, which the event store does not answer.
    private static let eventWords: Set<String> = ["timeSeriesEvents", "TIMESERIES"]
    static let eventsUnsupported = "timeSeriesEvents queries are not supported; use xEvent"

    private func lookaheadIsSymbol(_ symbol: String) throws(PQLError) -> Bool {
        var lookahead = lexer
        return try lookahead.next().kind == .symbol(symbol)
    }

    /// The `count` tokens after the current one.
    func upcoming(_ count: Int) throws(PQLError) -> [PQLToken] {
        var lookahead = lexer
        var tokens: [PQLToken] = []
        for _ in 0..<count { tokens.append(try lookahead.next()) }
        return tokens
    }

    mutating func advanceToken() throws(PQLError) { try advance() }
    var current: PQLToken { token }
    mutating func enterNesting(_ at: PQLToken) throws(PQLError) { try enter(at) }
    mutating func leaveNesting() { depth -= 1 }
    mutating func parseCondition(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        try parseOr(after: previous)
    }
    mutating func parseValue(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        try parseAdditive(after: previous)
    }
    mutating func parseOccursForm(after previous: PQLToken) throws(PQLError) -> PQLOccurs {
        try parseOccurs(after: previous)
    }
    mutating func parseBindingList(after keyword: PQLToken, chained: Bool) throws(PQLError) -> [PQLBinding] {
        try parseBindings(after: keyword, chained: chained)
    }
    func error(_ message: String, at token: PQLToken) -> PQLError { failure(message, at: token) }

    /// Reads `( a, b, ... )` after a function name.
    private mutating func parseArguments(of name: PQLToken) throws(PQLError) -> [PQLExpression] {
        try enter(name)
        defer { depth -= 1 }
        var separator = token
        try advance()
        var arguments: [PQLExpression] = []
        if token.isSymbol(")") {
            try advance()
            return arguments
        }
        while true {
            // An argument is a full expression, so `if(x = 1 and y = 2, 1, 2)` works.
            arguments.append(try parseOr(after: separator))
            if token.isSymbol(")") {
                try advance()
                return arguments
            }
            guard token.isSymbol(",") else {
                let message =
                    token.kind == .end
                    ? "expected ')' to close the arguments of \(name.quoted)"
                    : "expected ',' or ')' in the arguments of \(name.quoted)"
                throw failure(message, at: token)
            }
            separator = token
            try advance()
        }
    }

    private mutating func parseDate(_ name: PQLToken) throws(PQLError) -> PQLExpression {
        let open = token
        try advance()
        var parts: [Int] = []
        var partTokens: [PQLToken] = []
        while !token.isSymbol(")") {
            if token.kind == .end { throw failure("expected ')' to close the arguments of 'date'", at: token) }
            if !parts.isEmpty {
                guard token.isSymbol(",") else {
                    throw failure("expected ',' or ')' in the arguments of 'date'", at: token)
                }
                try advance()
            }
            guard case .integer(let value) = token.kind, let part = Int(exactly: value) else {
                throw failure("'date' takes whole numbers: date(year, month, day)", at: token)
            }
            parts.append(part)
            partTokens.append(token)
            try advance()
        }
        guard parts.count == 3 else {
            throw failure(
                "'date' takes 3 arguments (year, month, day), found \(parts.count)", at: parts.isEmpty ? open : name)
        }
        try advance()
        guard (1...12).contains(parts[1]) else { throw failure("month must be 1 to 12", at: partTokens[1]) }
        guard (1...PQLTimestamp.daysIn(month: parts[1], year: parts[0])).contains(parts[2]) else {
            throw failure("day \(parts[2]) does not exist in \(parts[0])-\(parts[1])", at: partTokens[2])
        }
        return .date(year: parts[0], month: parts[1], day: parts[2])
    }

    private func validate(_ function: PQLFunction, _ arguments: [PQLExpression], at name: PQLToken) throws(PQLError) {
        guard function.arity.contains(arguments.count) else {
            let expected =
                function.arity.count == 1
                ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) or \(function.arity.upperBound)"
            let noun = function.arity.upperBound == 1 ? "argument" : "arguments"
            throw failure("'\(function.rawValue)' takes \(expected) \(noun), found \(arguments.count)", at: name)
        }
        if function.takesCaseSensitivity, arguments.count == 2 {
            guard case .literal(.bool, _) = arguments[1] else {
                throw failure(
                    "the second argument of '\(function.rawValue)' must be true or false (case sensitive)", at: name)
            }
        }
        if function == .matches {
            guard case .literal(.string(let pattern), let position) = arguments[0] else {
                throw failure("'matches' takes a string literal regular expression", at: name)
            }
            if (try? NSRegularExpression(pattern: pattern)) == nil {
                throw PQLError("invalid regular expression", at: position, in: text)
            }
        }
    }

    private func failure(_ message: String, at token: PQLToken) -> PQLError {
        PQLError(message, at: token.position, in: text)
    }
}
