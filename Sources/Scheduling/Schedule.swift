import Foundation
import Workspace

/// When an activation's runs are due: a pure function of start, frequency,
/// end day and time zone, so "what should have run by then" has one answer
/// that tests and the scheduler share.
public struct Schedule: Sendable, Equatable {
    public enum Frequency: Sendable, Equatable {
        case once
        case daily
        case everyHours(Int)

        public init(_ frequency: ActivationFrequency) {
            switch frequency {
            case .once: self = .once
            case .daily: self = .daily
            case .every3Hours: self = .everyHours(3)
            case .every6Hours: self = .everyHours(6)
            case .every8Hours: self = .everyHours(8)
            case .every12Hours: self = .everyHours(12)
            }
        }
    }

    public var start: Date
    public var frequency: Frequency
    /// The first instant not exported: the start of the end day in the time zone.
    public var end: Date?
    public var calendar: Calendar

    public init(start: Date, frequency: Frequency, endDay: String?, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.start = start
        self.frequency = frequency
        self.end = endDay.flatMap { day in
            let parts = day.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3 else { return nil }
            return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
        }
    }

    /// The k-th scheduled time (k from 0). Daily times keep the start's wall-clock
    /// time of day in the time zone, across daylight-saving changes.
    public func time(_ k: Int) -> Date {
        switch frequency {
        case .once: return start
        case .daily: return calendar.date(byAdding: .day, value: k, to: start)!
        case let .everyHours(n): return start.addingTimeInterval(TimeInterval(k * n * 3600))
        }
    }

    /// The index of the latest scheduled time at or before `date`, if any is due.
    public func latestIndex(atOrBefore date: Date) -> Int? {
        guard date >= start else { return nil }
        var k: Int
        switch frequency {
        case .once: k = 0
        case .daily: k = max(0, Int((date.timeIntervalSince(start) / 86_400).rounded(.down)) - 1)
        case let .everyHours(n): k = Int((date.timeIntervalSince(start) / Double(n * 3600)).rounded(.down))
        }
        if frequency == .daily {
            // Calendar days are 23 to 25 hours long; step to the exact index.
            while time(k + 1) <= date { k += 1 }
            while k > 0 && time(k) > date { k -= 1 }
        }
        while k >= 0, let end, time(k) >= end { k -= 1 }
        return k >= 0 ? k : nil
    }

    public func latestDue(atOrBefore date: Date) -> (index: Int, time: Date)? {
        latestIndex(atOrBefore: date).map { ($0, time($0)) }
    }

    /// The first scheduled time after `date`, or nil when the schedule is over.
    public func next(after date: Date) -> Date? {
        let k = latestIndex(atOrBefore: date).map { $0 + 1 } ?? 0
        if frequency == .once && k > 0 { return nil }
        let t = time(k)
        if let end, t >= end { return nil }
        return t
    }

    /// The index of a scheduled time, for counting the times a catch-up skips.
    public func index(of date: Date) -> Int? {
        guard let k = latestIndex(atOrBefore: date), time(k) == date else { return nil }
        return k
    }
}
