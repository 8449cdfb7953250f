import Foundation

/// A destination folder path or an activation file name with `%MACRO%` parts, validated once and expanded per run.
///
/// Substituted values are sanitised so they can never add a path segment or climb out of the folder:
/// `/` and `\` become `_`, control characters are dropped, and a value that is empty, `.` or `..` becomes `_`.
public struct PathTemplate: Sendable, Equatable {
    /// Which kind of template this is; they share macros but not rules.
    public enum Kind: String, Sendable, Equatable {
        case folder
        case fileName

        var noun: String { self == .folder ? "the folder path" : "the file name" }
    }

    enum Part: Sendable, Equatable {
        case literal(String)
        case segmentName, segmentId, destinationName, destinationId
        case dateTime(DateTimePattern)
        case timestamp
    }

    public static let defaultFileName = "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%"

    /// The longest expanded file name, without extension; longer names break common file systems.
    public static let maxFileNameLength = 255

    public let kind: Kind
    /// The template as validated; a folder has its leading and trailing `/` removed.
    public let text: String
    let parts: [Part]

    /// A folder path; one leading and one trailing `/` are dropped, and empty, `.` and `..` segments are refused.
    public init(folder text: String) throws(TemplateError) {
        var trimmed = Substring(text)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        try self.init(kind: .folder, text: String(trimmed))
    }

    /// A file name without extension; it must contain `%DESTINATION_NAME%` and `%SEGMENT_ID%`, as the reference requires.
    public init(fileName text: String) throws(TemplateError) {
        try self.init(kind: .fileName, text: text)
    }

    private init(kind: Kind, text: String) throws(TemplateError) {
        self.kind = kind
        self.text = text
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                throw TemplateError("\(kind.noun) \"\(text)\" contains a backslash; use / between folders")
            }
            if Self.isControl(scalar) {
                throw TemplateError(
                    "\(kind.noun) contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
            if kind == .fileName, scalar == "/" {
                throw TemplateError(
                    "the file name \"\(text)\" contains /; put folders in the destination's folder path")
            }
        }
        parts = try Self.parse(text, kind: kind)

        if kind == .fileName {
            guard !text.isEmpty else { throw TemplateError("the file name is empty") }
            for (required, macro) in [(Part.destinationName, "%DESTINATION_NAME%"), (.segmentId, "%SEGMENT_ID%")]
            where !parts.contains(required) {
                throw TemplateError("the file name \"\(text)\" must contain \(macro)")
            }
            if parts.contains(.timestamp), parts.contains(where: { if case .dateTime = $0 { true } else { false } }) {
                throw TemplateError("the file name \"\(text)\" uses both %DATETIME()% and %TIMESTAMP%; use one of them")
            }
        }
        // Values expand to at least one character, so a trial with one-letter values finds every structural
        // problem (a `..` segment, a name already over the limit) when the template is created, not at run time.
        let sample = render(
            MacroContext(
                segmentName: "x", segmentId: "x", destinationName: "x", destinationId: "x",
                scheduledTime: Date(timeIntervalSince1970: 0)))
        if kind == .fileName, sample.count > Self.maxFileNameLength {
            throw TemplateError(
                "the file name \"\(text)\" expands to at least \(sample.count) characters; the limit is \(Self.maxFileNameLength)"
            )
        }
        try check(sample)
    }

    /// True when the template contains `%DATETIME()%` or `%TIMESTAMP%`; without one, each run replaces the same object.
    public var hasTimePart: Bool {
        parts.contains { part in
            switch part {
            case .dateTime, .timestamp: true
            default: false
            }
        }
    }

    /// S3's limit on the length of an object key, in UTF-8 bytes.
    public static let maxKeyBytes = 1024

    /// The most UTF-8 bytes this template can expand to for these names, over every scheduled time:
    /// each time part counted at its widest (a four-digit year, an 11-digit timestamp).
    public func longestExpansionBytes(
        segmentName: String, segmentId: String, destinationName: String, destinationId: String
    ) -> Int {
        parts.reduce(0) { total, part in
            total
                + {
                    switch part {
                    case .literal(let text): text.utf8.count
                    case .segmentName: Self.sanitized(segmentName).utf8.count
                    case .segmentId: Self.sanitized(segmentId).utf8.count
                    case .destinationName: Self.sanitized(destinationName).utf8.count
                    case .destinationId: Self.sanitized(destinationId).utf8.count
                    case .dateTime(let pattern): Self.longestBytes(pattern)
                    case .timestamp: 11
                    }
                }()
        }
    }

    private static func longestBytes(_ pattern: DateTimePattern) -> Int {
        pattern.tokens.reduce(0) { total, token in
            switch token {
            case .literal(let text): total + text.utf8.count
            case .year4: total + 4
            case .millisecond: total + 3
            case .year2, .month, .day, .hour, .minute, .second: total + 2
            }
        }
    }

