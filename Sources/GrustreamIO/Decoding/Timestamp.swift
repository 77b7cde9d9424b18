#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Timestamps of sensor rows (the CSV timestamp column, JSON Lines' `"t"`) as seconds since the Unix epoch.
///
/// Accepted, with nothing before or after:
/// - epoch seconds, integer or decimal (`1404172800`, `1404172800.25`, `-3.5`, `1.4e9`): any finite number;
/// - ISO 8601 / RFC 3339 dates and times: `YYYY-MM-DD`, then optionally `T`, `t` or one space and `hh:mm`,
///   `hh:mm:ss` or `hh:mm:ss.fff…` (`.` or `,`, any number of digits, nanoseconds kept), then optionally a zone
///   `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`. No zone means UTC (as NAB's `2014-07-01 00:00:00`). Years 0000–9999,
///   the proleptic Gregorian calendar (leap years included); second 60 (a leap second) is the next minute's 0.
///
/// Parsing reads the bytes once, allocates nothing and never traps: any bytes give a value or nil.
public enum Timestamp {
    /// Longest text accepted (bytes); longer fields are not timestamps.
    public static let maximumBytes = 64

    /// The timestamp in `bytes`, seconds since 1970-01-01T00:00:00Z, or nil when it is not one of the forms.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let base = bytes.baseAddress, bytes.count > 0, bytes.count <= maximumBytes else { return nil }
        if bytes.count >= 10 && bytes[4] == UInt8(ascii: "-") && isDigit(bytes[0]) {
            return parseDateTime(bytes)
        }
        return parseNumber(base, bytes.count)
    }

    /// `parse` for text (tests and configuration; the decoders call the buffer form).
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Epoch seconds: `[+-]digits[.digits][(e|E)[+-]digits]` (at least one digit in the mantissa), finite.
    private static func parseNumber(_ base: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        var i = 0
        if base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
        var mantissaDigits = 0
        while i < count && isDigit(base[i]) {
            i += 1
            mantissaDigits += 1
        }
        if i < count && base[i] == UInt8(ascii: ".") {
            i += 1
            while i < count && isDigit(base[i]) {
                i += 1
                mantissaDigits += 1
            }
        }
        guard mantissaDigits > 0 else { return nil }
        if i < count && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            i += 1
            if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            let exponentStart = i
            while i < count && isDigit(base[i]) { i += 1 }
            guard i > exponentStart else { return nil }
        }
        guard i == count else { return nil }
        // The syntax is checked: strtod gives the correctly rounded value of a NUL-terminated copy on the stack.
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: maximumBytes + 1) { text -> Double in
            guard let textBase = text.baseAddress else { return .nan }
            UnsafeMutableRawPointer(textBase).copyMemory(from: base, byteCount: count)
            textBase[count] = 0
            return strtod(textBase, nil)
        }
        return value.isFinite ? value : nil
    }

    /// A cursor over the date-time text; every read is bounds-checked.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

        /// Exactly `digits` decimal digits as a number.
        mutating func number(digits: Int) -> Int? {
            guard bytes.count - index >= digits else { return nil }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
                index += 1
            }
            return value
        }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard peek == byte, !atEnd else { return false }
            index += 1
            return true
        }
    }

    private static func parseDateTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var r = Reader(bytes: bytes)
        guard let year = r.number(digits: 4), r.skip(UInt8(ascii: "-")), let month = r.number(digits: 2),
            r.skip(UInt8(ascii: "-")), let day = r.number(digits: 2)
        else { return nil }
        guard month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month: month, year: year) else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86400
        if r.atEnd { return seconds }
        guard r.skip(UInt8(ascii: "T")) || r.skip(UInt8(ascii: "t")) || r.skip(UInt8(ascii: " ")) else { return nil }
        guard let hour = r.number(digits: 2), r.skip(UInt8(ascii: ":")), let minute = r.number(digits: 2),
            hour <= 23, minute <= 59
        else { return nil }
        var second = 0
        var fractionNanoseconds = 0
        if r.skip(UInt8(ascii: ":")) {
            guard let s = r.number(digits: 2), s <= 60 else { return nil }
            second = s
            if r.skip(UInt8(ascii: ".")) || r.skip(UInt8(ascii: ",")) {
                var digits = 0
                var scale = 100_000_000
                while !r.atEnd && isDigit(r.peek) {
                    fractionNanoseconds += Int(r.peek - 0x30) * scale
                    scale /= 10
                    digits += 1
                    r.index += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        var offsetSeconds = 0
        if !r.atEnd {
            if r.skip(UInt8(ascii: "Z")) || r.skip(UInt8(ascii: "z")) {
            } else if r.peek == UInt8(ascii: "+") || r.peek == UInt8(ascii: "-") {
                let sign = r.peek == UInt8(ascii: "-") ? -1 : 1
                r.index += 1
                guard let offsetHours = r.number(digits: 2), offsetHours <= 23 else { return nil }
                var offsetMinutes = 0
                if !r.atEnd {
                    _ = r.skip(UInt8(ascii: ":"))
                    guard let m = r.number(digits: 2), m <= 59 else { return nil }
                    offsetMinutes = m
                }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            } else {
                return nil
            }
        }
        guard r.atEnd else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds + Double(fractionNanoseconds) / 1e9
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`); year 0–9999.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
