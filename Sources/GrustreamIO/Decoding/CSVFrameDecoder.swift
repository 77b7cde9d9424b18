/// Options of CSV sensor input: one frame per line, values separated by commas.
public struct CSVOptions: Sendable, Equatable {
    /// Whether the first line (blank lines and `#` comments not counted) holds column names.
    public enum Header: String, Sendable, Equatable, CaseIterable {
        /// Never: the first line is data.
        case absent = "false"
        /// Always: the first line is skipped, whatever it holds.
        case present = "true"
        /// The first line is skipped when it has a letter in it and none of its fields is a value (a number, or a
        /// timestamp in the timestamp column); any other first line is data (and a bad frame if it is damaged).
        case auto
    }

    /// Values per frame (channels), not counting the timestamp column.
    public var channels: Int
    /// The first column is a timestamp (see `Timestamp`: epoch seconds or ISO 8601 / RFC 3339), kept with its
    /// frame; timestamps must not decrease (a row going back is a bad frame). Stream time still comes from the
    /// frame count.
    public var timestampColumn: Bool = false
    /// A header line of column names.
    public var header: Header = .auto

    public init(channels: Int, timestampColumn: Bool = false, header: Header = .auto) {
        self.channels = channels
        self.timestampColumn = timestampColumn
        self.header = header
    }
}

/// Streaming CSV → frames, for lines split across chunks of any size.
///
/// Accepted: `v1,v2,...` (or `t,v1,v2,...` with `timestampColumn`), spaces around values, `\r\n` line
/// ends. Blank lines and lines starting with `#` are ignored, and a header line as `options.header` says. Bad
/// frames (wrong column count, a value that is not a number, NaN/Inf, a timestamp that is not one or goes back,
/// a line over `maximumLineBytes`) are counted in `badFrames` and handled by `policy` (see `BadFramePolicy`).
public final class CSVFrameDecoder: TextFrameDecoder {
    public let options: CSVOptions

    /// `maximumLineBytes`: longer lines are bad frames (default 64 KiB). `sampleLimit`: values of a larger
    /// magnitude are bad frames (the timestamp column is checked by `Timestamp.parse`).
    public init(
        options: CSVOptions, policy: BadFramePolicy = .skip, maximumLineBytes: Int = 65536,
        sampleLimit: Float = .greatestFiniteMagnitude
    ) {
        self.options = options
        super.init(
            framer: LineFramer(
                parser: CSVLineParser(options: options, sampleLimit: sampleLimit), channels: options.channels,
                maximumLineBytes: maximumLineBytes, policy: policy))
    }
}

struct CSVLineParser: LineFrameParser {
    let options: CSVOptions
    let sampleLimit: Float
    var headerPending: Bool
    /// The timestamp of the last good frame.
    var lastTimestamp: Double?
    /// The timestamp of the frame just parsed (NaN without a timestamp column).
    var frameTimestamp: Double = .nan
    var carriesTimestamps: Bool { options.timestampColumn }

    init(options: CSVOptions, sampleLimit: Float = .greatestFiniteMagnitude) {
        self.options = options
        self.sampleLimit = sampleLimit
        headerPending = options.header != .absent
    }

