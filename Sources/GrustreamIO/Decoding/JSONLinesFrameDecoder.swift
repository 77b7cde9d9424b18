#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Streaming JSON Lines → frames: one object per line, `{"t": 12.5, "v": [0.1, 0.2, 0.3]}`.
///
/// `"v"` (required) holds exactly `channels` numbers; `"t"` (optional) is a timestamp: epoch seconds as a number,
/// or a string in a form `Timestamp` reads (`"2014-07-01T00:00:00Z"`, `"1404172800.5"`), kept with its frame
/// (stream time still comes from the frame count); other keys are ignored. Blank lines are ignored. Bad frames
/// (not an object, no `"v"`, wrong count, a value that is not a finite number, a value beyond ±`sampleLimit`, a
/// `"t"` that is not a timestamp or goes back from the last one, a line over `maximumLineBytes`) are counted and
/// handled by `policy` (see `BadFramePolicy`).
public final class JSONLinesFrameDecoder: TextFrameDecoder {
    public let channels: Int

    public init(
        channels: Int, policy: BadFramePolicy = .skip, maximumLineBytes: Int = 65536,
        sampleLimit: Float = .greatestFiniteMagnitude
    ) {
        self.channels = channels
        super.init(
            framer: LineFramer(
                parser: JSONLineParser(channels: channels, sampleLimit: sampleLimit), channels: channels,
                maximumLineBytes: maximumLineBytes, policy: policy))
    }
}

/// A small allocation-free JSON reader for one line: enough to find `"t"` and `"v"` and skip the rest.
struct JSONLineParser: LineFrameParser {
    let channels: Int
    var sampleLimit: Float = .greatestFiniteMagnitude
    var lastTimestamp: Double?
    var frameTimestamp: Double = .nan
    var carriesTimestamps: Bool { true }

    private struct Failure: Error { var reason: String }

    mutating func parse(_ line: UnsafeMutableBufferPointer<UInt8>, into frame: UnsafeMutablePointer<Float>) -> LineParse
    {
        guard let base = line.baseAddress else { return .ignore }
        var cursor = Cursor(p: base, end: base + line.count, limit: sampleLimit)
        cursor.skipSpace()
        if cursor.atEnd { return .ignore }
        do {
            var values = -1
            var timestamp: Double?
            try cursor.expect(
                UInt8(ascii: "{"),
                "not a JSON object, expected {\"v\": [...]}: \(TextNumber.excerpt(base, base + line.count))")
            cursor.skipSpace()
            if cursor.peek == UInt8(ascii: "}") {
                cursor.p += 1
            } else {
                while true {
                    cursor.skipSpace()
                    let key = try cursor.string()
                    cursor.skipSpace()
                    try cursor.expect(UInt8(ascii: ":"), "expected ':' after a key")
                    cursor.skipSpace()
                    if Cursor.equals(key, "v") {
                        values = try cursor.numbers(into: frame, capacity: channels)
                    } else if Cursor.equals(key, "t") {
                        timestamp = try cursor.timestamp()
                    } else {
                        try cursor.skipValue(depth: 0)
                    }
                    cursor.skipSpace()
                    if cursor.peek == UInt8(ascii: ",") {
                        cursor.p += 1
                        continue
                    }
                    try cursor.expect(UInt8(ascii: "}"), "expected ',' or '}' in the object")
                    break
                }
            }
            cursor.skipSpace()
            guard cursor.atEnd else { throw Failure(reason: "text after the JSON object") }
            guard values >= 0 else {
                throw Failure(
                    reason:
                        "no \"v\" array of values, expected {\"v\": [\(channels) number\(channels == 1 ? "" : "s")]}: \(TextNumber.excerpt(base, base + line.count))"
                )
            }
            guard values == channels else {
                throw Failure(reason: "expected \(channels) values in \"v\", found \(values)")
            }
            if let timestamp, let lastTimestamp, timestamp < lastTimestamp {
                throw Failure(
                    reason:
                        "\"t\" is \(timestamp) s, going back from the previous good line's \(lastTimestamp) s; timestamps must not decrease"
                )
            }
            if let timestamp { lastTimestamp = timestamp }
            frameTimestamp = timestamp ?? .nan
            return .frame
        } catch let failure as Failure {
            return .bad(failure.reason)
        } catch {
            return .bad("\(error)")
        }
    }

    private struct Cursor {
        var p: UnsafeMutablePointer<UInt8>
        let end: UnsafeMutablePointer<UInt8>
        /// Largest magnitude of a value in `"v"`.
        let limit: Float

        var atEnd: Bool { p >= end }
        var peek: UInt8 { p < end ? p.pointee : 0 }

        mutating func skipSpace() {
            while p < end && (p.pointee == 0x20 || p.pointee == 0x09 || p.pointee == 0x0D || p.pointee == 0x0A) {
                p += 1
            }
        }

