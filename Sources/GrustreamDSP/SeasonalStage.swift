/// Online trend + seasonal decomposition of the feature vectors, in place: each value becomes its remainder
/// r = x − trend − seasonal[phase], per dimension, with a period of P frames (given, or found from the first
/// frames of the stream).
///
/// Frame t (phase t mod P), with the estimates as they were before it:
/// - trend = the mean of the P frames before t (of the t frames before it during the first period);
/// - d = x − trend; r = d − seasonal[phase]; then seasonal[phase] += α · (d − seasonal[phase]);
/// - the first period is learning: seasonal[phase] = d and r = 0.
/// Causal, one ring of P frames and one of P seasonal values per dimension, allocated at start; the trend's
/// sums are kept in Double and recomputed from the ring every P frames, so the output depends only on the frame
/// sequence (chunking does not change it).
///
/// With `searchFrames` > 0 and no period given, the first `searchFrames` frames pass through unchanged while they
/// are kept; after the last of them the period is found by `detectPeriod` (lags 2 ... searchFrames / 2) and the
/// kept frames are replayed through the decomposition, so from then on the state is what a decomposition with
/// that period from the stream's start would have (what `grustream train` uses on its data). No period found:
/// the frames pass through for good.
public final class SeasonalStage {
    public let dimension: Int
    public let searchFrames: Int
    public let smoothing: Double
    public let minCorrelation: Double
    /// The period in frames; 0 while searching or when none was found (pass-through).
    public internal(set) var period: Int
    let givenPeriod: Int
    let capacity: Int
    /// [capacity][dimension] the last P frames (ring).
    let ring: UnsafeMutableBufferPointer<Float>
    /// [capacity][dimension] the seasonal estimate per phase.
    let seasonal: UnsafeMutableBufferPointer<Double>
    let sum: UnsafeMutableBufferPointer<Double>
    /// [searchFrames][dimension] the frames kept for the period search.
    let kept: UnsafeMutableBufferPointer<Float>
    /// [dimension] one kept frame being replayed.
    private let scratch: UnsafeMutableBufferPointer<Float>
    /// Frames seen since the stream start.
    var seen = 0
    /// Frames through the decomposition (with a period).
    var decomposed = 0
    /// Once a searched period is found: the smallest and largest remainders of the searched frames replayed
    /// through the decomposition (what the remainders of those frames would have been; they passed through).
    public private(set) var searchedRemainderRange: (low: [Float], high: [Float])?

    /// `period` > 0: that period; else `searchFrames` > 0: found from the data (a period of at most
    /// searchFrames / 2, the rings' size); else off. `smoothing` is α in (0, 1].
    public init(dimension: Int, period: Int, searchFrames: Int, smoothing: Double, minCorrelation: Double) {
        self.dimension = dimension
        givenPeriod = max(0, period)
        self.searchFrames = givenPeriod > 0 ? 0 : max(0, searchFrames)
        self.smoothing = smoothing
        self.minCorrelation = minCorrelation
        self.period = givenPeriod
        capacity = givenPeriod > 0 ? givenPeriod : self.searchFrames / 2
        ring = .copy([Float](repeating: 0, count: capacity * dimension))
        seasonal = .allocate(capacity: capacity * dimension)
        seasonal.initialize(repeating: 0)
        sum = .allocate(capacity: dimension)
        sum.initialize(repeating: 0)
        kept = .copy([Float](repeating: 0, count: self.searchFrames * dimension))
        scratch = .copy([Float](repeating: 0, count: dimension))
    }

    deinit {
        ring.deallocate()
        seasonal.deallocate()
        sum.deallocate()
        kept.deallocate()
        scratch.deallocate()
    }

    /// Whether the stage changes anything (a period given or searched for).
    public var isActive: Bool { givenPeriod > 0 || searchFrames > 0 }

    public func reset() {
        searchedRemainderRange = nil
        seen = 0
        decomposed = 0
        period = givenPeriod
        sum.update(repeating: 0)
    }

    /// Starts the stream with period `p` already known (0 = pass-through), skipping the search: what a searching
    /// stage does retroactively once it has found `p`. `p` must be within the stage's rings.
    public func preset(period p: Int) {
        reset()
        seen = searchFrames
        period = p > 0 && p <= capacity ? p : 0
    }

    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>) {
        if seen < searchFrames {
            (kept.baseAddress! + seen * dimension).update(from: x, count: dimension)
            seen += 1
            if seen == searchFrames { findPeriod() }
            return
        }
        seen += 1
        if period > 0 { decompose(x) }
    }

    private func findPeriod() {
        period = Self.detectPeriod(
            UnsafeBufferPointer(kept), frames: searchFrames, dimension: dimension, maxPeriod: searchFrames / 2,
            minCorrelation: minCorrelation)
        guard period > 0 else { return }
        let frame = scratch.baseAddress!
        var low = [Float](repeating: .infinity, count: dimension)
        var high = [Float](repeating: -.infinity, count: dimension)
        for t in 0..<searchFrames {
            frame.update(from: kept.baseAddress! + t * dimension, count: dimension)
            decompose(frame)
            for i in 0..<dimension {
                low[i] = min(low[i], frame[i])
                high[i] = max(high[i], frame[i])
            }
        }
        searchedRemainderRange = (low, high)
    }

    private func decompose(_ x: UnsafeMutablePointer<Float>) {
        let d = dimension
        let p = period
        let phase = decomposed % p
        let slot = ring.baseAddress! + phase * d
        let season = seasonal.baseAddress! + phase * d
        let learning = decomposed < p
        for i in 0..<d {
            let value = Double(x[i])
            let trend = decomposed == 0 ? value : sum[i] / Double(min(decomposed, p))
            let detrended = value - trend
            if learning {
                season[i] = detrended
                x[i] = 0
            } else {
                x[i] = Float(detrended - season[i])
                season[i] += smoothing * (detrended - season[i])
                sum[i] -= Double(slot[i])
            }
            slot[i] = Float(value)
            sum[i] += Double(slot[i])
        }
        decomposed += 1
        if decomposed % p == 0 {
            for i in 0..<d {
                var s = 0.0
                for k in 0..<p { s += Double(ring[k * d + i]) }
                sum[i] = s
            }
        }
    }
}