    mutating func parse(_ line: UnsafeMutableBufferPointer<UInt8>, into frame: UnsafeMutablePointer<Float>) -> LineParse
    {
        guard let base = line.baseAddress else { return .ignore }
        var start = base
        var end = base + line.count
        while start < end && TextNumber.isSpace(start.pointee) { start += 1 }
        while end > start && TextNumber.isSpace((end - 1).pointee) { end -= 1 }
        if start == end || start.pointee == UInt8(ascii: "#") { return .ignore }
        if headerPending {
            headerPending = false
            if options.header == .present || looksLikeHeader(start, end) { return .ignore }
        }
        let expected = options.channels + (options.timestampColumn ? 1 : 0)
        var columns = 1
        var p = start
        while p < end {
            if p.pointee == UInt8(ascii: ",") { columns += 1 }
            p += 1
        }
        guard columns == expected else {
            let what = options.timestampColumn ? "a timestamp and \(options.channels) numeric" : "\(expected) numeric"
            return .bad(
                "expected \(what) column\(expected == 1 ? "" : "s") separated by \",\", found \(columns): \(TextNumber.excerpt(start, end))"
            )
        }
        var timestamp = Double.nan
        var column = 0
        var fieldStart = start
        while column < expected {
            let (a, b, next) = field(from: fieldStart, end)
            if options.timestampColumn && column == 0 {
                guard let value = Timestamp.parse(UnsafeBufferPointer(start: a, count: b - a)) else {
                    return .bad(
                        "column 1 is not a timestamp: \(TextNumber.excerpt(a, b)), expected ISO 8601 / RFC 3339 (2014-07-01 00:00:00, 2014-07-01T00:00:00.5+02:00) or epoch seconds"
                    )
                }
                if let lastTimestamp, value < lastTimestamp {
                    return .bad(
                        "timestamp \(TextNumber.excerpt(a, b)) (\(value) s) goes back from the previous good row's \(lastTimestamp) s; timestamps must not decrease"
                    )
                }
                timestamp = value
            } else {
                let saved = b.pointee
                b.pointee = 0  // strtod must stop at the field's end
                let result = TextNumber.parse(a, b, limit: sampleLimit)
                b.pointee = saved
                switch result {
                case .value(let value):
                    frame[column - (options.timestampColumn ? 1 : 0)] = Float(value)
                case .notANumber:
                    return .bad(
                        "column \(column + 1) is not a number: \(TextNumber.excerpt(a, b)) in \(TextNumber.excerpt(start, end))"
                    )
                case .notFinite:
                    return .bad("column \(column + 1) is not finite: \(TextNumber.excerpt(a, b))")
                case .outOfRange:
                    return .bad(
                        "column \(column + 1) is \(TextNumber.excerpt(a, b)), beyond the sample limit ±\(sampleLimit)")
                }
            }
            column += 1
            fieldStart = next
        }
        if options.timestampColumn { lastTimestamp = timestamp }
        frameTimestamp = timestamp
        return .frame
    }

    /// The field starting at `fieldStart`, spaces trimmed, and where the next one starts.
    private func field(from fieldStart: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> (
        UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>
    ) {
        var fieldEnd = fieldStart
        while fieldEnd < end && fieldEnd.pointee != UInt8(ascii: ",") { fieldEnd += 1 }
        var a = fieldStart
        var b = fieldEnd
        while a < b && TextNumber.isSpace(a.pointee) { a += 1 }
        while b > a && TextNumber.isSpace((b - 1).pointee) { b -= 1 }
        return (a, b, fieldEnd + 1)
    }

    /// `header = auto`: a line with a letter in it and no field that is a value in its column (a number, a
    /// timestamp) holds column names. `1;2;3` (another separator) is data, and a bad frame.
    private func looksLikeHeader(_ start: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> Bool {
        var p = start
        var hasLetter = false
        while p < end && !hasLetter {
            let lower = p.pointee | 0x20
            hasLetter = lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
            p += 1
        }
        return hasLetter && !containsValue(start, end)
    }

    /// Whether any field of the line is a value in its column.
    private func containsValue(_ start: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> Bool {
        var column = 0
        var fieldStart = start
        while fieldStart <= end {
            let (a, b, next) = field(from: fieldStart, end)
            if options.timestampColumn && column == 0 {
                if Timestamp.parse(UnsafeBufferPointer(start: a, count: b - a)) != nil { return true }
            } else {
                let saved = b.pointee
                b.pointee = 0
                let result = TextNumber.parse(a, b)
                b.pointee = saved
                if case .notANumber = result {} else { return true }
            }
            column += 1
            fieldStart = next
        }
        return false
    }
}
