/// One source of profiles: a file, or standard input for `-`.
public enum ImportInput: Sendable, Hashable {
    case file(String)
    case standardInput

    /// `-` means standard input, as in most Unix tools.
    public init(argument: String) {
        self = argument == "-" ? .standardInput : .file(argument)
    }

    /// The name used in reject messages.
    public var displayName: String {
        switch self {
        case .file(let path): path
        case .standardInput: "<stdin>"
        }
    }
}
