import FerryApp
import Foundation
import Hummingbird
import Segmentation
import Workspace

/// Runs written straight into bytes, byte for byte what `JSONResponse.encoder`
/// writes (sorted keys, unescaped slashes, dates as whole-second ISO-8601 UTC).
/// The run list is the API's busiest read: under load, Foundation's encoder
/// (a tree of boxed values per run, then sorting every object's keys) and its
/// date formatter were most of a request's CPU.
enum RunJSON {
    static func response(_ page: Page<RunView>) -> Response { make(bytes(page)) }

    static func response(_ run: RunView) -> Response { make(bytes(run)) }

    static func bytes(_ page: Page<RunView>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + page.items.count * 512)
        out.append(contentsOf: #"{"items":["#.utf8)
        for (index, run) in page.items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            write(run, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        if let cursor = page.nextCursor {
            out.append(contentsOf: #","nextCursor":"#.utf8)
            string(cursor, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func bytes(_ run: RunView) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(run, into: &out)
        return out
    }

    static func make(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// One run, its keys in the sorted order `JSONEncoder` gives them; nil fields are left out as it does.
    static func write(_ run: RunView, into out: inout [UInt8]) {
        var first = true
        func key(_ name: StaticString) {
            out.append(contentsOf: first ? #"{""#.utf8 : #",""#.utf8)
            first = false
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: #"":"#.utf8)
        }
        key("activationId")
        string(run.activationId, into: &out)
        key("attempts")
        integer(run.attempts, into: &out)
        key("destinationId")
        string(run.destinationId, into: &out)
        if let error = run.error {
            key("error")
            string(error, into: &out)
        }
        key("excludedDuplicate")
        integer(run.excludedDuplicate, into: &out)
        key("excludedMandatory")
        integer(run.excludedMandatory, into: &out)
        key("exported")
        integer(run.exported, into: &out)
        key("files")
        out.append(UInt8(ascii: "["))
        for (index, file) in run.files.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"bytes":"#.utf8)
            integer(file.bytes, into: &out)
            out.append(contentsOf: #","key":"#.utf8)
            string(file.key, into: &out)
            out.append(contentsOf: #","rows":"#.utf8)
            integer(file.rows, into: &out)
            out.append(contentsOf: #","sha256":"#.utf8)
            string(file.sha256, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if let finished = run.finishedAt {
            key("finishedAt")
            date(finished, into: &out)
        }
        key("id")
        string(run.id, into: &out)
        if let manifest = run.manifestKey {
            key("manifestKey")
            string(manifest, into: &out)
        }
        key("mode")
        string(run.mode, into: &out)
        key("profilesReceived")
        integer(run.profilesReceived, into: &out)
        key("scheduledTime")
        date(run.scheduledTime, into: &out)
        key("segmentId")
        string(run.segmentId, into: &out)
        key("skippedTimes")
        integer(run.skippedTimes, into: &out)
        key("startedAt")
        date(run.startedAt, into: &out)
        key("status")
        string(run.status, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Decimal digits without a `String` in between: a page holds hundreds of numbers.
    static func integer(_ value: some BinaryInteger, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    /// Escaped as `JSONEncoder` escapes: quote, backslash and control characters; `/` and non-ASCII stay.
    static func string(_ text: String, into out: inout [UInt8]) {
        JSONValue.string(text).write(to: &out)
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, the fraction dropped, as `.iso8601` writes it.
    static func date(_ date: Date, into out: inout [UInt8]) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            // Years past 9999 keep every digit, as the formatter's do.
            while value / divisor >= 10 { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        out.append(UInt8(ascii: "\""))
        digits(parts.tm_year + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        out.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        out.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        out.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        out.append(contentsOf: #"Z""#.utf8)
    }
}
