/// Upper bounds of the feature options, so a stream's feature extractor stays within a few tens of megabytes and
/// starts in well under a second whatever a pipeline file or a model's metadata says. They are checked before any
/// derived size (frame, FFT, filter bank, normalisation window) is computed or allocated.
extension FeatureOptions {
    public enum Limits {
        /// Sample rate, Hz (the fastest common audio interface rate).
        public static let maximumSampleRateHertz: Double = 384_000
        /// `frame_ms` and `hop_ms`: 10 seconds.
        public static let maximumFrameMilliseconds: Double = 10_000
        /// Samples per frame, hop, window and FFT (2^16): 256 KiB of f32 per channel.
        public static let maximumFrameSamples = 1 << 16
        /// `mel_bins` and `band_count`; also at most the spectrum's `fft_length / 2 + 1` bins (more filters than
        /// bins leave filters empty, whose log energy is the floor for ever).
        public static let maximumFilters = 1024
        /// `delta_window` N (2N+1 frames of context).
        public static let maximumDeltaWindow = 100
        /// `cmvn_window` frames.
        public static let maximumCMVNWindowFrames = 100_000
        /// `cmvn_window` × feature dimension: 2^24 values (64 MiB).
        public static let maximumCMVNValues = 1 << 24
        /// `seasonal_period` frames.
        public static let maximumSeasonalPeriodFrames = 1 << 16
        /// `seasonal_search_frames`.
        public static let maximumSeasonalSearchFrames = 1 << 14
        /// The seasonal rings (period, or half the search, × feature dimension): 2^20 values (12 MiB).
        public static let maximumSeasonalValues = 1 << 20
        /// `seasonal_search_frames` × feature dimension: 2^16 values kept, and the one-off period search costs at
        /// most 2^16 × 2^13 multiply-adds.
        public static let maximumSeasonalSearchValues = 1 << 16
        /// Values per feature vector.
        public static let maximumDimension = 1 << 16
        /// `norm_std` values: at least this (a smaller one magnifies its feature past any trained range, and a
        /// denormal one turns it into infinity) and at most its reciprocal.
        public static let minimumNormStd: Float = 1e-6
    }

    /// Throws the first value beyond `Limits`, naming its key; run before anything is derived from them.
    func checkLimits() throws {
        func fail(_ key: String, _ what: String) -> FeatureConfigError {
            FeatureConfigError(key: "features.\(key)", "features.\(key) \(what)")
        }
        /// NaN is outside every range.
        func atMost<T: Comparable & Numeric>(_ key: String, _ value: T, _ limit: T) throws {
            guard value >= 0 && value <= limit else {
                throw fail(key, "= \(value) is out of range; expected ≥ 0 and ≤ \(limit)")
            }
        }
        guard sampleRate > 0, sampleRate <= Limits.maximumSampleRateHertz else {
            throw fail(
                "sample_rate", "= \(sampleRate) Hz is out of range; expected > 0 and ≤ \(Limits.maximumSampleRateHertz)"
            )
        }
        try atMost("channels", channels, 64)
        let frameSamples = Limits.maximumFrameSamples
        try atMost("raw_decimation", raw.decimation, frameSamples)
        try atMost("frame_samples", frame.frameSamples, frameSamples)
        try atMost("hop_samples", frame.hopSamples, frameSamples)
        try atMost("window_samples", window.windowSamples, frameSamples)
        try atMost("fft_length", spectrum.fftLength, frameSamples)
        try atMost("frame_ms", frame.frameMilliseconds, Limits.maximumFrameMilliseconds)
        try atMost("hop_ms", frame.hopMilliseconds, Limits.maximumFrameMilliseconds)
        if frameLength > frameSamples {
            throw fail(
                "frame_ms", "gives \(frameLength) samples at \(sampleRate) Hz; at most \(frameSamples) per frame")
        }
        if hopLength > frameSamples {
            throw fail("hop_ms", "gives \(hopLength) samples at \(sampleRate) Hz; at most \(frameSamples) per hop")
        }
        try atMost("mel_bins", mel.bins, Limits.maximumFilters)
        try atMost("band_count", bands.count, Limits.maximumFilters)
        if (kind == .mfcc || kind == .fbank) && mel.bins > spectrumBins {
            throw fail(
                "mel_bins",
                "must be <= the \(spectrumBins) spectrum bins (fft_length \(fftLength) / 2 + 1), got \(mel.bins)")
        }
        if kind == .bands && bands.count > spectrumBins {
            throw fail(
                "band_count",
                "must be <= the \(spectrumBins) spectrum bins (fft_length \(fftLength) / 2 + 1), got \(bands.count)")
        }
        try atMost("delta_window", delta.window, Limits.maximumDeltaWindow)
        try atMost("coefficients", cepstrum.coefficients, Limits.maximumFilters)
        try atMost("delta_order", delta.order, 2)
        if dimension > Limits.maximumDimension {
            throw fail("kind", "gives \(dimension) values per frame; at most \(Limits.maximumDimension)")
        }
        if normalisation.mode == .sliding {
            try atMost("cmvn_window", normalisation.windowFrames, Limits.maximumCMVNWindowFrames)
            let (values, overflow) = normalisation.windowFrames.multipliedReportingOverflow(by: dimension)
            if overflow || values > Limits.maximumCMVNValues {
                throw fail(
                    "cmvn_window",
                    "= \(normalisation.windowFrames) frames × \(dimension) values; at most \(Limits.maximumCMVNValues) values"
                )
            }
        }
        try checkSeasonalLimits(fail)
        if normalisation.mode == .global {
            if let bad = normalisation.mean.firstIndex(where: { !$0.isFinite }) {
                throw fail(
                    "norm_mean[\(bad)]", "= \(normalisation.mean[bad]) is out of range; expected a finite number")
            }
            let smallest = Limits.minimumNormStd
            if let bad = normalisation.std.firstIndex(where: { !($0 >= smallest && $0 <= 1 / smallest) }) {
                throw fail(
                    "norm_std[\(bad)]",
                    "= \(normalisation.std[bad]) is out of range; expected ≥ \(smallest) and ≤ \(1 / smallest)")
            }
        }
    }

