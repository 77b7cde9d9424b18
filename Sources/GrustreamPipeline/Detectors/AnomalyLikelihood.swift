import Foundation

/// The anomaly likelihood of a stream of per-frame errors, online (the idea of HTM's anomaly likelihood): the mean
/// of the last `shortFrames` errors is compared with a Gaussian fitted to the same short means over the last
/// `longFrames` frames, and the likelihood is the Gaussian's cumulative probability at it,
/// `1 − Q(z) = 1 − ½·erfc(z/√2)` with `z = (recent mean − history mean) / history std`. A value near 1 means the
/// recent errors are larger than nearly all of their history: the same meaning on every stream, whatever the
/// scale of its errors. Until `learnFrames` short means are in the history it is 0.5. With `logOffset` > 0 the
/// Gaussian is fitted to ln(short mean + logOffset) instead (heavy-tailed errors).
/// Fixed ring buffers sized at start: `update` allocates nothing.
public struct AnomalyLikelihood: Sendable, Equatable {
    public let shortFrames: Int
    public let longFrames: Int
    public let learnFrames: Int
    /// Smallest history standard deviation (in error units): a history of identical errors still gives a finite z.
    public static let minimumStd = 1e-3
    /// `[shortFrames]` ring of the latest errors.
    private(set) var recent: [Double]
    private(set) var recentNext = 0
    private(set) var recentCount = 0
    /// `[longFrames]` ring of the latest short means.
    private(set) var history: [Double]
    private(set) var historyNext = 0
    private(set) var historyCount = 0
    /// Running sums over the rings, recomputed from them every `longFrames` updates so rounding cannot drift.
    private var recentSum = 0.0
    private var historySum = 0.0
    private var historySumSquares = 0.0
    private var updatesSinceResum = 0
    /// The latest likelihood, in [0, 1], and its tail probability `Q(z)` (1 − likelihood, kept apart for precision).
    public private(set) var likelihood = 0.5
    public private(set) var tail = 0.5

    /// > 0: the Gaussian is fitted to ln(short mean + logOffset) instead of the short mean.
    public let logOffset: Double

    public init(shortFrames: Int, longFrames: Int, learnFrames: Int, logOffset: Double = 0) {
        self.logOffset = logOffset > 0 && logOffset.isFinite ? logOffset : 0
        self.shortFrames = max(1, shortFrames)
        self.longFrames = max(2, longFrames)
        self.learnFrames = min(max(2, learnFrames), self.longFrames)
        recent = [Double](repeating: 0, count: self.shortFrames)
        history = [Double](repeating: 0, count: self.longFrames)
    }

    /// Whether the history is long enough for the likelihood to mean something.
    public var isLearned: Bool { historyCount >= learnFrames }

    /// HTM's log-likelihood, `ln(tail + 1e-10) / ln(1e-10)` clamped to [0, 1]: spreads the values near 1.
    public var logLikelihood: Double { min(1, max(0, log(tail + 1e-10) / log(1e-10))) }

    /// Add one frame's error (finite) and return the new likelihood. `learn` false: judge the frame without adding
    /// its short mean to the history (while an anomaly span is open, so a long fault does not become normal).
    @discardableResult
    public mutating func update(_ error: Double, learn: Bool = true) -> Double {
        if recentCount == shortFrames { recentSum -= recent[recentNext] } else { recentCount += 1 }
        recent[recentNext] = error
        recentSum += error
        recentNext = recentNext + 1 == shortFrames ? 0 : recentNext + 1
        let mean = recentSum / Double(recentCount)
        let shortMean = logOffset > 0 ? log(max(0, mean) + logOffset) : mean

        if isLearned {
            let n = Double(historyCount)
            let historyMean = historySum / n
            let variance = max(0, (historySumSquares - n * historyMean * historyMean) / (n - 1))
            let z = (shortMean - historyMean) / max(variance.squareRoot(), Self.minimumStd)
            tail = 0.5 * erfc(z / 2.0.squareRoot())
            likelihood = 1 - tail
        } else {
            // Still learning: 0.5, whatever an earlier frame was marked (`markNovel` lasts one frame).
            tail = 0.5
            likelihood = 0.5
        }

        guard learn else { return likelihood }
        if historyCount == longFrames {
            let old = history[historyNext]
            historySum -= old
            historySumSquares -= old * old
        } else {
            historyCount += 1
        }
        history[historyNext] = shortMean
        historySum += shortMean
        historySumSquares += shortMean * shortMean
        historyNext = historyNext + 1 == longFrames ? 0 : historyNext + 1
        updatesSinceResum += 1
        if updatesSinceResum >= longFrames { resum() }
        return likelihood
    }

    /// Mark the latest frame as certainly anomalous (likelihood 1), whatever its error: a level never seen before.
    public mutating func markNovel() {
        tail = 0
        likelihood = 1
    }

    /// Forget everything.
    public mutating func reset() {
        for i in recent.indices { recent[i] = 0 }
        for i in history.indices { history[i] = 0 }
        recentNext = 0
        recentCount = 0
        historyNext = 0
        historyCount = 0
        recentSum = 0
        historySum = 0
        historySumSquares = 0
        updatesSinceResum = 0
        likelihood = 0.5
        tail = 0.5
    }

    private mutating func resum() {
        updatesSinceResum = 0
        recentSum = 0
        for i in 0..<recentCount { recentSum += recent[i] }
        historySum = 0
        historySumSquares = 0
        for i in 0..<historyCount {
            historySum += history[i]
            historySumSquares += history[i] * history[i]
        }
    }
}

extension AnomalyLikelihood {
    /// The whole state as named arrays (for `DetectorSnapshot`): the rings as they lie, their positions and the
    /// running sums, so a restored detector continues bit for bit.
    func values() -> [String: [Double]] {
        [
            "likelihood_recent": recent, "likelihood_history": history,
            "likelihood_positions": [recentNext, recentCount, historyNext, historyCount, updatesSinceResum].map(
                Double.init),
            "likelihood_sums": [recentSum, historySum, historySumSquares, likelihood, tail],
        ]
    }

    /// Put back a state from `values()`; throws when it does not fit these windows.
    mutating func restore(_ snapshot: DetectorSnapshot) throws {
        let savedRecent = try snapshot.array("likelihood_recent", count: shortFrames)
        let savedHistory = try snapshot.array("likelihood_history", count: longFrames)
        let positions = try snapshot.array("likelihood_positions", count: 5)
        let sums = try snapshot.array("likelihood_sums", count: 5)
        let limits = [shortFrames - 1, shortFrames, longFrames - 1, longFrames, longFrames]
        guard zip(positions, limits).allSatisfy({ $0 >= 0 && $0 <= Double($1) && $0 == $0.rounded() }) else {
            throw StateFileError(
                "detector state \"likelihood_positions\" \(positions) is out of range for windows of \(shortFrames) and \(longFrames) frames"
            )
        }
        recent = savedRecent
        history = savedHistory
        recentNext = Int(positions[0])
        recentCount = Int(positions[1])
        historyNext = Int(positions[2])
        historyCount = Int(positions[3])
        updatesSinceResum = Int(positions[4])
        recentSum = sums[0]
        historySum = sums[1]
        historySumSquares = sums[2]
        likelihood = min(1, max(0, sums[3]))
        tail = min(1, max(0, sums[4]))
    }
}
