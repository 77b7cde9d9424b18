import Foundation

/// Options of the `anomaly` detector (`[detector]` with `kind = "anomaly"`).
public struct AnomalyOptions: Sendable, Equatable {
    /// What the network's output is compared with.
    public enum Target: String, Sendable, CaseIterable {
        /// Output at frame t predicts the input at frame t+1 (a next-frame predictor).
        case next
        /// Output at frame t reconstructs the input at frame t (an autoencoder).
        case current
    }
    public var target: Target = .next
    /// Score (in standard deviations of the normal error, after smoothing) above which a span opens.
    public var threshold: Float = 4
    /// A span closes when the score falls below `threshold * hysteresis` (0…1).
    public var hysteresis: Float = 0.75
    /// Time constant of the exponential smoothing of the score (milliseconds); 0 = none.
    public var smoothMilliseconds: Double = 200
    /// Mean and standard deviation of the per-frame log error on normal data. Both 0 (unset): learned online
    /// over `warmup_ms` of the stream (no events during warm-up). The model's calibration fills them when it has one.
    public var errorMean: Float = 0
    public var errorStd: Float = 0
    /// Warm-up (milliseconds of stream time) used to learn the error statistics when the model has none.
    public var warmupMilliseconds: Double = 10_000
    /// Spans shorter than this are not reported (milliseconds).
    public var minimumSpanMilliseconds: Double = 0

    public init() {}
}

/// Anomaly scores and spans on a sensor stream. The per-frame error is the natural log of the mean squared
/// difference between the network's prediction and the features it predicts (`ln(mse + 1e-12)`: in the log
/// domain a fault's error is a step of a few units rather than orders of magnitude, so the smoothed score falls
/// back promptly when the fault ends); the score is that log error standardised by its statistics on normal
/// data (`(e − mean) / std`), smoothed by an exponential moving average. A span opens when the
/// score exceeds `threshold` and closes when it falls below `threshold × hysteresis`; the `ANOMALY` event
/// is emitted when the span closes (or at end of stream), with the peak score, start and end.
public final class AnomalyDetector: Detector {
    public let labels: [String] = []
    public let options: AnomalyOptions
    /// EWMA weight of the newest score.
    public let alpha: Float
    public let warmupFrames: Int
    public let minimumSpanFrames: Int
    /// `[input]` the previous frame's prediction (target `next`).
    private var previousPrediction: [Float]
    private var havePrediction = false
    private var mean: Double
    private var std: Double
    /// Welford accumulators for the warm-up.
    private var warmCount = 0
    private var warmMean = 0.0
    private var warmM2 = 0.0
    private var learned: Bool
    private var score: [Float] = [0]
    private var smoothedValid = false
    private var spanOpen = false
    private var spanStart = 0.0
    private var spanStartFrame = 0
    private var spanEnd = 0.0
    private var spanPeak: Float = 0

    public init(inputSize: Int, outputSize: Int, options: AnomalyOptions, hopSeconds: Double) throws {
        guard outputSize == inputSize else {
            throw PipelineConfigError(
                "detector: the anomaly detector compares the network output (\(outputSize) values) with its input features (\(inputSize) values); they must match"
            )
        }
        guard options.hysteresis > 0 && options.hysteresis <= 1 else {
            throw PipelineConfigError(
                "detector.hysteresis = \(options.hysteresis) is out of range; expected > 0 and ≤ 1")
        }
        guard options.errorStd >= 0 else {
            throw PipelineConfigError("detector.error_std = \(options.errorStd); expected ≥ 0")
        }
        self.options = options
        let tau = options.smoothMilliseconds / 1000
        self.alpha = tau > 0 ? Float(1 - exp(-hopSeconds / tau)) : 1
        self.warmupFrames = max(2, Int((options.warmupMilliseconds / 1000 / hopSeconds).rounded()))
        self.minimumSpanFrames = Int((options.minimumSpanMilliseconds / 1000 / hopSeconds).rounded())
        self.previousPrediction = [Float](repeating: 0, count: inputSize)
        self.mean = Double(options.errorMean)
        self.std = Double(options.errorStd)
        self.learned = options.errorStd > 0
    }

    /// Whether the error statistics are known (given, or learned after the warm-up).
    public var isCalibrated: Bool { learned }

    public func withScores<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { score.withUnsafeBufferPointer(body) }

