/// Options of the `anomaly` detector (`[detector]` with `kind = "anomaly"`).
public struct AnomalyOptions: Sendable, Equatable {
    /// What the network's output is compared with.
    public enum Target: String, Sendable, CaseIterable {
        /// Output at frame t predicts the input at frame t+1 (a next-frame predictor).
        case next
        /// Output at frame t reconstructs the input at frame t (an autoencoder).
        case current
    }
    /// Which per-frame score `threshold` applies to.
    public enum Scale: String, Sendable, CaseIterable {
        /// The log error standardised by its statistics on normal data, smoothed over `smooth_ms`
        /// (standard deviations; `threshold` > 0, typically 3–6).
        case zscore
        /// The anomaly likelihood in [0, 1]: how improbable the recent errors are against their long history
        /// (`threshold` in (0, 1), typically 0.999–0.99999).
        case likelihood
        /// The likelihood on a log scale, `ln(1 − likelihood + 1e-10) / ln(1e-10)` in [0, 1] (HTM's
        /// log-likelihood: 0.5 is a tail probability of 1e-5; `threshold` in (0, 1), typically 0.4–0.6).
        case logLikelihood = "log_likelihood"
    }
    public var target: Target = .next
    /// The score the threshold and the spans are set on.
    public var scale: Scale = .zscore
    /// Score above which a span opens, in the terms of `scale`.
    public var threshold: Float = 4
    /// A span closes when the score falls below `threshold * hysteresis` (0…1).
    public var hysteresis: Float = 0.75
    /// Time constant of the exponential smoothing of the z-score (milliseconds); 0 = none.
    public var smoothMilliseconds: Double = 200
    /// Mean and standard deviation of the per-frame log error on normal data. Both 0 (unset): learned online
    /// over `warmup_ms` of the stream (no events during warm-up). The model's calibration fills them when it has one.
    public var errorMean: Float = 0
    public var errorStd: Float = 0
    /// Warm-up (milliseconds of stream time) used to learn the error statistics when the model has none.
    public var warmupMilliseconds: Double = 10_000
    /// Spans shorter than this are not reported (milliseconds): the `open` event waits until a span is this long.
    public var minimumSpanMilliseconds: Double = 0
    /// Interval between `ongoing` events while a span stays open (milliseconds); 0 = none.
    public var alertIntervalMilliseconds: Double = 0
    /// Window of the recent errors whose mean the likelihood judges (milliseconds).
    public var likelihoodShortMilliseconds: Double = 1_000
    /// Window of the history the recent mean is compared with (milliseconds).
    public var likelihoodLongMilliseconds: Double = 600_000
    /// Errors the likelihood learns from before it leaves 0.5 (milliseconds); at most the long window.
    public var likelihoodLearnMilliseconds: Double = 10_000
    /// > 0: the likelihood judges ln(short mean + this offset) instead of the short mean of the squared errors (a
    /// Gaussian fits the log of heavy-tailed errors better: a recurring spike is not a 40-sigma event against a
    /// history of small errors; the offset, in squared units of the model's inputs, keeps near-zero errors from
    /// spreading into a long lower tail). 0: the mean itself.
    public var likelihoodLogOffset: Double = 0
    /// Whether the likelihood's history also learns from frames inside an open span (on the likelihood scales).
    /// false: a span's errors are judged but not learned, so a long fault is not absorbed as normal.
    public var likelihoodLearnInSpans = false
    /// A frame whose input leaves the range of every input so far (per value, widened by `range_tolerance` ×
    /// the range's width) gets likelihood 1: a level never seen is an anomaly whatever the predictor says.
    public var rangeNovelty = false
    public var rangeTolerance: Float = 0.02
    /// Window of the `peak` score (milliseconds; 0: `peak` is the score itself): a frame whose score is above
    /// every score of the window before it keeps its score, the others get 0, so a sustained rise counts once.
    public var peakWindowMilliseconds: Double = 0

    public init() {}

    /// Frames of the likelihood's windows and of the other durations, at most `maximumWindowFrames` each.
    public static let maximumWindowFrames = 1 << 20
}
