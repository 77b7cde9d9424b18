/// What a sensor decoder (CSV, JSON Lines, binary frames) does with a frame it cannot use: wrong number
/// of columns/values, a value that is not a number, NaN or ±Inf, a line longer than the bound, a frame
/// cut by the end of the input. Every bad frame is counted with its reason; decoding goes on with the
/// next line/frame, so one bad frame never poisons the state of the stream.
public enum BadFramePolicy: String, Sendable, Equatable, CaseIterable {
    /// Drop the bad frame (default): stream time advances by the good frames only.
    case skip
    /// Repeat the last good frame in its place, keeping the frame rate (nothing before the first good frame).
    case hold
}

/// Counter and last reason of bad frames, kept by every sensor decoder.
public struct BadFrameLog: Sendable, Equatable {
    /// Bad frames so far.
    public private(set) var count = 0
    /// Why the last bad frame was rejected, e.g. `line 12: expected 3 columns, found 2`.
    public private(set) var last: String?
    /// Line number (1-based) of the last bad frame for text formats, frame index for binary ones.
    public private(set) var lastLine: Int?
    /// The first bad frame's line (or frame index) and reason, kept for the error of an input that never
    /// gives a good frame (`FileSource`).
    public private(set) var firstLine: Int?
    public private(set) var firstReason: String?
    /// `line` (text formats) or `frame` (binary ones).
    public private(set) var unit = "line"

    public init() {}

    mutating func record(line: Int, reason: String, unit: String = "line") {
        count += 1
        lastLine = line
        last = "\(unit) \(line): \(reason)"
        if firstReason == nil {
            self.unit = unit
            firstLine = line
            firstReason = reason
        }
    }
}
