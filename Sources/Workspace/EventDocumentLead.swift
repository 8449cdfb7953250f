import Foundation

/// The SQLite workspace stores an event's document without its leading `_id`,
/// `timestamp` and `eventType` members when its `id`, `ets` and `etype` columns
/// give them back byte for byte. They were about two fifths of each row at 10M
/// events, and every byte of a row is written to the log, read back twice to
/// build the indexes, and written again at the checkpoint.
///
/// A document is shortened only when it begins exactly
/// `{"_id":"ID","timestamp":"TS","eventType":"TYPE","…` with the id and type as
/// their columns hold them (so with no escape in them) and TS as SQLite's
/// `strftime` writes the stored instant back (`EventSQL.document`); the stored
/// text is then `{` and the rest. A shortened document has no `_id`, which every
/// whole one has, so each row tells which it is. Anything else is stored whole.
enum EventDocumentLead {
    /// How many leading bytes of `document` the columns give back; 0 to store it whole.
    static func length(of document: String, id: String, seconds: Double, eventType: String?) -> Int {
        guard let eventType else { return 0 }
        var document = document
        return document.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            guard reader.take("{\"_id\":\""), reader.take(id), reader.take("\",\"timestamp\":\""),
                reader.timestamp(seconds), reader.take("\",\"eventType\":\""), reader.take(eventType),
                reader.take("\","), reader.next == UInt8(ascii: "\"")
            else { return 0 }
            return reader.index
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var next: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(_ text: String) -> Bool {
            for byte in text.utf8 {
                guard index < bytes.count, bytes[index] == byte else { return false }
                index += 1
            }
            return true
        }

        /// Takes `2026-06-15T12:00:00Z` or `2026-06-15T12:00:00.123Z` when that
        /// is what `strftime` writes for `seconds` (`PQLEventStore.timestampText`):
        /// a valid date and time of year 1970 to 9999 (so `seconds` is its one
        /// instant), milliseconds as SQLite rounds `seconds` to them, and a
        /// fraction exactly when `seconds` is not whole.
        mutating func timestamp(_ seconds: Double) -> Bool {
            guard seconds >= 0, seconds < 253_402_300_800 else { return false }
            let whole = seconds == seconds.rounded(.down)
            let length = whole ? 20 : 24
            guard index + length <= bytes.count else { return false }
            let text = UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])
            func number(_ from: Int, _ count: Int) -> Int? {
                var value = 0
                for byte in text[from..<(from + count)] {
                    guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
                text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text[length - 1] == UInt8(ascii: "Z"),
                whole || text[19] == UInt8(ascii: "."),
                let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                let fraction = whole ? 0 : number(20, 3),
                (1...12).contains(month), day >= 1, day <= Self.days(month, year), hour < 24, minute < 60, second < 60
            else { return false }
            // SQLite's 'unixepoch': Julian day milliseconds, rounded half up.
            let julian = 210_866_760_000_000.0
            let milliseconds = Int64(seconds * 1000 + julian + 0.5) - Int64(julian)
            guard milliseconds % 1000 == fraction else { return false }
            index += length
            return true
        }

        static func days(_ month: Int, _ year: Int) -> Int {
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }
    }
}
