import Foundation
import Testing

@testable import Segmentation

@Suite("PQL: relative times at a fixed now")
struct PQLRelativeTimeTests {
    static func instant(_ text: String) -> Date {
        Date(timeIntervalSince1970: PQLTimestamp.parse(text)!.seconds)
    }

    @Test(arguments: [
        // Month ends: one month before March 31 is February 29 in a leap year; whole months count.
        ("2024-03-31T10:00:00Z", "d occurs = 1 month before today", "2024-02-29", true),
        ("2024-03-31T10:00:00Z", "d occurs = 1 month before today", "2024-02-01", true),
        ("2024-03-31T10:00:00Z", "d occurs = 1 month before today", "2024-01-31", false),
        ("2024-03-31T10:00:00Z", "d occurs = 1 month before today", "2024-03-01", false),
        ("2023-03-31T10:00:00Z", "d occurs = 1 month before today", "2023-02-28", true),
        ("2023-03-31T10:00:00Z", "d occurs = 1 month before today", "2023-02-27", true),
        ("2023-03-31T10:00:00Z", "d occurs = 1 month before today", "2023-03-01", false),
        ("2024-02-29T12:00:00Z", "d occurs = 1 year before today", "2023-02-28", true),
        ("2024-02-29T12:00:00Z", "d occurs = 1 year before today", "2023-03-01", false),
        ("2024-01-31T12:00:00Z", "d occurs = 1 month after today", "2024-02-29", true),
        ("2024-01-31T12:00:00Z", "d occurs = 1 month from today", "2024-03-30", true),
        ("2024-01-31T12:00:00Z", "d occurs = 1 month from today", "2024-03-31", false),
        // Leap days as dates and as periods.
        ("2024-06-15T12:00:00Z", "d occurs on date(2024, 2, 29)", "2024-02-29T23:59:59Z", true),
        ("2024-02-29T23:30:00Z", "d occurs this month", "2024-02-29T23:59:59Z", true),
        ("2024-02-29T23:30:00Z", "d occurs this month", "2024-03-01", false),
        ("2024-02-29T23:30:00Z", "d occurs next month", "2024-03-31", true),
        // Time zones in the data: compared as UTC instants.
        ("2024-02-29T23:30:00Z", "d occurs this month", "2024-03-01T00:30:00+02:00", true),
        ("2024-06-15T12:00:00Z", "d occurs today", "2024-06-14T23:30:00-02:00", true),
        ("2024-06-15T12:00:00Z", "d occurs today", "2024-06-15T01:00:00+02:00", false),
        ("2024-06-15T12:00:00Z", "d occurs yesterday", "2024-06-14", true),
        ("2024-06-15T12:00:00Z", "d occurs tomorrow", "2024-06-16T00:00:00Z", true),
        // Instants against days.
        ("2024-06-15T12:00:00Z", "d occurs before today", "2024-06-15T00:00:00Z", false),
        ("2024-06-15T12:00:00Z", "d occurs before today", "2024-06-14T23:59:59.999Z", true),
        ("2024-06-15T12:00:00Z", "d occurs after today", "2024-06-16", true),
        ("2024-06-15T12:00:00Z", "d occurs after today", "2024-06-15T23:59:59Z", false),
        ("2024-06-15T12:00:00Z", "d occurs after now", "2024-06-15", false),
        ("2024-06-15T12:00:00Z", "d occurs after now", "2024-06-15T12:00:01Z", true),
        ("2024-06-15T12:00:00Z", "d occurs on now", "2024-06-15T12:00:00Z", true),
        ("2024-06-15T12:00:00Z", "d occurs = 3 days before today", "2024-06-12T23:00:00Z", true),
        ("2024-06-15T12:00:00Z", "d occurs = 3 hours before now", "2024-06-15T09:00:00Z", true),
        ("2024-06-15T12:00:00Z", "d occurs = 3 hours before now", "2024-06-15T09:00:01Z", false),
        ("2024-06-15T12:00:00Z", "d occurs <= 3 days before now", "2024-06-12T00:00:01Z", true),
        ("2024-06-15T12:00:00Z", "d occurs <= 3 days before now", "2024-06-16T00:00:00Z", false),
        ("2024-06-15T12:00:00Z", "d occurs > 3 days before now", "2024-06-11T11:59:59Z", true),
        ("2024-06-15T12:00:00Z", "d occurs < 1 days before now", "2024-06-14T12:00:01Z", true),
        ("2024-06-15T12:00:00Z", "d occurs != 0 days before today", "2024-06-15", false),
        ("2024-06-15T12:00:00Z", "d occurs != 0 days before today", "2024-06-14", true),
        // Calendar periods: ISO weeks start on Monday; decades on years ending in 0.
        ("2024-06-15T12:00:00Z", "d occurs last week", "2024-06-03", true),
        ("2024-06-15T12:00:00Z", "d occurs last week", "2024-06-10", false),
        ("2024-06-16T23:59:00Z", "d occurs this week", "2024-06-10T00:00:00Z", true),
        ("2024-01-01T00:00:00Z", "d occurs last year", "2023-12-31T23:59:59Z", true),
        ("2024-06-15T12:00:00Z", "d occurs this decade", "2020-01-01", true),
        ("2024-06-15T12:00:00Z", "d occurs this decade", "2019-12-31", false),
        ("2024-06-15T12:00:00Z", "d occurs last hour", "2024-06-15T11:30:00Z", true),
        // A value that is not a date never occurs.
        ("2024-06-15T12:00:00Z", "d occurs before today", "yesterday", false),
        ("2024-06-15T12:00:00Z", "d occurs this month", "2024-06-31", false),
        // getters and current* at month ends and leap days.
        ("2024-02-29T23:59:59Z", "d.getDayOfMonth() = currentDayOfMonth()", "2024-01-29", true),
        ("2024-02-29T23:59:59Z", "d.getMonth() = currentMonth() and d.getYear() = currentYear()", "2024-02-01", true),
        ("2024-02-29T23:59:59Z", "d = yesterday", "2024-02-28", true),
        ("2024-03-01T00:00:00Z", "d = yesterday", "2024-02-29T10:00:00Z", true),
    ])
    func occursAtAFixedNow(now: String, pql: String, value: String, expected: Bool) throws {
        let profile = JSONValue.object(["d": .string(value)])
        #expect(PQL.evaluate(try PQL.parse(pql), on: profile, now: Self.instant(now)) == expected)
    }
}