    public func process(_ frame: DetectorFrame, emit: (DetectorEvent) -> Void) {
        let error: Double
        switch options.target {
        case .current:
            error = Self.logMeanSquaredError(frame.output, frame.input)
        case .next:
            defer {
                for i in previousPrediction.indices { previousPrediction[i] = frame.output[i] }
                havePrediction = true
            }
            guard havePrediction else { return }
            error = previousPrediction.withUnsafeBufferPointer { Self.logMeanSquaredError($0, frame.input) }
        }
        guard learned else {
            warmCount += 1
            let delta = error - warmMean
            warmMean += delta / Double(warmCount)
            warmM2 += delta * (error - warmMean)
            if warmCount >= warmupFrames {
                mean = warmMean
                std = max((warmM2 / Double(warmCount - 1)).squareRoot(), 1e-12)
                learned = true
            }
            return
        }
        let z = Float((error - mean) / max(std, 1e-12))
        score[0] = smoothedValid ? score[0] + alpha * (z - score[0]) : z
        smoothedValid = true
        let s = score[0]
        if !spanOpen {
            if s > options.threshold {
                spanOpen = true
                spanStart = frame.start
                spanStartFrame = frame.index
                spanPeak = s
                spanEnd = frame.end
            }
        } else {
            spanPeak = max(spanPeak, s)
            spanEnd = frame.end
            if s < options.threshold * options.hysteresis { close(at: frame.index, emit: emit) }
        }
    }

    private func close(at frameIndex: Int, emit: (DetectorEvent) -> Void) {
        spanOpen = false
        guard frameIndex - spanStartFrame >= minimumSpanFrames else { return }
        emit(
            DetectorEvent(
                kind: .anomaly, label: -1, score: spanPeak, threshold: options.threshold, start: spanStart, end: spanEnd
            ))
    }

    public func finish(endSample: Int, emit: (DetectorEvent) -> Void) {
        if spanOpen { close(at: Int.max / 2, emit: emit) }
    }

    public func reset() {
        havePrediction = false
        smoothedValid = false
        spanOpen = false
        score[0] = 0
        if options.errorStd == 0 { learned = false; warmCount = 0; warmMean = 0; warmM2 = 0 }
    }

    static func logMeanSquaredError(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) {
            let d = a[i] - b[i]
            sum += d * d
        }
        return log(Double(sum) / Double(max(a.count, 1)) + 1e-12)
    }
}

extension AnomalyDetector: SnapshottableDetector {
    public func snapshot(nextFrame: Int, nextTime: Double) -> DetectorSnapshot {
        DetectorSnapshot(
            kind: "anomaly",
            values: [
                "previous_prediction": previousPrediction.map(Double.init),
                "have_prediction": [havePrediction ? 1 : 0],
                "mean": [mean], "std": [std],
                "warm_count": [Double(warmCount)], "warm_mean": [warmMean], "warm_m2": [warmM2],
                "learned": [learned ? 1 : 0],
                "score": [Double(score[0])], "smoothed_valid": [smoothedValid ? 1 : 0],
                "span_open": [spanOpen ? 1 : 0], "span_start": [spanStart - nextTime],
                "span_start_frame": [Double(spanStartFrame - nextFrame)], "span_end": [spanEnd - nextTime],
                "span_peak": [Double(spanPeak)],
            ])
    }

    public func restore(_ snapshot: DetectorSnapshot, nextFrame: Int, nextTime: Double) throws {
        guard snapshot.kind == "anomaly" else {
            throw StateFileError("the saved detector state is \(snapshot.kind), the detector is anomaly")
        }
        let prediction = try snapshot.array("previous_prediction", count: previousPrediction.count)
        let scalars = try [
            "have_prediction", "mean", "std", "warm_count", "warm_mean", "warm_m2", "learned", "score",
            "smoothed_valid", "span_open", "span_start", "span_start_frame", "span_end", "span_peak",
        ].reduce(into: [String: Double]()) { $0[$1] = try snapshot.scalar($1) }
        previousPrediction = prediction.map { Float($0) }
        havePrediction = scalars["have_prediction"] != 0
        if options.errorStd == 0 {  // statistics learned online: keep what the previous run learned
            mean = scalars["mean"]!
            std = scalars["std"]!
            warmCount = Int(scalars["warm_count"]!)
            warmMean = scalars["warm_mean"]!
            warmM2 = scalars["warm_m2"]!
            learned = scalars["learned"] != 0
        }
        score[0] = Float(scalars["score"]!)
        smoothedValid = scalars["smoothed_valid"] != 0
        spanOpen = scalars["span_open"] != 0
        spanStart = max(0, nextTime + scalars["span_start"]!)
        spanStartFrame = nextFrame + Int(scalars["span_start_frame"]!)
        spanEnd = max(0, nextTime + scalars["span_end"]!)
        spanPeak = Float(scalars["span_peak"]!)
    }
}
