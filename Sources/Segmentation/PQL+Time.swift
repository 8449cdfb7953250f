extension PQL {
    /// The SQL function both stores provide for times pushed down to SQL:
    /// `ferry_pql_time(value, part)` reads `value` as the evaluator reads a string
    /// as a time (`PQLTimestamp.parse`) and returns one `TimePart` of it, or NULL
    /// when the value is not text or not a date. SQLite calls `PQL.time` for it;
    /// PostgreSQL runs `postgresTimeFunction`, the same grammar and arithmetic in plpgsql.
    public static let timeFunctionName = "ferry_pql_time"

    /// What `ferry_pql_time` returns; the raw values are the SQL argument.
    public enum TimePart: Int32, Sendable, CaseIterable {
        /// Seconds since 1970 UTC, fraction included (a double).
        case seconds = 0
        /// Days since 1970-01-01 UTC, rounding toward the past (an integer).
        case day = 1
        /// What `occurs` compares when its period is shorter than a day: a calendar
        /// day's first second, else the seconds (a double).
        case instant = 2
        /// The first second of the value's UTC day (a double).
        case dayStart = 3
        /// The UTC day's year, month and day of month (integers).
        case year = 4
        case month = 5
        case dayOfMonth = 6
    }

    /// One part of a time as SQL gets it.
    public enum TimeValue: Equatable, Sendable {
        case integer(Int64)
        case real(Double)
    }

    /// `ferry_pql_time` over UTF-8 text: nil when the text is not a date.
    public static func time(utf8 text: UnsafeBufferPointer<UInt8>, part: TimePart) -> TimeValue? {
        guard let timestamp = PQLTimestamp.parse(utf8: text) else { return nil }
        switch part {
        case .seconds: return .real(timestamp.seconds)
        case .day: return .integer(timestamp.dayNumber)
        case .instant: return .real(timestamp.isDay ? Double(timestamp.dayNumber) * 86_400 : timestamp.seconds)
        case .dayStart: return .real(Double(timestamp.dayNumber) * 86_400)
        case .year: return .integer(timestamp.civil.year)
        case .month: return .integer(Int64(timestamp.civil.month))
        case .dayOfMonth: return .integer(Int64(timestamp.civil.day))
        }
    }

    /// `ferry_pql_time(text, integer) RETURNS double precision` for PostgreSQL, created by
    /// its schema's migrations: `PQLTimestamp.parse`'s grammar as one regular expression,
    /// its checks, and Howard Hinnant's day arithmetic in bigint, so every part equals
    /// what `PQL.time` returns (integers as exact doubles). IMMUTABLE and PARALLEL SAFE,
    /// so a scan may run in parallel workers.
    public static let postgresTimeFunction = #"""
        CREATE OR REPLACE FUNCTION ferry_pql_time(value text, part integer) RETURNS double precision
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $function$
        DECLARE
            m text[];
            y bigint;
            mo bigint;
            d bigint;
            era bigint;
            yoe bigint;
            doy bigint;
            doe bigint;
            mp bigint;
            whole bigint;
            seconds double precision;
            day bigint;
        BEGIN
            m := regexp_match(value, '^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?)?$');
            IF m IS NULL THEN
                RETURN NULL;
            END IF;
            y := m[1]::bigint;
            mo := m[2]::bigint;
            d := m[3]::bigint;
            -- In parentheses: plpgsql ends an IF's condition at the first THEN outside them.
            IF mo < 1 OR mo > 12 OR d < 1 OR d > (CASE
                WHEN mo = 2 THEN (CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END)
                WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END)
            THEN
                RETURN NULL;
            END IF;
            IF mo <= 2 THEN
                y := y - 1;
            END IF;
            era := (CASE WHEN y >= 0 THEN y ELSE y - 399 END) / 400;
            yoe := y - era * 400;
            doy := (153 * (CASE WHEN mo > 2 THEN mo - 3 ELSE mo + 9 END) + 2) / 5 + d - 1;
            doe := yoe * 365 + yoe / 4 - yoe / 100 + doy;
            whole := (era * 146097 + doe - 719468) * 86400;
            IF m[4] IS NOT NULL THEN
                IF m[4]::bigint >= 24 OR m[5]::bigint >= 60 OR coalesce(m[6]::bigint, 0) >= 61 THEN
                    RETURN NULL;
                END IF;
                whole := whole + m[4]::bigint * 3600 + m[5]::bigint * 60 + coalesce(m[6]::bigint, 0);
                IF m[8] IS NOT NULL THEN
                    IF m[9]::bigint >= 24 OR m[10]::bigint >= 60 THEN
                        RETURN NULL;
                    END IF;
                    whole := whole - (CASE WHEN m[8] = '-' THEN -1 ELSE 1 END) * (m[9]::bigint * 3600 + m[10]::bigint * 60);
                END IF;
            END IF;
            -- The whole seconds are exact; the fraction is added once, as the parser does.
            seconds := whole::double precision + coalesce(('0.' || m[7])::double precision, 0);
            day := floor(seconds / 86400::double precision)::bigint;
            IF part = 0 THEN
                RETURN seconds;
            ELSIF part = 1 THEN
                RETURN day;
            ELSIF part = 2 THEN
                RETURN CASE WHEN m[4] IS NULL THEN day::double precision * 86400 ELSE seconds END;
            ELSIF part = 3 THEN
                RETURN day::double precision * 86400;
            END IF;
            mp := day + 719468;
            era := (CASE WHEN mp >= 0 THEN mp ELSE mp - 146096 END) / 146097;
            doe := mp - era * 146097;
            yoe := (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            doy := doe - (365 * yoe + yoe / 4 - yoe / 100);
            mp := (5 * doy + 2) / 153;
            d := doy - (153 * mp + 2) / 5 + 1;
            mo := CASE WHEN mp < 10 THEN mp + 3 ELSE mp - 9 END;
            RETURN CASE part
                WHEN 4 THEN yoe + era * 400 + CASE WHEN mo <= 2 THEN 1 ELSE 0 END
                WHEN 5 THEN mo
                WHEN 6 THEN d
            END;
        END
        $function$
        """#
}
