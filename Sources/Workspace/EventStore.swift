import Foundation

/// ExperienceEvents: import, retention and pruning, on either backend.
public protocol EventStore: Sendable {
    /// Imports JSON Lines ExperienceEvents. Each joins the profile holding one of
    /// its identities (a profile is made when none does); an `_id` stored already
    /// is left as it is; a bad line goes to `onReject` with its line number.
    func importEvents(_ inputs: [ImportInput], maxErrors: Int, onReject: (ImportRejection) -> Void)
        async throws -> EventImportSummary
    /// Days an event is kept, counted back from the evaluation time.
    func eventRetentionDays() async throws -> Int
    func setEventRetentionDays(_ days: Int) async throws
    func eventCount() async throws -> Int
    /// Deletes the events past retention at `now`; returns how many.
    func pruneEvents(now: Date) async throws -> Int
}

/// How long events are kept.
public enum EventRetention {
    /// 30 days, as the reference product's default for ExperienceEvents.
    public static let defaultDays = 30

    public static func since(now: Date, days: Int) -> Double {
        now.timeIntervalSince1970 - Double(days) * 86_400
    }
}
