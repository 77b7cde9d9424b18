/// Options of CSV sensor input: one frame per line, values separated by commas.
public struct CSVOptions: Sendable, Equatable {
    /// Values per frame (channels), not counting the timestamp column.
    public var channels: Int
    /// The first column is a timestamp (seconds, any number); it is checked and skipped, stream time
    /// comes from the frame count.
    public var timestampColumn: Bool = false
    /// The first non-blank line is a header (column names) and is skipped.
    public var header: Bool = false

    public init(channels: Int, timestampColumn: Bool = false, header: Bool = false) {
        self.channels = channels
        self.timestampColumn = timestampColumn
        self.header = header
    }
}

/// Streaming CSV → frames, for lines split across chunks of any size.
///
/// Accepted: `v1,v2,...` (or `t,v1,v2,...` with `timestampColumn`), spaces around values, `\r\n` line
/// ends. Blank lines and lines starting with `#` are ignored. Bad frames (wrong column count, a value that
/// is not a number, NaN/Inf, a line over `maximumLineBytes`) are counted in `badFrames` and handled by
/// `policy` (see `BadFramePolicy`).
public final class CSVFrameDecoder {
    public let options: CSVOptions
    private let framer: LineFramer<CSVLineParser>

    /// `maximumLineBytes`: longer lines are bad frames (default 64 KiB). `sampleLimit`: values of a larger
    /// magnitude are bad frames (the timestamp column is only checked to be finite).
    public init(
        options: CSVOptions, policy: BadFramePolicy = .skip, maximumLineBytes: Int = 65536,
        sampleLimit: Float = .greatestFiniteMagnitude
    ) {
        self.options = options
        framer = LineFramer(
            parser: CSVLineParser(options: options, sampleLimit: sampleLimit), channels: options.channels,
            maximumLineBytes: maximumLineBytes, policy: policy)
    }

    public var badFrames: BadFrameLog { framer.log }
    /// Frames emitted so far.
    public var framesDecoded: Int { framer.framesEmitted }
    /// The timestamp of the last good frame (with `timestampColumn`).
    public var lastTimestamp: Double? { framer.parser.lastTimestamp }

    /// Decode a chunk; `emit` receives whole interleaved frames (possibly in several calls).
    public func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        framer.feed(bytes, emit: emit)
    }

    /// End of input; see `LineFramer.finish` for the last line without a newline.
    public func finish(partialLineIsBad: Bool = false, emit: (UnsafeBufferPointer<Float>) -> Void) {
        framer.finish(partialLineIsBad: partialLineIsBad, emit: emit)
    }
}

struct CSVLineParser: LineFrameParser {
    let options: CSVOptions
    let sampleLimit: Float
    var headerPending: Bool
    var lastTimestamp: Double?

    init(options: CSVOptions, sampleLimit: Float = .greatestFiniteMagnitude) {
        self.options = options
        self.sampleLimit = sampleLimit
        headerPending = options.header
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
            return .ignore
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
        var column = 0
        var fieldStart = start
        while column < expected {
            var fieldEnd = fieldStart
            while fieldEnd < end && fieldEnd.pointee != UInt8(ascii: ",") { fieldEnd += 1 }
            let next = fieldEnd + 1
            var a = fieldStart
            var b = fieldEnd
            while a < b && TextNumber.isSpace(a.pointee) { a += 1 }
            while b > a && TextNumber.isSpace((b - 1).pointee) { b -= 1 }
            let saved = b.pointee
            b.pointee = 0  // strtod must stop at the field's end
            let isTimestamp = options.timestampColumn && column == 0
            let result = TextNumber.parse(a, b, limit: isTimestamp ? .greatestFiniteMagnitude : sampleLimit)
            b.pointee = saved
            switch result {
            case .value(let value):
                if options.timestampColumn && column == 0 {
                    lastTimestamp = value
                } else {
                    frame[column - (options.timestampColumn ? 1 : 0)] = Float(value)
                }
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
            column += 1
            fieldStart = next
        }
        return .frame
    }
}