@Suite("PQL: segments of segments")
struct PQLSegmentDependencyTests {
    static func segment(_ id: String, _ name: String, _ pql: String) -> PQLSegmentDefinition {
        PQLSegmentDefinition(id: id, name: name, expression: try! PQL.parse(pql))
    }

    @Test func dependenciesComeFirstAndOthersKeepTheirOrder() throws {
        let segments = [
            Self.segment("1", "top", #"inSegment("mid") and inSegment("3")"#),
            Self.segment("2", "mid", #"inSegment("base") or a = 1"#),
            Self.segment("3", "base", "a = 2"),
            Self.segment("4", "lone", "a = 3"),
        ]
        #expect(try PQL.evaluationOrder(segments).map(\.name) == ["base", "lone", "mid", "top"])
    }

    @Test func aCycleIsNamed() {
        let segments = [
            Self.segment("1", "a", #"inSegment("b")"#),
            Self.segment("2", "b", #"inSegment("c")"#),
            Self.segment("3", "c", #"inSegment("a") or x = 1"#),
            Self.segment("4", "d", "x = 1"),
        ]
        #expect(throws: PQLDependencyError.cycle(["a", "b", "c", "a"])) { try PQL.evaluationOrder(segments) }
        #expect(
            PQLDependencyError.cycle(["a", "b", "c", "a"]).description
                == "Segments refer to each other in a cycle: 'a' -> 'b' -> 'c' -> 'a'.")
    }

    @Test func creationRefusesSelfReferenceCyclesAndUnknownSegments() {
        let existing = [Self.segment("11111111-0000-0000-0000-000000000000", "vip", "a = 1")]
        #expect(throws: PQLDependencyError.cycle(["me", "me"])) {
            try PQL.checkDependencies(of: Self.segment("2", "me", #"inSegment("me")"#), among: existing)
        }
        #expect(
            PQLDependencyError.cycle(["me", "me"]).description == "Segment 'me' refers to itself with inSegment.")
        #expect(throws: PQLDependencyError.unknownSegment(reference: "gold", segment: "new")) {
            try PQL.checkDependencies(of: Self.segment("2", "new", #"inSegment("gold")"#), among: existing)
        }
        // Ids match without case; names exactly.
        #expect(throws: Never.self) {
            try PQL.checkDependencies(
                of: Self.segment(
                    "2", "new",
                    #"inSegment("11111111-0000-0000-0000-000000000000")"#.uppercased().replacingOccurrences(
                        of: "INSEGMENT", with: "inSegment")),
                among: existing)
        }
        #expect(throws: Never.self) {
            try PQL.checkDependencies(of: Self.segment("2", "new", #"inSegment('vip')"#), among: existing)
        }
        // Changing vip to use new, while new uses vip, closes a cycle.
        let new = Self.segment("2", "new", #"inSegment("vip")"#)
        #expect(throws: PQLDependencyError.cycle(["vip", "new", "vip"])) {
            try PQL.checkDependencies(
                of: Self.segment("11111111-0000-0000-0000-000000000000", "vip", #"inSegment("new")"#),
                among: existing + [new])
        }
    }
}