        mutating func expect(_ byte: UInt8, _ reason: @autoclosure () -> String) throws {
            guard peek == byte else { throw Failure(reason: reason()) }
            p += 1
        }

        /// A string's raw bytes (escapes left as they are), the cursor after its closing quote.
        mutating func string() throws -> UnsafeBufferPointer<UInt8> {
            try expect(UInt8(ascii: "\""), "expected a quoted key")
            let start = p
            while p < end && p.pointee != UInt8(ascii: "\"") {
                if p.pointee == UInt8(ascii: "\\") { p += 1 }
                p += 1
            }
            guard p < end else { throw Failure(reason: "unterminated string") }
            defer { p += 1 }
            return UnsafeBufferPointer(start: start, count: p - start)
        }

        static func equals(_ key: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
            key.count == text.utf8CodeUnitCount && memcmp(key.baseAddress!, text.utf8Start, key.count) == 0
        }

        /// A number; `index` names it in messages (`v[index]`, or `"t"` for −1).
        mutating func number(index: Int) throws -> Double {
            func name() -> String { index < 0 ? "\"t\"" : "v[\(index)]" }
            let start = p
            guard peek == UInt8(ascii: "-") || (peek >= UInt8(ascii: "0") && peek <= UInt8(ascii: "9")) else {
                let word =
                    p < end && (peek == UInt8(ascii: "n") || peek == UInt8(ascii: "N")) ? "null or NaN" : "not a number"
                throw Failure(reason: "\(name()) is \(word)")
            }
            while p < end, case let c = p.pointee,
                c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            {
                p += 1
            }
            let saved = p.pointee
            p.pointee = 0
            defer { p.pointee = saved }
            switch TextNumber.parse(start, p, limit: index < 0 ? .greatestFiniteMagnitude : limit) {
            case .value(let value): return value
            case .notANumber: throw Failure(reason: "\(name()) is not a number: \(TextNumber.excerpt(start, p))")
            case .notFinite: throw Failure(reason: "\(name()) is not finite: \(TextNumber.excerpt(start, p))")
            case .outOfRange:
                throw Failure(
                    reason: "\(name()) is \(TextNumber.excerpt(start, p)), beyond the sample limit ±\(limit)")
            }
        }

        /// `"t"`: a number (epoch seconds) or a string `Timestamp` reads.
        mutating func timestamp() throws -> Double {
            guard peek == UInt8(ascii: "\"") else { return try number(index: -1) }
            let text = try string()
            guard let value = Timestamp.parse(text) else {
                let excerpt = TextNumber.excerpt(
                    UnsafeMutablePointer(mutating: text.baseAddress ?? UnsafePointer(p)),
                    UnsafeMutablePointer(mutating: (text.baseAddress ?? UnsafePointer(p)) + text.count))
                throw Failure(
                    reason:
                        "\"t\" is not a timestamp: \(excerpt), expected epoch seconds or ISO 8601 / RFC 3339 (\"2014-07-01T00:00:00Z\")"
                )
            }
            return value
        }

        /// `[n, n, ...]` into `frame`; returns how many (more than `capacity` is an error).
        mutating func numbers(into frame: UnsafeMutablePointer<Float>, capacity: Int) throws -> Int {
            try expect(UInt8(ascii: "["), "\"v\" is not an array")
            skipSpace()
            if peek == UInt8(ascii: "]") {
                p += 1
                return 0
            }
            var count = 0
            while true {
                skipSpace()
                let value = try number(index: count)
                guard count < capacity else {
                    throw Failure(reason: "expected \(capacity) values in \"v\", found more")
                }
                frame[count] = Float(value)
                count += 1
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    p += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "expected ',' or ']' in \"v\"")
                return count
            }
        }

        /// Skip any JSON value (strings, numbers, literals, nested arrays/objects).
        mutating func skipValue(depth: Int) throws {
            guard depth < 64 else { throw Failure(reason: "nested too deeply") }
            switch peek {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = peek == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                let isObject = close == UInt8(ascii: "}")
                p += 1
                skipSpace()
                if peek == close {
                    p += 1
                    return
                }
                while true {
                    skipSpace()
                    if isObject {
                        _ = try string()
                        skipSpace()
                        try expect(UInt8(ascii: ":"), "expected ':' after a key")
                        skipSpace()
                    }
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    if peek == UInt8(ascii: ",") {
                        p += 1
                        continue
                    }
                    try expect(close, "unterminated \(isObject ? "object" : "array")")
                    return
                }
            default:
                let start = p
                while p < end, case let c = p.pointee, c != UInt8(ascii: ","), c != UInt8(ascii: "}"),
                    c != UInt8(ascii: "]"), c != 0x20
                {
                    p += 1
                }
                guard p > start else { throw Failure(reason: "expected a value") }
            }
        }
    }
}