    private func checkSeasonalLimits(_ fail: (String, String) -> FeatureConfigError) throws {
        guard seasonal.period >= 0, seasonal.period <= Limits.maximumSeasonalPeriodFrames else {
            throw fail(
                "seasonal_period",
                "= \(seasonal.period) is out of range; expected ≥ 0 and ≤ \(Limits.maximumSeasonalPeriodFrames) frames")
        }
        guard seasonal.searchFrames >= 0, seasonal.searchFrames <= Limits.maximumSeasonalSearchFrames else {
            throw fail(
                "seasonal_search_frames",
                "= \(seasonal.searchFrames) is out of range; expected ≥ 0 and ≤ \(Limits.maximumSeasonalSearchFrames)")
        }
        guard seasonal.isActive else { return }
        let (ringValues, ringOverflow) = seasonal.ringFrames.multipliedReportingOverflow(by: decomposedDimension)
        if ringOverflow || ringValues > Limits.maximumSeasonalValues {
            let key = seasonal.period > 0 ? "seasonal_period" : "seasonal_search_frames"
            throw fail(
                key,
                "gives rings of \(seasonal.ringFrames) frames × \(decomposedDimension) values; at most \(Limits.maximumSeasonalValues) values"
            )
        }
        let (searchValues, searchOverflow) = seasonal.searchFrames.multipliedReportingOverflow(
            by: decomposedDimension)
        if seasonal.period == 0 && (searchOverflow || searchValues > Limits.maximumSeasonalSearchValues) {
            throw fail(
                "seasonal_search_frames",
                "= \(seasonal.searchFrames) frames × \(decomposedDimension) values; at most \(Limits.maximumSeasonalSearchValues) values"
            )
        }
        guard seasonal.smoothing > 0, seasonal.smoothing <= 1 else {
            throw fail("seasonal_smoothing", "= \(seasonal.smoothing) is out of range; expected > 0 and ≤ 1")
        }
        guard seasonal.minCorrelation >= 0, seasonal.minCorrelation < 1 else {
            throw fail("seasonal_min_correlation", "= \(seasonal.minCorrelation) is out of range; expected ≥ 0 and < 1")
        }
        if seasonal.period == 1 {
            throw fail("seasonal_period", "= 1 is out of range; expected 0 (none) or ≥ 2 frames")
        }
        if seasonal.period == 0 && seasonal.searchFrames < 6 {
            throw fail(
                "seasonal_search_frames",
                "= \(seasonal.searchFrames) is too short to find a period; expected 0 (off) or ≥ 6 frames")
        }
    }
}
