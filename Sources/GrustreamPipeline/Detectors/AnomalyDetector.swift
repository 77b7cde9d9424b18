import Foundation

/// Anomaly scores and spans on a sensor stream. The per-frame error is the natural log of the mean squared
/// difference between the network's prediction and the features it predicts (`ln(mse + 1e-12)`: in the log
/// domain a fault's error is a step of a few units rather than orders of magnitude, so the smoothed score falls
/// back promptly when the fault ends). Two scores come from it every frame:
/// - the z-score: that log error standardised by its statistics on normal data (`(e − mean) / std`), smoothed by
///   an exponential moving average;
/// - the anomaly likelihood in [0, 1] (`AnomalyLikelihood`) of the mean squared error: the recent errors
///   against their long history (the plain error, not its log: a log spreads the many near-zero errors of a
///   one-value stream into a long lower tail that hides the large ones); with `range_novelty`, 1 on a frame
///   whose input leaves the range of all inputs so far (counted from the end of `warmup_ms`, also while the
///   likelihood is still learning).
/// `scale` picks the one `threshold` applies to. A span opens when the score exceeds `threshold` (an `open` event
/// at once, or once the span is `min_span_ms` long), reports every `alert_interval_ms` while it lasts (`ongoing`,
/// with the peaks so far), and closes when the score falls below `threshold × hysteresis` (a `close` event with
/// start, end and peaks; also at end of stream).
public final class AnomalyDetector: Detector {
    public let labels: [String] = []
    public private(set) var options: AnomalyOptions
    /// EWMA weight of the newest z-score.
    public let alpha: Float
    public let warmupFrames: Int
    public let minimumSpanFrames: Int
    /// Frames between `ongoing` events; 0: none.
    public let alertIntervalFrames: Int
    /// `[input]` the previous frame's prediction (target `next`).
    var previousPrediction: [Float]
    var havePrediction = false
    var mean: Double
    var std: Double
    /// Welford accumulators for the warm-up.
    var warmCount = 0
    var warmMean = 0.0
    var warmM2 = 0.0
    var learned: Bool
    var likelihood: AnomalyLikelihood
    /// `[5]` the smoothed z-score, the likelihood, the log-likelihood, the peak score and the mean squared
    /// prediction error of the latest frame (`SCORES`).
    var score: [Float] = [0, 0.5, 0, 0, 0]
    /// `[input]` the smallest and largest input values so far (`range_novelty`); valid once `haveRange`.
    var rangeLow: [Float]
    var rangeHigh: [Float]
    var haveRange = false
    /// `[peakWindowFrames]` ring of the latest scores (on `scale`), for `peak`.
    var recentScores: [Float]
    var recentScoresNext = 0
    var recentScoresCount = 0
    var smoothedValid = false
    var spanOpen = false
    /// Whether the open span's `open` event has been published (it waits for `minimumSpanFrames`).
    var spanReported = false
    var spanStart = 0.0
    var spanStartFrame = 0
    var spanEnd = 0.0
    /// Peaks of the open span: the z-score and the likelihood.
    var spanPeak: Float = 0
    var spanPeakLikelihood: Float = 0
    /// Frame at which the next `ongoing` event is due.
    var nextAlertFrame = 0

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
        if options.scale != .zscore, !(options.threshold > 0 && options.threshold < 1) {
            throw PipelineConfigError(
                "detector.threshold = \(options.threshold) is out of range for detector.score = \"\(options.scale.rawValue)\"; expected > 0 and < 1 (e.g. 0.9999 for likelihood, 0.5 for log_likelihood)"
            )
        }
        func frames(_ milliseconds: Double, _ key: String) throws -> Int {
            let count = (milliseconds / 1000 / hopSeconds).rounded()
            guard count.isFinite, count <= Double(AnomalyOptions.maximumWindowFrames) else {
                throw PipelineConfigError(
                    "detector.\(key) = \(milliseconds) is \(count) frames of \(hopSeconds * 1000) ms; expected at most \(AnomalyOptions.maximumWindowFrames) frames"
                )
            }
            return Int(count)
        }
        self.options = options
        let tau = options.smoothMilliseconds / 1000
        self.alpha = tau > 0 ? Float(1 - exp(-hopSeconds / tau)) : 1
        self.warmupFrames = max(2, try frames(options.warmupMilliseconds, "warmup_ms"))
        self.minimumSpanFrames = try frames(options.minimumSpanMilliseconds, "min_span_ms")
        self.alertIntervalFrames = try frames(options.alertIntervalMilliseconds, "alert_interval_ms")
        self.likelihood = AnomalyLikelihood(
            shortFrames: try frames(options.likelihoodShortMilliseconds, "likelihood_short_ms"),
            longFrames: try frames(options.likelihoodLongMilliseconds, "likelihood_long_ms"),
            learnFrames: try frames(options.likelihoodLearnMilliseconds, "likelihood_learn_ms"),
            logOffset: options.likelihoodLogOffset)
        self.previousPrediction = [Float](repeating: 0, count: inputSize)
        self.rangeLow = [Float](repeating: 0, count: inputSize)
        self.rangeHigh = [Float](repeating: 0, count: inputSize)
        self.recentScores = [Float](repeating: 0, count: try frames(options.peakWindowMilliseconds, "peak_window_ms"))
        self.mean = Double(options.errorMean)
        self.std = Double(options.errorStd)
        self.learned = options.errorStd > 0
    }

    /// Whether the error statistics are known (given, or learned after the warm-up).
    public var isCalibrated: Bool { learned }

    /// `SCORES` fields: the smoothed z-score, the likelihood, the log-likelihood, the peak score and the raw error.
    public var scoreFields: [String] { ["score", "likelihood", "log_likelihood", "peak", "error"] }

    /// The threshold of `score` (> 0; on the likelihood scales < 1 too). Anomalies have no labels.
    public func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError) {
        guard label == nil else { throw PipelineConfigError("an anomaly detector has no labels (\"label\" given)") }
        guard value > 0 && (options.scale == .zscore || value < 1) else {
            throw PipelineConfigError(
                "threshold \(value) is out of range for score \"\(options.scale.rawValue)\"; expected > 0\(options.scale == .zscore ? "" : " and < 1")"
            )
        }
        options.threshold = Float(value)
    }

    /// The latest frame's score on `scale` (what `threshold` applies to).
    public var scaledScore: Float {
        switch options.scale {
        case .zscore: score[0]
        case .likelihood: score[1]
        case .logLikelihood: score[2]
        }
    }

    public func withScores<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { score.withUnsafeBufferPointer(body) }

    public func process(_ frame: DetectorFrame, emit: (DetectorEvent) -> Void) {
        let meanSquaredError: Double
        switch options.target {
        case .current:
            meanSquaredError = Self.meanSquaredError(frame.output, frame.input)
        case .next:
            defer {
                for i in previousPrediction.indices { previousPrediction[i] = frame.output[i] }
                havePrediction = true
            }
            guard havePrediction else { return }
            meanSquaredError = previousPrediction.withUnsafeBufferPointer { Self.meanSquaredError($0, frame.input) }
        }
        // A non-finite prediction or input says nothing about the stream's errors: the frame is not scored, so one
        // bad value cannot poison the smoothed score and the likelihood's sums for good.
        guard meanSquaredError.isFinite else { return }
        let error = log(meanSquaredError + 1e-12)
        score[4] = Float(meanSquaredError)
        likelihood.update(
            meanSquaredError, learn: options.likelihoodLearnInSpans || !spanOpen || options.scale == .zscore)
        let novel = options.rangeNovelty && leavesRange(frame.input)
        if novel { likelihood.markNovel() }
        score[1] = Float(likelihood.likelihood)
        score[2] = Float(likelihood.logLikelihood)
        if learned {
            let z = Float((error - mean) / max(std, 1e-12))
            score[0] = smoothedValid ? score[0] + alpha * (z - score[0]) : z
            smoothedValid = true
        } else {
            warmCount += 1
            let delta = error - warmMean
            warmMean += delta / Double(warmCount)
            warmM2 += delta * (error - warmMean)
            if warmCount >= warmupFrames {
                mean = warmMean
                std = max((warmM2 / Double(warmCount - 1)).squareRoot(), 1e-12)
                learned = true
            }
        }
        let ready: Bool
        let s: Float
        switch options.scale {
        case .zscore: (ready, s) = (learned && smoothedValid, score[0])
        case .likelihood: (ready, s) = (likelihood.isLearned || novel && noveltyCounts, score[1])
        case .logLikelihood: (ready, s) = (likelihood.isLearned || novel && noveltyCounts, score[2])
        }
        updatePeak(ready ? s : 0)
        guard ready else { return }
        if !spanOpen {
            guard s > options.threshold else { return }
            spanOpen = true
            spanReported = false
            spanStart = frame.start
            spanStartFrame = frame.index
            spanPeak = score[0]
            spanPeakLikelihood = score[1]
            spanEnd = frame.end
        } else {
            spanPeak = max(spanPeak, score[0])
            spanPeakLikelihood = max(spanPeakLikelihood, score[1])
            spanEnd = frame.end
            if s < options.threshold * options.hysteresis { return close(emit: emit) }
        }
        if !spanReported {
            guard frame.index - spanStartFrame >= minimumSpanFrames else { return }
            spanReported = true
            nextAlertFrame = frame.index + alertIntervalFrames
            emit(event(.open))
        } else if alertIntervalFrames > 0 && frame.index >= nextAlertFrame {
            nextAlertFrame = frame.index + alertIntervalFrames
            emit(event(.ongoing))
        }
    }

    /// Whether `input` leaves the range of the inputs so far (widened by the tolerance); the range then grows.
    private func leavesRange(_ input: UnsafeBufferPointer<Float>) -> Bool {
        var novel = false
        for i in 0..<min(input.count, rangeLow.count) {
            let x = input[i]
            if haveRange {
                let margin = (rangeHigh[i] - rangeLow[i]) * options.rangeTolerance
                if rangeHigh[i] > rangeLow[i] && (x > rangeHigh[i] + margin || x < rangeLow[i] - margin) {
                    novel = true
                }
                rangeLow[i] = min(rangeLow[i], x)
                rangeHigh[i] = max(rangeHigh[i], x)
            } else {
                rangeLow[i] = x
                rangeHigh[i] = x
            }
        }
        haveRange = true
        return novel
    }

    /// Whether a value outside the range counts while the likelihood is still learning: once the range has seen
    /// the warm-up's frames (it needs no error history).
    private var noveltyCounts: Bool { likelihood.historyCount >= warmupFrames }

    public var judgesValueRange: Bool { options.rangeNovelty }

    /// Restart the range of the values whose `low` and `high` are not NaN (`range_novelty`) at [low, high]: the
    /// range they would have had (the remainders of a decomposition whose period search has just ended).
    public func restartRange(low: [Float], high: [Float]) {
        guard haveRange else { return }
        for i in 0..<min(rangeLow.count, low.count, high.count) where !low[i].isNaN && !high[i].isNaN {
            rangeLow[i] = min(low[i], high[i])
            rangeHigh[i] = max(low[i], high[i])
        }
    }

    /// `peak`: the score where it is above every score of the window before it, else 0.
    private func updatePeak(_ s: Float) {
        guard !recentScores.isEmpty else { score[3] = s; return }
        var highest = -Float.infinity
        for i in 0..<recentScoresCount { highest = max(highest, recentScores[i]) }
        score[3] = s > highest ? s : 0
        recentScores[recentScoresNext] = s
        recentScoresNext = recentScoresNext + 1 == recentScores.count ? 0 : recentScoresNext + 1
        recentScoresCount = min(recentScoresCount + 1, recentScores.count)
    }

    private func event(_ phase: DetectorEvent.Phase) -> DetectorEvent {
        DetectorEvent(
            kind: .anomaly, label: -1, score: spanPeak, threshold: options.threshold, start: spanStart, end: spanEnd,
            phase: phase, likelihood: spanPeakLikelihood)
    }

    private func close(emit: (DetectorEvent) -> Void) {
        spanOpen = false
        if spanReported { emit(event(.close)) }
        spanReported = false
    }

    public func finish(endSample: Int, emit: (DetectorEvent) -> Void) {
        guard spanOpen else { return }
        if !spanReported {
            spanReported = true
            emit(event(.open))
        }
        close(emit: emit)
    }

    public func reset() {
        havePrediction = false
        smoothedValid = false
        spanOpen = false
        spanReported = false
        score[0] = 0
        score[3] = 0
        score[4] = 0
        haveRange = false
        recentScoresNext = 0
        recentScoresCount = 0
        likelihood.reset()
        score[1] = Float(likelihood.likelihood)
        score[2] = Float(likelihood.logLikelihood)
        if options.errorStd == 0 { learned = false; warmCount = 0; warmMean = 0; warmM2 = 0 }
    }

    static func meanSquaredError(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) {
            let d = a[i] - b[i]
            sum += d * d
        }
        return Double(sum) / Double(max(a.count, 1))
    }
}
