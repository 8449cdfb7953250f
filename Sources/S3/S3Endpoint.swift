import Foundation

/// A custom S3 endpoint, checked before anything is sent: the HTTP stack
/// traps on some addresses (a port above 65535) instead of failing, and a
/// query, a user name or an encoded path would be signed differently from
/// what goes on the wire.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Empty, or `/seg/seg` of characters SigV4 leaves unencoded, so the
    /// signed path and the sent path are the same bytes.
    public var basePath: String

    /// Accepts `http(s)://host[:port][/path]` and nothing else.
    public init(parsing text: String) throws(S3ConfigurationError) {
        func fail(_ reason: String) -> S3ConfigurationError { .invalidEndpoint(Self.redacted(text), reason: reason) }
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst(7)
        } else {
            throw fail("the scheme must be http:// or https://")
        }
        guard !rest.contains("?"), !rest.contains("#") else { throw fail("it must not have a query or a fragment") }
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !authority.contains("@") else { throw fail("it must not carry a user name or password") }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            // An IPv6 literal keeps its brackets, as the Host header needs them.
            guard let close = authority.firstIndex(of: "]") else { throw fail("the IPv6 address is not closed by ']'") }
            hostPart = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
            let inner = hostPart.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("the IPv6 address is malformed")
            }
        } else {
            let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("the host has more than one ':'") }
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
            guard
                hostPart.allSatisfy({
                    $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_")
                })
            else { throw fail("the host may contain only letters, digits, '-', '_' and '.'") }
        }
        guard !hostPart.isEmpty else { throw fail("the host is missing") }
        host = hostPart.lowercased()
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(portPart), (1...65535).contains(number)
            else { throw fail("the port must be a number from 1 to 65535") }
            port = number
        } else {
            port = nil
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let trimmed = segments.last == "" ? segments.dropLast() : segments
        for segment in trimmed {
            guard !segment.isEmpty, segment != ".", segment != "..",
                segment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) })
            else {
                throw fail("the path may hold only letters, digits and '-._~' between single slashes")
            }
        }
        basePath = trimmed.isEmpty ? "" : "/" + trimmed.joined(separator: "/")
    }

    /// A password in an endpoint must not reach an error message.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://").map(\.upperBound) ?? text.startIndex
        guard start <= at else { return text }
        return String(text[..<start]) + "***" + String(text[at...])
    }

    public init(url: URL) throws(S3ConfigurationError) {
        try self.init(parsing: url.absoluteString)
    }

    /// `host[:port]`, the port left out when it is the scheme's default.
    public var hostHeader: String {
        guard let port, !((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) else { return host }
        return "\(host):\(port)"
    }

    public var description: String { "\(scheme)://\(hostHeader)\(basePath)" }
}

/// How long a request may take. Without these a refused or silent server
/// held a run for minutes per attempt.
public struct S3Timeouts: Sendable, Hashable {
    /// To open a connection (TCP and TLS).
    public var connect: Duration
    /// Without a byte sent or received on an open connection.
    public var idle: Duration
    /// One request from its first attempt to its last, retries and their
    /// pauses included. A request with a body gets one more second per MiB,
    /// so large parts on slow links are not cut off; streamed downloads are
    /// bounded by the idle timeout instead.
    public var request: Duration

    public init(connect: Duration = .seconds(10), idle: Duration = .seconds(60), request: Duration = .seconds(300)) {
        self.connect = connect
        self.idle = idle
        self.request = request
    }

    public static let standard = S3Timeouts()

    /// Throws when a timeout is zero or negative.
    public func validate() throws(S3ConfigurationError) {
        for (name, value) in [("connect", connect), ("idle", idle), ("request", request)] where value <= .zero {
            throw .invalidArgument("the \(name) timeout must be more than zero seconds")
        }
    }
}

extension Duration {
    /// `10 s`, `1.5 s`: for messages.
    var secondsText: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds) s" }
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.1f s", value)
    }
}
