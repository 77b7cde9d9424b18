/// One frame as a detector sees it: where it lies in stream time, the network's input (normalised
/// features) and its output (head values, activation already applied). Views into buffers the pipeline owns.
public struct DetectorFrame {
    /// 0-based index of the feature frame in its stream.
    public var index: Int
    /// Stream time of the frame's first and last sample (seconds), from the sample count.
    public var start: Double
    public var end: Double
    /// `[input]`: the feature vector the network read (after normalisation).
    public var input: UnsafeBufferPointer<Float>
    /// `[output]`: what the network produced for this frame.
    public var output: UnsafeBufferPointer<Float>

    public init(
        index: Int, start: Double, end: Double, input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>
    ) {
        self.index = index
        self.start = start
        self.end = end
        self.input = input
        self.output = output
    }
}

/// What a detector reports; the pipeline turns it into a `DETECTION` or `ANOMALY` event.
/// A plain value (no arrays), so emitting one allocates nothing.
public struct DetectorEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case detection, anomaly }
    public var kind: Kind
    /// Index into the detector's labels (detection); -1 for anomalies.
    public var label: Int
    /// Smoothed posterior at the trigger (detection) or peak z-score of the span so far (anomaly).
    public var score: Float
    /// The threshold in force.
    public var threshold: Float
    /// Stream time (seconds) of the span.
    public var start: Double
    public var end: Double
    /// Where an anomaly span is in its life: just opened, still open (periodic), or closed.
    public enum Phase: String, Sendable, Equatable { case open, ongoing, close }
    /// Anomalies: which of the span's events this is (detections: `close`, they are whole when reported).
    public var phase: Phase = .close
    /// Anomalies: the peak anomaly likelihood of the span so far.
    public var likelihood: Float = 0
}

/// Turns per-frame network outputs into events. One instance per stream (it holds that stream's state).
/// `process` is on the hot path: it must not allocate.
public protocol Detector: AnyObject {
    /// Labels named in events (classify); empty for anomaly detectors.
    var labels: [String] { get }
    func process(_ frame: DetectorFrame, emit: (DetectorEvent) -> Void)
    /// End of stream after `endSample` input samples (per channel): close what is open (an anomaly span still
    /// above threshold; Precise's chunks that end by then).
    func finish(endSample: Int, emit: (DetectorEvent) -> Void)
    /// Forget everything (a new stream, or a model swap that resets state).
    func reset()
    /// Lends the per-frame scores that `SCORES` events report: the smoothed posteriors (classify, one per label)
    /// or the anomaly score (one value).
    func withScores<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R
    /// Names of the `withScores` values when they are printed as top-level `SCORES` fields (the anomaly
    /// detector's `score`, `likelihood`, `log_likelihood`); empty: a `scores` object keyed by label.
    var scoreFields: [String] { get }
    /// Change the detection threshold while running (a `THRESHOLD` command): of `label` (nil: every label it
    /// applies to). Throws, changing nothing, when the value or label does not fit this detector.
    func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError)
    /// Whether the detector judges each frame against the range of values seen so far (`range_novelty`); such a
    /// detector is told when the feature stage starts producing other values (`restartRange`).
    var judgesValueRange: Bool { get }
    /// The feature stage found the stream's period: from this frame on its values are seasonal remainders, which
    /// span `low`…`high` (per input, normalised like the model's input) over the frames the search looked at.
    func restartRange(low: [Float], high: [Float])
}

extension Detector {
    public var scoreFields: [String] { [] }
    public var judgesValueRange: Bool { false }
    public func restartRange(low: [Float], high: [Float]) {}
    public func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError) {
        throw PipelineConfigError("this detector has no threshold to change")
    }
}
