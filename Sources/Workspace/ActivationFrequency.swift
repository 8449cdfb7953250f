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
}
