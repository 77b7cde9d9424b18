/// The one place events become bytes (as gpsd's `json.c`): one JSON object per line, keys in a fixed order —
/// `class`, `stream`, `time`, `t`, then the kind's fields — appended to a caller-owned buffer.
///
/// - Strings: `"` and `\` escaped, control characters as `\n`, `\t`, ... or `\u00XX`; non-ASCII passes
///   through as UTF-8.
/// - Numbers: shortest text that reads back to the same `Double`/`Float` (Swift's `description`);
///   NaN and ±infinity print as `null`. `t`, `start`, `end` are `Double(sample) / Double(rate)`, so the same
///   sample count always prints the same digits.
/// - `time`: RFC 3339 UTC with milliseconds, `2026-11-26T15:33:20.123Z`.
///
/// Nothing here allocates once the buffer has grown to a line's size: numbers are printed through
/// `TextOutputStreamable` straight into the buffer, integers and dates digit by digit.
public enum EventEncoder {
    /// A good `reserveCapacity` for a line buffer: fits any ordinary event and a `SCORES` line of ~200 labels.
    public static let typicalLineCapacity = 8192

    /// Append `event` as one line, `\n` included.
    public static func encode(_ event: Event, into buffer: inout [UInt8]) {
        appendHeader(kind: event.kind, stream: event.stream, time: event.time, t: event.t, into: &buffer)
        for field in event.fields {
            appendKey(field.name, into: &buffer)
            appendValue(field.value, into: &buffer)
        }
        buffer.append(0x7D)  // }
        buffer.append(0x0A)  // \n
    }

    /// Append a `SCORES` line for one frame, exactly the bytes of `encode(.scores(...))`, without building an
    /// `Event` or any array: the per-frame path of the pipeline. `ts`: the input row's timestamp, printed last.
    public static func encodeScores(
        stream: String, t: Double, frame: Int, labels: [String], fields: [String] = [],
        scores: UnsafeBufferPointer<Float>, ts: Double? = nil, model: String? = nil,
        attention: UnsafeBufferPointer<Float>? = nil, time: WallTime = .now(), into buffer: inout [UInt8]
    ) {
        appendHeader(kind: .scores, stream: stream, time: time, t: t, into: &buffer)
        if fields.count == scores.count && !fields.isEmpty {
            for (index, name) in fields.enumerated() {
                appendKey(name, into: &buffer)
                appendFloat(scores[index], into: &buffer)
            }
        } else if labels.isEmpty && scores.count == 1 {
            appendKey("score", into: &buffer)
            appendFloat(scores[0], into: &buffer)
        } else {
            appendKey("scores", into: &buffer)
            buffer.append(0x7B)  // {
            for index in 0..<scores.count {
                if index > 0 { buffer.append(0x2C) }
                if index < labels.count {
                    appendString(labels[index], into: &buffer)
                } else {
                    buffer.append(0x22)
                    appendInteger(index, into: &buffer)
                    buffer.append(0x22)
                }
                buffer.append(0x3A)  // :
                appendFloat(scores[index], into: &buffer)
            }
            buffer.append(0x7D)
        }
        appendKey("frame", into: &buffer)
        appendInteger(frame, into: &buffer)
        if let attention {
            appendKey("attention", into: &buffer)
            appendFloats(attention, into: &buffer)
        }
        if let model {
            appendKey("model", into: &buffer)
            appendString(model, into: &buffer)
        }
        if let ts {
            appendKey("ts", into: &buffer)
            appendDouble(ts, into: &buffer)
        }
        buffer.append(0x7D)
        buffer.append(0x0A)
    }

