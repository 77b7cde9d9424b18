extension SeasonalStage {
    /// The period of `frames` frames of `dimension` values (row-major): the lag k in 2 ... `maxPeriod` where the
    /// autocorrelation, averaged over the dimensions that vary, has its highest local maximum (higher than at
    /// k − 1, at least as high as at k + 1), if that maximum exceeds `minCorrelation`; else 0 (no period).
    /// Autocorrelation at lag k: Σₜ (xₜ − m)(xₜ₊ₖ − m) / Σₜ (xₜ − m)², m the mean. Cost: frames · maxPeriod ·
    /// dimension multiply-adds, once.
    public static func detectPeriod(
        _ values: UnsafeBufferPointer<Float>, frames: Int, dimension: Int, maxPeriod: Int, minCorrelation: Double
    ) -> Int {
        let lags = min(maxPeriod + 1, frames - 1)
        guard dimension > 0, lags >= 3, values.count >= frames * dimension else { return 0 }
        var correlation = [Double](repeating: 0, count: lags + 1)
        var centred = [Double](repeating: 0, count: frames)
        var varying = 0
        for i in 0..<dimension {
            var mean = 0.0
            for t in 0..<frames { mean += Double(values[t * dimension + i]) }
            mean /= Double(frames)
            var energy = 0.0
            for t in 0..<frames {
                centred[t] = Double(values[t * dimension + i]) - mean
                energy += centred[t] * centred[t]
            }
            guard energy > 0, energy.isFinite else { continue }
            varying += 1
            for k in 0...lags {
                var s = 0.0
                for t in 0..<(frames - k) { s += centred[t] * centred[t + k] }
                correlation[k] += s / energy
            }
        }
        guard varying > 0 else { return 0 }
        var best = 0
        var bestCorrelation = minCorrelation * Double(varying)
        for k in 2..<lags where correlation[k] > correlation[k - 1] && correlation[k] >= correlation[k + 1] {
            if correlation[k] > bestCorrelation {
                best = k
                bestCorrelation = correlation[k]
            }
        }
        return best
    }
}
