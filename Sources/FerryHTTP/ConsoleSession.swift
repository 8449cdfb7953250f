import FerryApp
import Foundation
import Workspace

/// A console login: which token it was made with and the CSRF token its forms carry.
public struct ConsoleSession: Sendable {
    public var id: String
    public var token: TokenView
    /// The SHA-256 of the token, to notice its revocation; never the token itself.
    public var tokenHash: String
    public var csrf: String
    public var expires: Date
}

/// The console's sessions, in memory: a restart logs everyone out, which
/// costs a login and keeps session ids out of the store.
actor ConsoleSessions {
    static let lifetime: TimeInterval = 8 * 3600
    private var sessions: [String: ConsoleSession] = [:]

    func create(for token: TokenView, hash: String, now: Date = Date()) -> ConsoleSession {
        sessions = sessions.filter { $0.value.expires > now }
        let session = ConsoleSession(
            id: Self.randomText(), token: token, tokenHash: hash, csrf: Self.randomText(),
            expires: now.addingTimeInterval(Self.lifetime))
        sessions[session.id] = session
        return session
    }

    func find(_ id: String, now: Date = Date()) -> ConsoleSession? {
        guard let session = sessions[id], session.expires > now else { return nil }
        return session
    }

    func end(_ id: String) { sessions[id] = nil }

    static func randomText() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
