#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The outcome of parsing one text line.
enum LineParse {
    /// `frame` holds one frame of values.
    case frame
    /// Nothing to do (blank line, comment, header).
    case ignore
    /// Not a usable frame; the reason is logged with the line number.
    case bad(String)
}

/// Turns one complete line (NUL-terminated in place, without its newline) into one frame.
protocol LineFrameParser {
    mutating func parse(_ line: UnsafeMutableBufferPointer<UInt8>, into frame: UnsafeMutablePointer<Float>) -> LineParse
    /// After `.frame`: the frame's timestamp (seconds since the epoch), NaN when the line had none.
    var frameTimestamp: Double { get }
    /// Whether frames can carry timestamps (the framer keeps them beside the frames only then).
    var carriesTimestamps: Bool { get }
    /// The timestamp of the last good frame (nil: none yet, or the format has none).
    var lastTimestamp: Double? { get }
}

/// What the text decoders share, whatever their line parser: a `LineFramer` behind the public decoding calls.
public class TextFrameDecoder {
    private let framer: any LineFraming

    init(framer: any LineFraming) { self.framer = framer }

    /// The bad frames so far: count, and the last ones with their line numbers and reasons.
    public var badFrames: BadFrameLog { framer.log }
    /// Frames emitted so far (held repeats included).
    public var framesDecoded: Int { framer.framesEmitted }
    /// The timestamp of the last good frame.
    public var lastTimestamp: Double? { framer.lastTimestamp }
    /// Inside `emit`: the timestamps of the frames handed over (seconds since the epoch, NaN where a frame has
    /// none); nil when the format carries none, and outside `emit`.
    public var emittedTimestamps: UnsafeBufferPointer<Double>? { framer.emittedTimestamps }

    /// Decode a chunk; `emit` receives whole interleaved frames (possibly in several calls).
    public func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        framer.feed(bytes, emit: emit)
    }

    /// End of input; see `LineFramer.finish` for the last line without a newline.
    public func finish(partialLineIsBad: Bool = false, emit: (UnsafeBufferPointer<Float>) -> Void) {
        framer.finish(partialLineIsBad: partialLineIsBad, emit: emit)
    }
}

/// A `LineFramer` of any parser, as `TextFrameDecoder` uses it.
protocol LineFraming: AnyObject {
    var log: BadFrameLog { get }
    var framesEmitted: Int { get }
    var lastTimestamp: Double? { get }
    var emittedTimestamps: UnsafeBufferPointer<Double>? { get }
    func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void)
    func finish(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void)
}

extension LineFramer: LineFraming {
    var lastTimestamp: Double? { parser.lastTimestamp }
}

/// The streaming half shared by the text decoders: splits bytes into lines for any chunking, bounds the
/// line length, applies the bad-frame policy, counts bad frames, and hands out frames in batches from a
/// preallocated buffer (nothing is allocated per line except the message of a bad one).
final class LineFramer<Parser: LineFrameParser> {
    var parser: Parser
    let channels: Int
    let maximumLineBytes: Int
    let policy: BadFramePolicy
    private(set) var log = BadFrameLog()
    /// Frames emitted so far (held repeats included).
    private(set) var framesEmitted = 0
    private let line: UnsafeMutablePointer<UInt8>
    private var lineLength = 0
    private var discarding = false
    private var lineNumber = 1
    private let batchFrames = 256
    private let output: UnsafeMutablePointer<Float>
    private var outputFrames = 0
    private let lastGood: UnsafeMutablePointer<Float>
    private var haveLastGood = false
    /// `[batchFrames]` the timestamps of the frames in `output` (when the parser carries timestamps).
    private let timestamps: UnsafeMutablePointer<Double>?
    private var lastGoodTimestamp = Double.nan
    /// The timestamps of the frames being emitted, set during `emit` only.
    private(set) var emittedTimestamps: UnsafeBufferPointer<Double>?

    init(parser: Parser, channels: Int, maximumLineBytes: Int, policy: BadFramePolicy) {
        self.parser = parser
        self.channels = max(1, channels)
        self.maximumLineBytes = max(16, maximumLineBytes)
        self.policy = policy
        line = .allocate(capacity: self.maximumLineBytes + 1)
        output = .allocate(capacity: batchFrames * self.channels)
        lastGood = .allocate(capacity: self.channels)
        timestamps = parser.carriesTimestamps ? .allocate(capacity: batchFrames) : nil
    }

