import Foundation
import Scheduling
import Testing

@Suite struct ScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func dailyRunsAtTheStartsTimeOfDay() {
        let s = Schedule(start: Self.date("2026-11-25T06:00:00Z"), frequency: .daily, endDay: nil, timeZone: Self.utc)
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-25T05:59:59Z")) == nil)
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-25T06:00:00Z"))?.index == 0)
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-27T07:00:00Z"))?.time == Self.date("2026-11-27T06:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-27T07:00:00Z"))?.index == 2)
        #expect(s.next(after: Self.date("2026-11-27T07:00:00Z")) == Self.date("2026-11-28T06:00:00Z"))
    }

    @Test func everySixHours() {
        let s = Schedule(
            start: Self.date("2026-11-25T00:00:00Z"), frequency: .everyHours(6), endDay: nil, timeZone: Self.utc)
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-26T13:00:00Z"))?.time == Self.date("2026-11-26T12:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-26T13:00:00Z"))?.index == 6)
        #expect(s.next(after: Self.date("2026-11-26T12:00:00Z")) == Self.date("2026-11-26T18:00:00Z"))
    }

    @Test func theEndDayItselfIsNotExported() {
        let s = Schedule(
            start: Self.date("2026-11-25T06:00:00Z"), frequency: .daily, endDay: "2026-11-27", timeZone: Self.utc)
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-30T00:00:00Z"))?.time == Self.date("2026-11-26T06:00:00Z"))
        #expect(s.next(after: Self.date("2026-11-26T06:00:00Z")) == nil)
    }

    @Test func onceRunsOnce() {
        let s = Schedule(start: Self.date("2026-11-25T06:00:00Z"), frequency: .once, endDay: nil, timeZone: Self.utc)
        #expect(s.latestDue(atOrBefore: Self.date("2026-12-25T06:00:00Z"))?.index == 0)
        #expect(s.next(after: Self.date("2026-11-25T06:00:00Z")) == nil)
        #expect(s.next(after: Self.date("2026-11-24T06:00:00Z")) == Self.date("2026-11-25T06:00:00Z"))
    }

    @Test func dailyKeepsWallClockTimeAcrossDaylightSaving() {
        let ny = TimeZone(identifier: "America/New_York")!
        // 09:00 New York: 13:00Z in summer time, 14:00Z after 2026-11-01.
        let s = Schedule(start: Self.date("2026-10-30T13:00:00Z"), frequency: .daily, endDay: nil, timeZone: ny)
        #expect(s.time(3) == Self.date("2026-11-02T14:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-02T13:30:00Z"))?.index == 2)
    }
}

@Suite struct WeeklyAndMonthlyScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func monthly(_ day: Int, start: String, timeZone: TimeZone = utc) -> Schedule {
        Schedule(start: date(start), frequency: .monthly(day: day), endDay: nil, timeZone: timeZone)
    }

    @Test func weeklyRunsOnItsWeekdayFromTheFirstOneAtOrAfterTheStart() {
        // 2026-12-02 is a Wednesday; Monday is weekday 2.
        let s = Schedule(
            start: Self.date("2026-12-02T06:00:00Z"), frequency: .weekly(weekday: 2), endDay: nil, timeZone: Self.utc)
        #expect(s.first == Self.date("2026-12-07T06:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-12-07T05:59:59Z")) == nil)
        #expect(s.latestDue(atOrBefore: Self.date("2026-12-07T06:00:00Z"))?.index == 0)
        #expect(s.latestDue(atOrBefore: Self.date("2026-12-20T00:00:00Z"))?.time == Self.date("2026-12-14T06:00:00Z"))
        #expect(s.next(after: Self.date("2026-12-14T06:00:00Z")) == Self.date("2026-12-21T06:00:00Z"))
        #expect(s.index(of: Self.date("2027-01-04T06:00:00Z")) == 4)
    }

    @Test func weeklyOnTheStartsOwnWeekdayStartsThatDay() {
        let s = Schedule(
            start: Self.date("2026-12-02T06:00:00Z"),
            frequency: Schedule.Frequency(
                .weekly, day: nil, start: Self.date("2026-12-02T06:00:00Z"), timeZone: Self.utc),
            endDay: nil, timeZone: Self.utc)
        #expect(s.frequency == .weekly(weekday: 4))
        #expect(s.first == Self.date("2026-12-02T06:00:00Z"))
    }

    @Test func weeklyKeepsWallClockTimeAcrossDaylightSaving() {
        let ny = TimeZone(identifier: "America/New_York")!
        // Sundays at 09:00 New York: 13:00Z before 2026-11-01, 14:00Z after.
        let s = Schedule(
            start: Self.date("2026-10-25T13:00:00Z"), frequency: .weekly(weekday: 1), endDay: nil, timeZone: ny)
        #expect(s.time(1) == Self.date("2026-11-01T14:00:00Z"))
    }

    @Test func the31stRunsOnTheLastDayOfA30DayMonth() {
        let s = Self.monthly(31, start: "2026-10-01T06:00:00Z")
        #expect(s.time(0) == Self.date("2026-10-31T06:00:00Z"))
        #expect(s.time(1) == Self.date("2026-11-30T06:00:00Z"))
        #expect(s.time(2) == Self.date("2026-12-31T06:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-30T05:59:59Z"))?.time == Self.date("2026-10-31T06:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2026-11-30T06:00:00Z"))?.time == Self.date("2026-11-30T06:00:00Z"))
        // A short month does not shift the months after it.
        #expect(s.next(after: Self.date("2026-11-30T06:00:00Z")) == Self.date("2026-12-31T06:00:00Z"))
    }

    @Test func februaryInLeapAndNonLeapYears() {
        let s = Self.monthly(30, start: "2027-01-01T00:00:00Z")
        #expect(s.time(1) == Self.date("2027-02-28T00:00:00Z"))
        #expect(s.time(13) == Self.date("2028-02-29T00:00:00Z"))
        #expect(s.time(14) == Self.date("2028-03-30T00:00:00Z"))
        let on29 = Self.monthly(29, start: "2028-01-29T12:00:00Z")
        #expect(on29.time(1) == Self.date("2028-02-29T12:00:00Z"))
        #expect(on29.time(13) == Self.date("2029-02-28T12:00:00Z"))
        #expect(on29.latestDue(atOrBefore: Self.date("2029-03-01T00:00:00Z"))?.index == 13)
    }

    @Test func aStartAfterThisMonthsDayBeginsNextMonth() {
        let s = Self.monthly(5, start: "2026-12-20T08:00:00Z")
        #expect(s.first == Self.date("2027-01-05T08:00:00Z"))
        #expect(s.latestDue(atOrBefore: Self.date("2027-01-04T00:00:00Z")) == nil)
        #expect(s.latestDue(atOrBefore: Self.date("2027-03-10T00:00:00Z"))?.index == 2)
    }

    @Test func monthlyCatchUpCountsEveryMonthOverYears() {
        let s = Self.monthly(31, start: "2024-01-31T00:00:00Z")
        for k in 0..<40 {
            let t = s.time(k)
            #expect(s.index(of: t) == k)
            #expect(s.latestDue(atOrBefore: t.addingTimeInterval(-1))?.index == (k == 0 ? nil : k - 1))
        }
    }

    @Test func monthlyInATimeZoneUsesItsCalendarDays() {
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        // 2026-04-30T20:00Z is May 1st 05:00 in Tokyo: the 31st of April does not exist, May's does.
        let s = Self.monthly(31, start: "2026-04-30T20:00:00Z", timeZone: tokyo)
        #expect(s.first == Self.date("2026-05-30T20:00:00Z"))
        #expect(s.time(1) == Self.date("2026-06-29T20:00:00Z"))
    }

    @Test func endDayStopsMonthly() {
        let s = Schedule(
            start: Self.date("2026-01-15T00:00:00Z"), frequency: .monthly(day: 15), endDay: "2026-03-15",
            timeZone: Self.utc)
        #expect(s.latestDue(atOrBefore: Self.date("2026-06-01T00:00:00Z"))?.time == Self.date("2026-02-15T00:00:00Z"))
        #expect(s.next(after: Self.date("2026-02-15T00:00:00Z")) == nil)
    }
}
