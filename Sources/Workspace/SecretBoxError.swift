/// Why a sealed secret could not be opened.
public struct SecretBoxError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// Sealed under a different key than the one in use.
        case wrongKey
        /// Not a sealed value, truncated, or altered.
        case damaged
    }

    public var code: Code

    public init(_ code: Code) {
        self.code = code
    }

    public var description: String {
        switch code {
        case .wrongKey:
            "This workspace's secrets were sealed with another key; copy ferry.key along with the workspace or set FERRY_MASTER_KEY."
        case .damaged:
            "A stored secret is damaged and cannot be opened; store it again."
        }
    }
}
