/// A detector's state as plain numbers, for keeping it across a restart or a reload. Frame indices are stored
/// relative to the next frame and times relative to that frame's start, so a snapshot taken at frame 90 000 of
/// one run continues at frame 0 of the next.
public struct DetectorSnapshot: Sendable, Equatable {
    /// `classify`, `anomaly` or `precise`.
    public var kind: String
    /// Named arrays (a scalar is an array of one). Doubles hold every Float exactly.
    public var values: [String: [Double]]

    public init(kind: String, values: [String: [Double]] = [:]) {
        self.kind = kind
        self.values = values
    }

    /// Largest magnitude a restored value may have: 2^53, where Doubles stop holding every integer. Values
    /// converted to frame counts (`Int(x)`, `nextFrame + Int(x)`) then never overflow.
    static let maximumMagnitude = 9_007_199_254_740_992.0

    /// The array `key`, checked to have `count` values, each finite and within ±`maximumMagnitude`.
    func array(_ key: String, count: Int? = nil) throws -> [Double] {
        guard let array = values[key] else { throw StateFileError("detector state of kind \(kind) has no \"\(key)\"") }
        if let count, array.count != count {
            throw StateFileError("detector state \"\(key)\" has \(array.count) values, expected \(count)")
        }
        guard array.allSatisfy(\.isFinite) else {
            throw StateFileError("detector state \"\(key)\" holds a non-finite value")
        }
        if let bad = array.first(where: { abs($0) > Self.maximumMagnitude }) {
            throw StateFileError(
                "detector state \"\(key)\" holds \(bad), beyond ±\(Self.maximumMagnitude) (frame counts and times of "
                    + "any real stream are far below it)")
        }
        return array
    }

    func scalar(_ key: String) throws -> Double { try array(key, count: 1)[0] }
}

/// A detector whose state can be taken and put back between frames (not on the hot path).
public protocol SnapshottableDetector: Detector {
    /// The state before frame `nextFrame`, which starts at stream time `nextTime` (seconds).
    func snapshot(nextFrame: Int, nextTime: Double) -> DetectorSnapshot
    /// Continue from `snapshot` as if the next frame were `nextFrame` at `nextTime`. Throws (changing nothing)
    /// when the snapshot does not fit this detector (another kind, other labels, another smoothing window).
    func restore(_ snapshot: DetectorSnapshot, nextFrame: Int, nextTime: Double) throws
}
