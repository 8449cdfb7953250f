/// How a destination writes its delimited files: the reference's options, with RFC 4180 as the default.
public struct CSVFormat: Sendable, Equatable, Codable {
    /// The field separator; raw values are the CLI spellings.
    public enum Delimiter: String, Sendable, Codable, CaseIterable {
        case comma, tab, semicolon, pipe, colon

        /// The single ASCII byte written between fields.
        public var byte: UInt8 {
            switch self {
            case .comma: UInt8(ascii: ",")
            case .tab: UInt8(ascii: "\t")
            case .semicolon: UInt8(ascii: ";")
            case .pipe: UInt8(ascii: "|")
            case .colon: UInt8(ascii: ":")
            }
        }
    }

    /// When a field is wrapped in double quotes.
    public enum Quoting: String, Sendable, Codable, CaseIterable {
        /// Only fields holding the delimiter, a quote, CR, LF, the escape character, or a leading or trailing space.
        case needed
        /// Every text field; placeholders for null and empty values are still written exactly as chosen.
        case all
        /// Never; with `.double` escaping nothing can protect a delimiter, which is the reference's lossy default.
        case none
    }

    /// How a quote (and the escape character itself) is protected.
    public enum Escape: String, Sendable, Codable, CaseIterable {
        /// RFC 4180: a quote inside a quoted field is doubled.
        case double
        /// `\` before a quote, a backslash, and (unquoted) the delimiter, CR and LF.
        case backslash
        /// `'` in the role the backslash has above, the reference's other escape character.
        case quote

        /// The byte written before a character that needs protecting; for `.double` the quote escapes itself.
        public var byte: UInt8 {
            switch self {
            case .double: UInt8(ascii: "\"")
            case .backslash: UInt8(ascii: "\\")
            case .quote: UInt8(ascii: "'")
            }
        }
    }

    /// The text written for a null or an empty-string value.
    public enum Placeholder: String, Sendable, Codable, CaseIterable {
        case empty
        case quotedEmpty = "quoted-empty"
        case null

        /// The exact bytes of the placeholder.
        public var bytes: [UInt8] {
            switch self {
            case .empty: []
            case .quotedEmpty: Array(#""""#.utf8)
            case .null: Array("null".utf8)
            }
        }
    }

    public var delimiter: Delimiter = .comma
    public var quoting: Quoting = .needed
    public var escape: Escape = .double
    public var nullValue: Placeholder = .empty
    public var emptyValue: Placeholder = .empty
    public var lineEnding: String = "\n"

    /// RFC 4180 defaults: comma, quote when needed, doubled quotes, empty placeholders, `\n`.
    public static let csv = CSVFormat()

    /// Tab-separated, otherwise the RFC 4180 defaults.
    public static let tsv = CSVFormat(delimiter: .tab)

    public init(
        delimiter: Delimiter = .comma,
        quoting: Quoting = .needed,
        escape: Escape = .double,
        nullValue: Placeholder = .empty,
        emptyValue: Placeholder = .empty,
        lineEnding: String = "\n"
    ) {
        self.delimiter = delimiter
        self.quoting = quoting
        self.escape = escape
        self.nullValue = nullValue
        self.emptyValue = emptyValue
        self.lineEnding = lineEnding
    }

    /// The single byte written between fields.
    public var delimiterByte: UInt8 { delimiter.byte }

    private enum CodingKeys: String, CodingKey {
        case delimiter, quoting, escape, nullValue, emptyValue, lineEnding
    }

    /// Missing keys take the defaults, so formats stored before an option existed still decode.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            delimiter: try container.decodeIfPresent(Delimiter.self, forKey: .delimiter) ?? .comma,
            quoting: try container.decodeIfPresent(Quoting.self, forKey: .quoting) ?? .needed,
            escape: try container.decodeIfPresent(Escape.self, forKey: .escape) ?? .double,
            nullValue: try container.decodeIfPresent(Placeholder.self, forKey: .nullValue) ?? .empty,
            emptyValue: try container.decodeIfPresent(Placeholder.self, forKey: .emptyValue) ?? .empty,
            lineEnding: try container.decodeIfPresent(String.self, forKey: .lineEnding) ?? "\n"
        )
    }
}