    deinit {
        line.deallocate()
        output.deallocate()
        lastGood.deallocate()
        timestamps?.deallocate()
    }

    /// Lines completed so far.
    var linesSeen: Int { lineNumber - 1 }

    func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var offset = 0
        let count = bytes.count
        while offset < count {
            let rest = count - offset
            let found = memchr(base + offset, 0x0A, rest)
            var segmentLength = rest
            if let found { segmentLength = UnsafeRawPointer(found) - UnsafeRawPointer(base + offset) }
            let newline = found != nil
            if !discarding {
                if lineLength + segmentLength > maximumLineBytes {
                    discarding = true
                    lineLength = 0
                } else {
                    (line + lineLength).update(from: base + offset, count: segmentLength)
                    lineLength += segmentLength
                }
            }
            guard newline else { break }
            offset += segmentLength + 1
            endLine(emit: emit)
        }
        flush(emit: emit)
    }

    /// End of input. A last line without a newline is parsed when `partialLineIsBad` is false (files), or
    /// counted as a bad frame when true (a producer that vanished mid-line: the line may be cut short).
    func finish(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void) {
        if discarding || lineLength > 0 {
            if partialLineIsBad && !discarding {
                bad("input ends inside a line (\(lineLength) bytes without a newline)")
                lineLength = 0
                lineNumber += 1
            } else {
                endLine(emit: emit)
            }
        }
        flush(emit: emit)
    }

    private func endLine(emit: (UnsafeBufferPointer<Float>) -> Void) {
        defer {
            lineLength = 0
            discarding = false
            lineNumber += 1
        }
        if discarding {
            bad("line longer than \(maximumLineBytes) bytes")
        } else {
            line[lineLength] = 0
            let slot = output + outputFrames * channels
            switch parser.parse(UnsafeMutableBufferPointer(start: line, count: lineLength), into: slot) {
            case .frame:
                lastGood.update(from: slot, count: channels)
                haveLastGood = true
                if let timestamps {
                    lastGoodTimestamp = parser.frameTimestamp
                    timestamps[outputFrames] = lastGoodTimestamp
                }
                outputFrames += 1
            case .ignore: break
            case .bad(let reason): bad(reason)
            }
        }
        if outputFrames == batchFrames { flush(emit: emit) }
    }

    private func bad(_ reason: String) {
        log.record(line: lineNumber, reason: reason)
        if policy == .hold && haveLastGood {
            (output + outputFrames * channels).update(from: lastGood, count: channels)
            timestamps?[outputFrames] = lastGoodTimestamp
            outputFrames += 1
        }
    }

    private func flush(emit: (UnsafeBufferPointer<Float>) -> Void) {
        guard outputFrames > 0 else { return }
        if let timestamps { emittedTimestamps = UnsafeBufferPointer(start: timestamps, count: outputFrames) }
        emit(UnsafeBufferPointer(start: output, count: outputFrames * channels))
        emittedTimestamps = nil
        framesEmitted += outputFrames
        outputFrames = 0
    }
}

/// Number parsing shared by the text parsers (`strtod`, C locale: `.` is the decimal point).
enum TextNumber {
    enum Result {
        case value(Double)
        case notANumber
        case notFinite
        /// Finite, but its magnitude is beyond the sample limit.
        case outOfRange
    }

    /// Parse `[start, end)` as a whole number; `end` must point inside a NUL-terminated buffer. `limit`: the
    /// largest magnitude accepted (timestamps: any finite value).
    static func parse(
        _ start: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>,
        limit: Float = .greatestFiniteMagnitude
    ) -> Result {
        guard start < end else { return .notANumber }
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = start.withMemoryRebound(to: CChar.self, capacity: end - start) { strtod($0, &stop) }
        let endAddress = Int(bitPattern: end)
        guard let stop, Int(bitPattern: stop) == endAddress else { return .notANumber }
        guard Float(value).isFinite else { return .notFinite }  // finite as a Float, too
        return abs(value) <= Double(limit) ? .value(value) : .outOfRange
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    /// A short printable excerpt of a field or line for messages (control characters as `?`).
    static func excerpt(_ start: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> String {
        let count = min(end - start, 40)
        let bytes = UnsafeBufferPointer<UInt8>(start: UnsafePointer(start), count: count)
        let text = String(decoding: bytes.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return "\"" + text + (end - start > 40 ? "…" : "") + "\""
    }
}