    /// The path or name for one run; a file name longer than `maxFileNameLength` characters is an error.
    public func expand(_ context: MacroContext) throws(TemplateError) -> String {
        let output = render(context)
        try check(output)
        return output
    }

    private func render(_ context: MacroContext) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .literal(let text): output += text
            case .segmentName: output += Self.sanitized(context.segmentName)
            case .segmentId: output += Self.sanitized(context.segmentId)
            case .destinationName: output += Self.sanitized(context.destinationName)
            case .destinationId: output += Self.sanitized(context.destinationId)
            case .dateTime(let pattern): output += pattern.format(context.scheduledTime, in: context.timeZone)
            case .timestamp: output += Self.timestamp(context.scheduledTime)
            }
        }
        return output
    }

    /// Re-checked on every expansion, though sanitised values cannot break these rules, so no value can ever escape.
    private func check(_ output: String) throws(TemplateError) {
        switch kind {
        case .folder:
            guard !output.isEmpty else { return }
            for segment in output.split(separator: "/", omittingEmptySubsequences: false)
            where segment.isEmpty || segment == "." || segment == ".." {
                let shown = segment.isEmpty ? "an empty" : "a \"\(segment)\""
                let subject = output == text ? "" : " expands to \"\(output)\", which"
                throw TemplateError(
                    "the folder path \"\(text)\"\(subject) has \(shown) segment; folders are separated by single /")
            }
        case .fileName:
            if output == "." || output == ".." {
                throw TemplateError("the file name \"\(text)\" expands to \"\(output)\"")
            }
            if output.count > Self.maxFileNameLength {
                throw TemplateError(
                    "the file name \"\(output)\" is \(output.count) characters long; the limit is \(Self.maxFileNameLength)"
                )
            }
        }
    }

    /// The name of the `index`th file of a split export (1-based): `base`, `base_2`, `base_3`, ...; the caller adds the extension.
    public static func splitName(base: String, index: Int) -> String {
        index <= 1 ? base : "\(base)_\(index)"
    }

    /// A macro value made safe to place inside one path segment.
    public static func sanitized(_ value: String) -> String {
        var output = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            if scalar == "/" || scalar == "\\" {
                output.append("_")
            } else if !isControl(scalar) {
                output.append(scalar)
            }
        }
        let result = String(output)
        return result.isEmpty || result == "." || result == ".." ? "_" : result
    }

    /// Unix seconds, zero-padded to the reference's 10 digits for times before 2001-09-09.
    static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return seconds >= 0 ? DateTimePattern.padded(Int(seconds), width: 10) : String(seconds)
    }

    /// C0, DEL and C1 controls plus the Unicode line and paragraph separators, none of which belong in a key.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    private static func parse(_ text: String, kind: Kind) throws(TemplateError) -> [Part] {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        func flushLiteral() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
        }
        while index < text.endIndex {
            guard text[index] == "%" else {
                literal.append(text[index])
                index = text.index(after: index)
                continue
            }
            let nameStart = text.index(after: index)
            let rest = text[nameStart...]
            let part: Part
            if rest.hasPrefix("DATETIME(") {
                guard let close = rest.range(of: ")%") else {
                    throw TemplateError(
                        "unterminated %DATETIME(...)% macro in \(kind.noun) \"\(text)\"; it must end with )%")
                }
                let pattern = String(rest[rest.index(nameStart, offsetBy: 9)..<close.lowerBound])
                if pattern.contains("%") {
                    throw TemplateError("the %DATETIME()% pattern \"\(pattern)\" in \(kind.noun) contains %")
                }
                part = .dateTime(try DateTimePattern(pattern))
                index = close.upperBound
            } else {
                guard let close = rest.firstIndex(of: "%") else {
                    throw TemplateError("unterminated % in \(kind.noun) \"\(text)\"; macros look like %SEGMENT_NAME%")
                }
                let name = rest[..<close]
                switch name {
                case "SEGMENT_NAME": part = .segmentName
                case "SEGMENT_ID": part = .segmentId
                case "DESTINATION_NAME": part = .destinationName
                case "DESTINATION_ID": part = .destinationId
                case "TIMESTAMP": part = .timestamp
                case "DATETIME": part = .dateTime(try DateTimePattern(DateTimePattern.defaultPattern))
                default:
                    throw TemplateError(
                        "unknown macro %\(name)% in \(kind.noun); use %SEGMENT_NAME%, %SEGMENT_ID%, %DESTINATION_NAME%, %DESTINATION_ID%, %DATETIME(pattern)% or %TIMESTAMP%"
                    )
                }
                index = text.index(after: close)
            }
            flushLiteral()
            parts.append(part)
        }
        flushLiteral()
        return parts
    }
}
