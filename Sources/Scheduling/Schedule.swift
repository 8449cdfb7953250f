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
        /// On `weekday` (1 = Sunday ... 7 = Saturday, as `Calendar` counts).
        case weekly(weekday: Int)
        /// On `day` of each month (1 to 31); a month without that day runs on its last day.
        case monthly(day: Int)

        /// The schedule of a stored frequency; a weekly or monthly one without
        /// a day takes the start's weekday or day of month.
        public init(_ frequency: ActivationFrequency, day: Int? = nil, start: Date = Date(), timeZone: TimeZone = .gmt)
        {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            switch frequency {
            case .once: self = .once
            case .daily: self = .daily
            case .every3Hours: self = .everyHours(3)
            case .every6Hours: self = .everyHours(6)
            case .every8Hours: self = .everyHours(8)
            case .every12Hours: self = .everyHours(12)
            case .weekly: self = .weekly(weekday: day ?? calendar.component(.weekday, from: start))
            case .monthly: self = .monthly(day: day ?? calendar.component(.day, from: start))
            }
        }
    }

    public var start: Date
    public var frequency: Frequency
    /// The first instant not exported: the start of the end day in the time zone.
    public var end: Date?
    public var calendar: Calendar
    /// The first scheduled time: the start, or for weekly and monthly
    /// schedules the first matching day at or after it, at the start's time of day.
    public let first: Date

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
        switch frequency {
        case .weekly(let weekday):
            let offset = (weekday - calendar.component(.weekday, from: start) + 7) % 7
            first = calendar.date(byAdding: .day, value: offset, to: start)!
        case .monthly(let day):
            let atStart = Self.monthly(day: day, monthsAfter: 0, start: start, calendar: calendar)
            first =
                atStart >= start ? atStart : Self.monthly(day: day, monthsAfter: 1, start: start, calendar: calendar)
        default:
            first = start
        }
    }

    /// Day `day` (or the month's last) of the month `months` after the start's,
    /// at the start's wall-clock time of day.
    private static func monthly(day: Int, monthsAfter months: Int, start: Date, calendar: Calendar) -> Date {
        let parts = calendar.dateComponents([.year, .month, .hour, .minute, .second, .nanosecond], from: start)
        var month = DateComponents(year: parts.year, month: (parts.month ?? 1) + months, day: 1)
        let firstOfMonth = calendar.date(from: month)!
        let days = calendar.range(of: .day, in: .month, for: firstOfMonth)!.count
        month = calendar.dateComponents([.year, .month], from: firstOfMonth)
        month.day = min(day, days)
        month.hour = parts.hour
        month.minute = parts.minute
        month.second = parts.second
        month.nanosecond = parts.nanosecond
        return calendar.date(from: month)!
    }

    /// The k-th scheduled time (k from 0). Daily, weekly and monthly times keep
    /// the start's wall-clock time of day in the time zone, across daylight-saving changes.
    public func time(_ k: Int) -> Date {
        switch frequency {
        case .once: return start
        case .daily: return calendar.date(byAdding: .day, value: k, to: start)!
        case let .everyHours(n): return start.addingTimeInterval(TimeInterval(k * n * 3600))
        case .weekly: return calendar.date(byAdding: .day, value: 7 * k, to: first)!
        case .monthly(let day):
            let firstMonthOffset =
                calendar.dateComponents([.month], from: monthStart(start), to: monthStart(first))
                .month ?? 0
            return Self.monthly(day: day, monthsAfter: firstMonthOffset + k, start: start, calendar: calendar)
        }
    }

    private func monthStart(_ date: Date) -> Date {
        calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
    }

    /// The index of the latest scheduled time at or before `date`, if any is due.
    public func latestIndex(atOrBefore date: Date) -> Int? {
        guard date >= first else { return nil }
        var k: Int
        let elapsed = date.timeIntervalSince(first)
        switch frequency {
        case .once: k = 0
        case .daily: k = max(0, Int((elapsed / 86_400).rounded(.down)) - 1)
        case let .everyHours(n): k = Int((elapsed / Double(n * 3600)).rounded(.down))
        case .weekly: k = max(0, Int((elapsed / (7 * 86_400)).rounded(.down)) - 1)
        case .monthly: k = max(0, Int((elapsed / (31 * 86_400)).rounded(.down)) - 1)
        }
        switch frequency {
        case .daily, .weekly, .monthly:
            // Calendar days and months vary in length; step to the exact index.
            while time(k + 1) <= date { k += 1 }
            while k > 0 && time(k) > date { k -= 1 }
        default: break
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

extension Schedule {
    /// Weekday names as `Calendar` numbers them (1 = Sunday).
    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// The stored `day` of a weekly (a weekday name, or its first three
    /// letters) or monthly (1 to 31) frequency; the message says what is
    /// accepted when the text is neither.
    public static func day(parsing text: String, for frequency: ActivationFrequency) -> Result<Int, DayError> {
        let word = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch frequency {
        case .weekly:
            if let index = weekdays.firstIndex(where: { $0 == word || (word.count == 3 && $0.hasPrefix(word)) }) {
                return .success(index + 1)
            }
            return .failure(DayError("--day for a weekly activation is a weekday (monday ... sunday), not '\(text)'"))
        case .monthly:
            if let day = Int(word), (1...31).contains(day) { return .success(day) }
            return .failure(
                DayError(
                    "--day for a monthly activation is a day of the month from 1 to 31 (a shorter month runs on its last day), not '\(text)'"
                ))
        default:
            return .failure(DayError("--day is for weekly and monthly activations"))
        }
    }

    /// The weekday's name, or the day of the month, for showing a stored `day`.
    public static func dayName(_ day: Int, for frequency: ActivationFrequency) -> String {
        frequency == .weekly && (1...7).contains(day) ? weekdays[day - 1] : String(day)
    }

    public struct DayError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
