extension FeatureOptions {
    /// How far below float32's largest value the largest possible spectrum sum of a frame stays.
    public static let sampleLimitHeadroom = 1e6

    /// The largest sample magnitude (as decoded: integer PCM in [-1, 1), floats and text values as they are)
    /// for which no feature can overflow float32. A sample of magnitude B, scaled by `input_scale` (s), becomes
    /// at most 2sB after DC removal and 4sB after pre-emphasis (coefficient ≤ 1); windows are ≤ 1, so a bin of
    /// the FFT of `frameLength` (N) such samples is at most 4NsB in magnitude and 16N²s²B² in power, and a sum
    /// over all `spectrumBins` (K) bins at most 16N²s²B²K. The limit keeps that sum `sampleLimitHeadroom`
    /// times below `Float.greatestFiniteMagnitude` (the headroom covers filter weights above 1, deltas,
    /// normalisation and the GRU's products):
    ///
    ///     B = √(Float.max / (headroom · 16 · N² · K)) / s
    ///
    /// 16 kHz MFCC (N = 400, K = 257, s = 32768): 2.2e7, i.e. 147 dB above full scale; 2 kHz sensor bands
    /// (N = 256, K = 129, s = 1): 1.6e12. Larger samples, NaN and ±Inf are bad frames (`bad_frames`).
    public var sampleLimit: Float {
        let n = Double(max(1, frameLength))
        let bins = Double(kind == .raw ? 1 : max(1, spectrumBins))
        let scale = max(Double(frame.inputScale), Double(Float.leastNormalMagnitude))
        let largest = Double(Float.greatestFiniteMagnitude)
        let bound = (largest / (Self.sampleLimitHeadroom * 16 * n * n * bins)).squareRoot() / scale
        return Float(min(bound, largest))
    }
}
