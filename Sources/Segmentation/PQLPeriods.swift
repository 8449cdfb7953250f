import Foundation

/// A set of instants, as intervals, that an `occurs` form accepts.
struct PQLTimeRange: Equatable {
    struct Interval: Equatable {
        /// Seconds since 1970 UTC; nil is unbounded.
        var lower: Double?
        var lowerInclusive = true
        var upper: Double?
        var upperInclusive = false

        func contains(_ seconds: Double) -> Bool {
            if let lower, lowerInclusive ? seconds < lower : seconds <= lower { return false }
            if let upper, upperInclusive ? seconds > upper : seconds >= upper { return false }
            return true
        }
    }

    var intervals: [Interval]
    /// True when values are compared by their UTC day (the period is a day or longer).
    var byDay: Bool

    /// The instant a value stands for: a day's start, or the day of an instant when `byDay`.
    func instant(of value: PQLTimestamp) -> Double {
        byDay || value.isDay ? Double(value.dayNumber) * 86_400 : value.seconds
    }

    func contains(_ value: PQLTimestamp) -> Bool {
        let seconds = instant(of: value)
        return intervals.contains { $0.contains(seconds) }
    }
}

/// Resolves `occurs` forms to time ranges at a fixed evaluation instant; the SQL
/// compiler uses the same ranges, so both sides agree to the second.
struct PQLPeriods {
    let now: Date

    /// A period: `[start, end)`, or the single instant `start` when `isPoint`.
    struct Period {
        var start: Double
        var end: Double
        var isPoint: Bool
        var isDays: Bool
    }

    func range(_ form: PQLOccurs, resolve: (PQLExpression) -> PQLTimestamp?) -> PQLTimeRange? {
        typealias Interval = PQLTimeRange.Interval
        switch form {
        case .on(let time):
            guard let period = period(time, resolve: resolve) else { return nil }
            let interval =
                period.isPoint
                ? Interval(lower: period.start, upper: period.start, upperInclusive: true)
                : Interval(lower: period.start, upper: period.end)
            return PQLTimeRange(intervals: [interval], byDay: period.isDays)
        case .before(let time):
            guard let period = period(time, resolve: resolve) else { return nil }
            return PQLTimeRange(intervals: [Interval(lower: nil, upper: period.start)], byDay: period.isDays)
        case .after(let time):
            guard let period = period(time, resolve: resolve) else { return nil }
            let interval =
                period.isPoint
                ? Interval(lower: period.start, lowerInclusive: false, upper: nil)
                : Interval(lower: period.end, upper: nil)
            return PQLTimeRange(intervals: [interval], byDay: period.isDays)
        case .distance(let comparison, let count, let unit, let direction, let time):
            guard let period = period(time, resolve: resolve) else { return nil }
            let anchor = period.start
            let n = count
            // k, the whole units between the value and the anchor, is compared with n;
            // each bound on k is a bound on the value, at anchor shifted by n or n + 1 units.
            func at(_ units: Int64) -> Double {
                Self.shift(anchor, by: direction == .before ? -units : units, unit)
            }
            var intervals: [Interval]
            // Bounds as (k >= a) and (k <= b), b nil for no upper bound on k.
            func between(_ a: Int64, _ b: Int64?) -> Interval {
                if direction == .before {
                    // k >= a  <=>  v <= at(a);  k <= b  <=>  v > at(b + 1)
                    return Interval(
                        lower: b.map { at($0 + 1) }, lowerInclusive: false, upper: at(a), upperInclusive: true)
                }
                // k >= a  <=>  v >= at(a);  k <= b  <=>  v < at(b + 1)
                return Interval(lower: at(a), lowerInclusive: true, upper: b.map { at($0 + 1) }, upperInclusive: false)
            }
            switch comparison {
            case .equal: intervals = [between(n, n)]
            case .less: intervals = n == 0 ? [] : [between(0, n - 1)]
            case .lessOrEqual: intervals = [between(0, n)]
            case .greater: intervals = [between(n + 1, nil)]
            case .greaterOrEqual: intervals = [between(n, nil)]
            case .notEqual: intervals = (n == 0 ? [] : [between(0, n - 1)]) + [between(n + 1, nil)]
            }
            return PQLTimeRange(intervals: intervals, byDay: period.isDays)
        }
    }

    func period(_ time: PQLTime, resolve: (PQLExpression) -> PQLTimestamp?) -> Period? {
        let seconds = now.timeIntervalSince1970
        let today = (seconds / 86_400).rounded(.down) * 86_400
        switch time {
        case .now:
            return Period(start: seconds, end: seconds, isPoint: true, isDays: false)
        case .day(let offset):
            let start = today + Double(offset) * 86_400
            return Period(start: start, end: start + 86_400, isPoint: false, isDays: true)
        case .period(let unit, let offset):
            let start: Double
            if let months = unit.months {
                let civil = PQLTimestamp.civil(fromDays: Int64(today / 86_400))
                let index = civil.year * 12 + Int64(civil.month - 1)
                let first = index - Self.floorMod(index, months) + offset * months
                start = Self.monthStart(first)
                return Period(start: start, end: Self.monthStart(first + months), isPoint: false, isDays: true)
            }
            let length = unit.seconds!
            if unit == .week {
                // Weeks start on Monday (ISO 8601); 1970-01-01 was a Thursday.
                let day = Int64(today / 86_400)
                start = Double(day - Self.floorMod(day + 3, 7)) * 86_400 + Double(offset) * length
            } else {
                start = (seconds / length).rounded(.down) * length + Double(offset) * length
            }
            return Period(start: start, end: start + length, isPoint: false, isDays: length >= 86_400)
        case .value(let expression):
            guard let timestamp = resolve(expression) else { return nil }
            if timestamp.isDay {
                let start = Double(timestamp.dayNumber) * 86_400
                return Period(start: start, end: start + 86_400, isPoint: false, isDays: true)
            }
            return Period(start: timestamp.seconds, end: timestamp.seconds, isPoint: true, isDays: false)
        }
    }

    /// `instant` moved by `count` units; calendar units keep the time of day and
    /// clamp the day to the target month's length (Jan 31 + 1 month = Feb 28 or 29).
    static func shift(_ instant: Double, by count: Int64, _ unit: PQLTimeUnit) -> Double {
        if let length = unit.seconds { return instant + Double(count) * length }
        let day = Int64((instant / 86_400).rounded(.down))
        let timeOfDay = instant - Double(day) * 86_400
        let civil = PQLTimestamp.civil(fromDays: day)
        let index = civil.year * 12 + Int64(civil.month - 1) + count * unit.months!
        let year = floorDiv(index, 12)
        let month = Int(floorMod(index, 12)) + 1
        let clamped = min(civil.day, PQLTimestamp.daysIn(month: month, year: Int(clamping: year)))
        return Double(PQLTimestamp.days(year: year, month: month, day: clamped)) * 86_400 + timeOfDay
    }

    static func monthStart(_ index: Int64) -> Double {
        Double(PQLTimestamp.days(year: floorDiv(index, 12), month: Int(floorMod(index, 12)) + 1, day: 1)) * 86_400
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { ((a % b) + b) % b }
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { (a - floorMod(a, b)) / b }
}
