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
