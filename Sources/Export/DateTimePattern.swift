import Foundation

/// The pattern inside `%DATETIME(...)%`, parsed once so expansion only formats numbers.
struct DateTimePattern: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case literal(String)
        case year4, year2, month, day, hour, minute, second, millisecond
    }

    /// The file-name pattern of the default template, also used for a bare `%DATETIME%`.
    static let defaultPattern = "YYYYMMdd_HHmmss"

    let tokens: [Token]

    /// Parses `YYYY YY MM dd HH mm ss SSS` (`yyyy`/`yy` too), other characters as literal text and `'...'` for literal letters.
    ///
    /// Unknown letter runs are rejected rather than copied, so a typo like `YYYYMMDD` fails at creation
    /// instead of writing a constant `DD` into every key.
    init(_ pattern: String) throws(TemplateError) {
        guard !pattern.isEmpty else {
            throw TemplateError("the %DATETIME()% pattern is empty; use for example %DATETIME(YYYYMMdd_HHmmss)%")
        }
        var tokens: [Token] = []
        var literal = ""
        var index = pattern.startIndex
        func flushLiteral() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = ""
        }
        while index < pattern.endIndex {
            let character = pattern[index]
            if character == "'" {
                index = try Self.readQuoted(pattern, from: index, into: &literal)
                continue
            }
            guard character.isASCII, character.isLetter else {
                literal.append(character)
                index = pattern.index(after: index)
                continue
            }
            var end = index
            while end < pattern.endIndex, pattern[end] == character { end = pattern.index(after: end) }
            let run = String(pattern[index..<end])
            let token: Token? =
                switch run {
                case "YYYY", "yyyy": .year4
                case "YY", "yy": .year2
                case "MM": .month
                case "dd": .day
                case "HH": .hour
                case "mm": .minute
                case "ss": .second
                case "SSS": .millisecond
                default: nil
                }
            guard let token else {
                throw TemplateError(
                    "unsupported \"\(run)\" in the %DATETIME(\(pattern))% pattern; use YYYY YY MM dd HH mm ss SSS, and quote literal letters like 'T'"
                )
            }
            flushLiteral()
            tokens.append(token)
            index = end
        }
        flushLiteral()
        self.tokens = tokens
    }

    /// Reads `''` or a quoted section starting at `start` into `literal`, Java style: `''` inside quotes is one quote.
    private static func readQuoted(
        _ pattern: String, from start: String.Index, into literal: inout String
    ) throws(TemplateError) -> String.Index {
        var cursor = pattern.index(after: start)
        if cursor < pattern.endIndex, pattern[cursor] == "'" {
            literal.append("'")
            return pattern.index(after: cursor)
        }
        while cursor < pattern.endIndex {
            let next = pattern.index(after: cursor)
            if pattern[cursor] != "'" {
                literal.append(pattern[cursor])
                cursor = next
            } else if next < pattern.endIndex, pattern[next] == "'" {
                literal.append("'")
                cursor = pattern.index(after: next)
            } else {
                return next
            }
        }
        throw TemplateError("the %DATETIME(\(pattern))% pattern has an unterminated ' quote")
    }

    /// Formats `date` in `timeZone` with the Gregorian calendar, whatever the host's locale.
    func format(_ date: Date, in timeZone: TimeZone) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
        var output = ""
        for token in tokens {
            switch token {
            case .literal(let text): output += text
            case .year4: output += Self.padded(parts.year ?? 0, width: 4)
            case .year2: output += Self.padded((parts.year ?? 0) % 100, width: 2)
            case .month: output += Self.padded(parts.month ?? 0, width: 2)
            case .day: output += Self.padded(parts.day ?? 0, width: 2)
            case .hour: output += Self.padded(parts.hour ?? 0, width: 2)
            case .minute: output += Self.padded(parts.minute ?? 0, width: 2)
            case .second: output += Self.padded(parts.second ?? 0, width: 2)
            case .millisecond: output += Self.padded(min(Int((seconds - whole) * 1000), 999), width: 3)
            }
        }
        return output
    }

    static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