    /// `{"class":"K","stream":"S","time":"...","t":T` — the part every line shares.
    static func appendHeader(kind: Event.Kind, stream: String, time: WallTime, t: Double, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: #"{"class":""#.utf8)
        buffer.append(contentsOf: kind.rawValue.utf8)
        buffer.append(contentsOf: #"","stream":"#.utf8)
        appendString(stream, into: &buffer)
        buffer.append(contentsOf: #","time":""#.utf8)
        appendTime(time, into: &buffer)
        buffer.append(contentsOf: #"","t":"#.utf8)
        appendDouble(t, into: &buffer)
    }

    /// `,"name":`
    static func appendKey(_ name: String, into buffer: inout [UInt8]) {
        buffer.append(0x2C)
        appendString(name, into: &buffer)
        buffer.append(0x3A)
    }

    static func appendValue(_ value: Event.Value, into buffer: inout [UInt8]) {
        switch value {
        case .string(let s): appendString(s, into: &buffer)
        case .double(let d): appendDouble(d, into: &buffer)
        case .float(let f): appendFloat(f, into: &buffer)
        case .integer(let i): appendInteger(i, into: &buffer)
        case .bool(let b): buffer.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: buffer.append(contentsOf: "null".utf8)
        case .floats(let values):
            values.withUnsafeBufferPointer { appendFloats($0, into: &buffer) }
        case .object(let fields):
            buffer.append(0x7B)
            for (index, field) in fields.enumerated() {
                if index > 0 { buffer.append(0x2C) }
                appendString(field.name, into: &buffer)
                buffer.append(0x3A)
                appendValue(field.value, into: &buffer)
            }
            buffer.append(0x7D)
        }
    }

    /// `[v, …]`, each number as `appendFloat` writes it.
    static func appendFloats(_ values: UnsafeBufferPointer<Float>, into buffer: inout [UInt8]) {
        buffer.append(0x5B)
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(0x2C) }
            appendFloat(value, into: &buffer)
        }
        buffer.append(0x5D)
    }

    /// A JSON string literal, quotes included.
    public static func appendString(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(0x22)
        for byte in string.utf8 {
            switch byte {
            case 0x22: buffer.append(0x5C); buffer.append(0x22)
            case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
            case 0x0A: buffer.append(0x5C); buffer.append(0x6E)  // \n
            case 0x0D: buffer.append(0x5C); buffer.append(0x72)  // \r
            case 0x09: buffer.append(0x5C); buffer.append(0x74)  // \t
            case 0x08: buffer.append(0x5C); buffer.append(0x62)  // \b
            case 0x0C: buffer.append(0x5C); buffer.append(0x66)  // \f
            case 0..<0x20:
                buffer.append(contentsOf: #"\u00"#.utf8)
                buffer.append(hexDigit(byte >> 4))
                buffer.append(hexDigit(byte & 0xF))
            default: buffer.append(byte)
            }
        }
        buffer.append(0x22)
    }

    @inline(__always) static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }

    /// Shortest round-trip digits (`Double.description`), or `null` when not finite.
    public static func appendDouble(_ value: Double, into buffer: inout [UInt8]) {
        guard value.isFinite else { return buffer.append(contentsOf: "null".utf8) }
        ByteAppender.append(value, to: &buffer)
    }

    /// Shortest round-trip digits (`Float.description`), or `null` when not finite.
    public static func appendFloat(_ value: Float, into buffer: inout [UInt8]) {
        guard value.isFinite else { return buffer.append(contentsOf: "null".utf8) }
        ByteAppender.append(value, to: &buffer)
    }

    /// Decimal digits of an integer.
    public static func appendInteger(_ value: Int, into buffer: inout [UInt8]) {
        if value < 0 { buffer.append(0x2D) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits, no heap
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            while count > 0 {
                count -= 1
                buffer.append(raw[count])
            }
        }
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-26T15:33:20.123Z` (proleptic Gregorian, years 0...9999).
    public static func appendTime(_ time: WallTime, into buffer: inout [UInt8]) {
        let ms = time.millisecondsSinceEpoch
        var days = ms / 86_400_000
        var msOfDay = ms % 86_400_000
        if msOfDay < 0 {
            msOfDay += 86_400_000
            days -= 1
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        appendDigits(year, width: 4, into: &buffer)
        buffer.append(0x2D)
        appendDigits(month, width: 2, into: &buffer)
        buffer.append(0x2D)
        appendDigits(day, width: 2, into: &buffer)
        buffer.append(0x54)  // T
        appendDigits(msOfDay / 3_600_000, width: 2, into: &buffer)
        buffer.append(0x3A)
        appendDigits(msOfDay / 60_000 % 60, width: 2, into: &buffer)
        buffer.append(0x3A)
        appendDigits(msOfDay / 1000 % 60, width: 2, into: &buffer)
        buffer.append(0x2E)
        appendDigits(msOfDay % 1000, width: 3, into: &buffer)
        buffer.append(0x5A)  // Z
    }

    /// Exactly `width` digits of a non-negative value (clamped to the width's range).
    static func appendDigits(_ value: Int64, width: Int, into buffer: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = min(max(value, 0), divisor * 10 - 1)
        while divisor > 0 {
            buffer.append(0x30 + UInt8(v / divisor))
            v %= divisor
            divisor /= 10
        }
    }
}

/// Lets `Double`/`Float` print themselves (`TextOutputStreamable`, the digits of `description`) into a byte
/// buffer through `_writeASCII`, so no `String` is made. The buffer is moved in and out, never copied.
struct ByteAppender: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }

    static func append(_ value: some TextOutputStreamable, to buffer: inout [UInt8]) {
        var appender = ByteAppender()
        swap(&appender.bytes, &buffer)
        value.write(to: &appender)
        swap(&appender.bytes, &buffer)
    }
}
