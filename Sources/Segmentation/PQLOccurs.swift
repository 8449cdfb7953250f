/// The period side of `value occurs ...`, resolved against the evaluation instant.
///
/// Every form reduces to an interval of instants `[start, end)` (or a half line)
/// that the value must fall in; see docs/pql.md for how each form is read.
public indirect enum PQLOccurs: Sendable, Equatable {
    /// `occurs on T` (or `occurs T`): within T's period (a day for `today`, a month for `this month`).
    case on(PQLTime)
    /// `occurs before T`: strictly before T's period starts.
    case before(PQLTime)
    /// `occurs after T`: at or after T's period ends.
    case after(PQLTime)
    /// `occurs <cmp> N unit before|after|from T`: compares the value with the
    /// instant N units from T's start (`=` and `!=` compare at the unit's granularity).
    case distance(PQLComparison, Int64, PQLTimeUnit, PQLDirection, PQLTime)
}

/// A point or period in time that `occurs` compares with.
public indirect enum PQLTime: Sendable, Equatable {
    /// The evaluation instant.
    case now
    /// A UTC calendar day `offset` days from the evaluation day (`today` 0, `yesterday` -1, `tomorrow` 1).
    case day(offset: Int64)
    /// `this`/`last`/`next` unit: the calendar period containing now, or the one before or after it.
    case period(PQLTimeUnit, offset: Int64)
    /// A date or a timestamp field, literal or `date(...)`: its day when it is a day, else its instant.
    case value(PQLExpression)
}

public enum PQLDirection: String, Sendable, Equatable {
    case before, after
}

/// A unit of time; months and longer are calendar units.
public enum PQLTimeUnit: String, Sendable, Hashable, CaseIterable {
    case millisecond, second, minute, hour, day, week, month, year, decade, century, millennium

    /// The unit a word names, singular or plural (`days`, `centuries`, `millennia`).
    init?(word: String) {
        let lower = word.lowercased()
        switch lower {
        case "centuries": self = .century
        case "millennia": self = .millennium
        default:
            if let unit = PQLTimeUnit(rawValue: lower) {
                self = unit
            } else if lower.hasSuffix("s"), let unit = PQLTimeUnit(rawValue: String(lower.dropLast())) {
                self = unit
            } else {
                return nil
            }
        }
    }

    /// Months in a calendar unit, nil for units of fixed length.
    var months: Int64? {
        switch self {
        case .month: 1
        case .year: 12
        case .decade: 120
        case .century: 1200
        case .millennium: 12000
        default: nil
        }
    }

    /// Seconds in a unit of fixed length.
    var seconds: Double? {
        switch self {
        case .millisecond: 0.001
        case .second: 1
        case .minute: 60
        case .hour: 3600
        case .day: 86_400
        case .week: 604_800
        default: nil
        }
    }
}
