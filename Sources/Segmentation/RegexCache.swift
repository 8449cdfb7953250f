import Foundation

/// Compiled `matches` patterns, shared across evaluations because compiling per profile dominates segment runs.
final class RegexCache: @unchecked Sendable {
    static let shared = RegexCache()

    // NSRegularExpression is immutable once built and documented as thread-safe; the lock guards only the dictionary.
    private let lock = NSLock()
    private var compiled: [String: NSRegularExpression] = [:]

    func regex(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let regex = compiled[pattern] { return regex }
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        if compiled.count > 1_000 { compiled.removeAll() }
        compiled[pattern] = regex
        return regex
    }
}
