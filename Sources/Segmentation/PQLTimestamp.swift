/// An instant read from an ISO-8601 string or a PQL date, in seconds since 1970 UTC.
///
/// Written by hand because profile strings must parse the same way on every platform,
/// and `ISO8601DateFormatter` is neither fast nor Sendable.
struct PQLTimestamp: Equatable {
    var seconds: Double
    /// True for calendar days (`"2015-01-08"`, `date(...)`, `today`), which compare at day granularity.
    var isDay: Bool

    /// Days since 1970-01-01 UTC, rounding toward the past.
    var dayNumber: Int64 { Int64((seconds / 86_400).rounded(.down)) }

    var civil: (year: Int64, month: Int, day: Int) { Self.civil(fromDays: dayNumber) }

    static func day(year: Int, month: Int, day: Int) -> PQLTimestamp {
        PQLTimestamp(seconds: Double(days(year: Int64(year), month: month, day: day)) * 86_400, isDay: true)
    }

    /// Accepts `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM`; no offset means UTC.
    static func parse(_ text: String) -> PQLTimestamp? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// As `parse(_:)`, over UTF-8 bytes (SQLite's own text, read without a copy).
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> PQLTimestamp? {
        var reader = DigitReader(bytes)
        guard let year = reader.number(digits: 4), reader.skip("-"),
            let month = reader.number(digits: 2), reader.skip("-"),
            let day = reader.number(digits: 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        // Whole seconds add up exactly as integers; the fraction is added once at the end,
        // the same single rounding the SQL translation does.
        var whole = days(year: Int64(year), month: month, day: day) * 86_400
        if reader.isAtEnd { return PQLTimestamp(seconds: Double(whole), isDay: true) }
        guard reader.skip("T") || reader.skip("t") || reader.skip(" "),
            let hour = reader.number(digits: 2), hour < 24, reader.skip(":"),
            let minute = reader.number(digits: 2), minute < 60
        else { return nil }
        whole += Int64(hour * 3600 + minute * 60)
        var fraction = 0.0
        if reader.skip(":") {
            guard let second = reader.number(digits: 2), second < 61 else { return nil }
            whole += Int64(second)
            if reader.skip(".") {
                guard let digits = reader.fraction() else { return nil }
                fraction = digits
            }
        }
        if reader.skip("Z") || reader.skip("z") {
        } else if let sign = reader.sign() {
            guard let offsetHours = reader.number(digits: 2), offsetHours < 24 else { return nil }
            _ = reader.skip(":")
            guard let offsetMinutes = reader.number(digits: 2), offsetMinutes < 60 else { return nil }
            whole -= Int64(sign * (offsetHours * 3600 + offsetMinutes * 60))
        }
        guard reader.isAtEnd else { return nil }
        return PQLTimestamp(seconds: Double(whole) + fraction, isDay: false)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days-from-civil, valid for the proleptic Gregorian calendar.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A cursor over the ASCII digits and separators of a timestamp.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func number(digits: Int) -> Int? {
        guard index + digits <= bytes.count else { return nil }
        var value = 0
        for offset in index..<index + digits {
            let digit = bytes[offset] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        index += digits
        return value
    }

    /// The digits after the decimal point, read as the double nearest to "0.digits".
    mutating func fraction() -> Double? {
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        guard index > start else { return nil }
        return Double("0." + String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    mutating func sign() -> Int? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }
}
