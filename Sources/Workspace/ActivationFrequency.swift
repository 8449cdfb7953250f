import GRDB

/// How often an activation runs, counted from its start. The raw values are
/// what the CLI takes and the store keeps.
public enum ActivationFrequency: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case once
    case daily
    case every3Hours = "every-3-hours"
    case every6Hours = "every-6-hours"
    case every8Hours = "every-8-hours"
    case every12Hours = "every-12-hours"
    /// On one weekday (the activation's `day`, 1 = Sunday ... 7 = Saturday).
    case weekly
    /// On one day of the month (the activation's `day`, 1 to 31); a shorter
    /// month runs on its last day.
    case monthly
}

/// What starts an activation's runs.
public enum ActivationTrigger: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// The clock: `frequency` from `start`.
    case schedule
    /// Each completed evaluation of the segment, once.
    case afterEvaluation = "after-evaluation"
}
