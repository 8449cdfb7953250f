import Foundation

/// A recursive-descent PQL parser: a value-type cursor holding one token of lookahead.
///
/// Precedence from loosest to tightest: `or`, `and`, `not`/`!`, comparisons
/// (`=`, `in`, `like`, `occurs between`, ...), then `.` member access and calls.
struct PQLParser {
    private var lexer: PQLLexer
    private var token: PQLToken
    private var text: String { lexer.text }

    init(_ text: String) throws(PQLError) {
        lexer = PQLLexer(text)
        token = try lexer.next()
    }

    mutating func parseDocument() throws(PQLError) -> PQLExpression {
        if token.kind == .end { throw failure("expected an expression", at: token) }
        let expression = try parseOr(after: nil)
        guard token.kind == .end else { throw failure("unexpected \(token.quoted) after the expression", at: token) }
        return expression
    }

    private mutating func advance() throws(PQLError) {
        token = try lexer.next()
    }

    private mutating func parseOr(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var expression = try parseAnd(after: previous)
        while token.isKeyword("or") {
            let keyword = token
            try advance()
            expression = .or(expression, try parseAnd(after: keyword))
        }
        return expression
    }

    private mutating func parseAnd(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var expression = try parseNot(after: previous)
        while token.isKeyword("and") {
            let keyword = token
            try advance()
            expression = .and(expression, try parseNot(after: keyword))
        }
        return expression
    }

    /// `after` names the token before this operand so a missing operand can be reported as "after 'and'".
    private mutating func parseNot(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        if token.isKeyword("not") || token.isSymbol("!") {
            let keyword = token
            try advance()
            return .not(try parseNot(after: keyword))
        }
        return try parseComparison(after: previous)
    }

    private mutating func parseComparison(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        let left = try parsePostfix(after: previous)
        if case .symbol(let symbol) = token.kind, let comparison = PQLComparison(rawValue: symbol) {
            let op = token
            try advance()
            return .comparison(left, comparison, try parsePostfix(after: op))
        }
        if token.isKeyword("in") || token.isKeyword("notIn") {
            let keyword = token
            let negated = !token.isKeyword("in")
            try advance()
            guard token.isSymbol("[") else {
                throw failure("expected a list like [1, 2] after \(keyword.quoted)", at: token)
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
            try advance()
            guard token.isKeyword("between") else { throw failure("expected 'between' after 'occurs'", at: token) }
            let between = token
            try advance()
            let low = try parsePostfix(after: between)
            guard token.isKeyword("and") else {
                throw failure("expected 'and' between the two bounds of 'occurs between'", at: token)
            }
            let and = token
            try advance()
            return .occursBetween(left, low, try parsePostfix(after: and))
        }
        return left
    }

    /// A primary followed by `.field` steps and `.function(...)` calls.
    private mutating func parsePostfix(after previous: PQLToken?) throws(PQLError) -> PQLExpression {
        var expression = try parsePrimary(after: previous)
        while token.isSymbol(".") {
            try advance()
            guard case .identifier(let name) = token.kind else {
                throw failure("expected a field or function name after '.'", at: token)
            }
            let nameToken = token
            try advance()
            if token.isSymbol("(") {
                guard let function = PQLFunction(rawValue: name) else {
                    throw failure("unknown function '\(name)'", at: nameToken)
                }
                let arguments = try parseArguments(of: nameToken)
                try validate(function, arguments, at: nameToken)
                expression = .call(expression, function, arguments)
            } else if case .field(let path, let position) = expression {
                expression = .field(path + [name], at: position)
            } else {
                throw failure("'.\(name)' can only follow a field name", at: nameToken)
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
        case .symbol("("):
            try advance()
            let inner = try parseOr(after: start)
            guard token.isSymbol(")") else {
                throw failure("expected ')' to close the '(' at \(start.position)", at: token)
            }
            try advance()
            return inner
        case .symbol("["):
            try advance()
            var items: [PQLExpression] = []
            while !token.isSymbol("]") {
                if !items.isEmpty {
                    guard token.isSymbol(",") else { throw failure("expected ',' or ']' in list", at: token) }
                    let comma = token
                    try advance()
                    items.append(try parsePostfix(after: comma))
                } else {
                    items.append(try parsePostfix(after: start))
                }
            }
            try advance()
            return .list(items)
        case .identifier(let name):
            if Self.reservedWords.contains(where: { start.isKeyword($0) }) { break }
            try advance()
            if start.isKeyword("true") { return .literal(.bool(true), at: start.position) }
            if start.isKeyword("false") { return .literal(.bool(false), at: start.position) }
            if start.isKeyword("now") { return .now }
            if start.isKeyword("today") { return .today }
            guard token.isSymbol("(") else { return .field([name], at: start.position) }
            switch name {
            case "date": return try parseDate(start)
            case "if":
                let arguments = try parseArguments(of: start)
                guard arguments.count == 3 else {
                    throw failure("'if' takes 3 arguments (condition, then, else), found \(arguments.count)", at: start)
                }
                return .conditional(arguments[0], then: arguments[1], else: arguments[2])
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

    /// Words that end an operand, so `x = and` reports a missing value rather than a field named "and".
    private static let reservedWords = ["and", "or", "not", "in", "notIn", "like", "occurs", "between"]

    /// Reads `( a, b, ... )` after a function name.
    private mutating func parseArguments(of name: PQLToken) throws(PQLError) -> [PQLExpression] {
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
