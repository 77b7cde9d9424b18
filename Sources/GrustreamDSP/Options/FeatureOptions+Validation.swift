/// A feature option that cannot work, or an FFT plan FFTW refused. The message names the option key
/// (`features.frame_ms must be > 0, got -1`).
public struct FeatureConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The option key (`features.frame_ms`), or `features` for problems spanning several options.
    public let key: String
    public let description: String
    public init(key: String, _ description: String) {
        self.key = key
        self.description = description
    }
}

extension FeatureOptions {
    /// Throws the first impossible value found, naming its key.
    public func validate() throws {
        func fail(_ key: String, _ what: String) -> FeatureConfigError {
            FeatureConfigError(key: "features.\(key)", "features.\(key) \(what)")
        }
        func positive<T: Comparable & Numeric>(_ key: String, _ v: T, orZero: Bool = false) throws {
            if orZero ? v < 0 : v <= 0 { throw fail(key, "must be \(orZero ? ">=" : ">") 0, got \(v)") }
        }
        try positive("sample_rate", sampleRate)
        try positive("channels", channels)
        if !sampleRate.isFinite { throw fail("sample_rate", "must be finite, got \(sampleRate)") }
        if kind == .raw {
            try positive("raw_decimation", raw.decimation)
        } else {
            if frame.frameSamples == 0 { try positive("frame_ms", frame.frameMilliseconds) }
            if frame.hopSamples == 0 { try positive("hop_ms", frame.hopMilliseconds) }
            try positive("frame_samples", frame.frameSamples, orZero: true)
            try positive("hop_samples", frame.hopSamples, orZero: true)
            if frameLength < 1 {
                throw fail("frame_ms", "gives \(frameLength) samples at \(sampleRate) Hz, need at least 1")
            }
            if hopLength < 1 { throw fail("hop_ms", "gives \(hopLength) samples at \(sampleRate) Hz, need at least 1") }
            try positive("window_samples", window.windowSamples, orZero: true)
            if windowLength > frameLength {
                throw fail("window_samples", "must be <= the frame length \(frameLength), got \(windowLength)")
            }
            try positive("fft_length", spectrum.fftLength, orZero: true)
            if fftLength < frameLength && !spectrum.truncate {
                throw fail(
                    "fft_length", "must be >= the frame length \(frameLength), got \(fftLength) (or set fft_truncate)")
            }
            if fftLength % 2 != 0 { throw fail("fft_length", "must be even, got \(fftLength)") }
            if !(0...1).contains(frame.preemphasis) {
                throw fail("preemphasis", "must be in [0, 1], got \(frame.preemphasis)")
            }
            try positive("dither", frame.dither, orZero: true)
        }
        try positive("input_scale", frame.inputScale)
        switch kind {
        case .mfcc, .fbank:
            try positive("mel_bins", mel.bins)
            try positive("mel_low_hz", mel.lowHertz, orZero: true)
            let high = resolvedMelHighHertz
            // sonopy spans its grid up to the sample rate (Precise: 0 … 16 kHz at 16 kHz).
            if high <= mel.lowHertz || high > (mel.triangles == .sonopy ? sampleRate : nyquist) {
                throw fail(
                    "mel_high_hz",
                    "gives \(high) Hz, must be in (mel_low_hz = \(mel.lowHertz), Nyquist = \(nyquist)]; got \(mel.highHertz)"
                )
            }
            if kind == .mfcc {
                try positive("coefficients", cepstrum.coefficients)
                if cepstrum.coefficients > mel.bins {
                    throw fail("coefficients", "must be <= mel_bins = \(mel.bins), got \(cepstrum.coefficients)")
                }
                try positive("lifter", cepstrum.lifter, orZero: true)
            }
        case .bands:
            try positive("band_count", bands.count)
            try positive("band_low_hz", bands.lowHertz, orZero: true)
            let high = resolvedBandHighHertz
            if high <= bands.lowHertz || high > nyquist {
                throw fail(
                    "band_high_hz",
                    "gives \(high) Hz, must be in (band_low_hz = \(bands.lowHertz), Nyquist = \(nyquist)]; got \(bands.highHertz)"
                )
            }
            if bands.spacing == .log && bands.lowHertz <= 0 {
                throw fail("band_low_hz", "must be > 0 with band_spacing = \"log\", got \(bands.lowHertz)")
            }
        case .spectrum, .raw:
            break
        }
        if log.scale == .natural { try positive("log_floor", log.floor) }
        if log.scale == .decibel {
            try positive("db_amin", log.amin)
            try positive("db_reference", log.reference)
        }
        try positive("energy_floor", energy.energyFloor, orZero: true)
        if !(0...2).contains(delta.order) { throw fail("delta_order", "must be 0, 1 or 2, got \(delta.order)") }
        if delta.order > 0 { try positive("delta_window", delta.window) }
        try checkLimits()
        switch normalisation.mode {
        case .none:
            break
        case .global:
            if normalisation.mean.count != dimension {
                throw fail(
                    "norm_mean",
                    "must have \(dimension) values (the feature dimension), got \(normalisation.mean.count)")
            }
            if !normalisation.std.isEmpty && normalisation.std.count != dimension {
                throw fail("norm_std", "must have \(dimension) values or none, got \(normalisation.std.count)")
            }
            if let bad = normalisation.std.firstIndex(where: { !($0 > 0) }) {
                throw fail("norm_std", "values must be > 0, got \(normalisation.std[bad]) at index \(bad)")
            }
        case .sliding:
            try positive("cmvn_window", normalisation.windowFrames)
            try positive("cmvn_variance_floor", normalisation.varianceFloor)
        }
    }

    /// `mel_high_hz` resolved: 0 → Nyquist, negative → Nyquist + value.
    public var resolvedMelHighHertz: Double { mel.highHertz > 0 ? mel.highHertz : nyquist + mel.highHertz }
    /// `band_high_hz` resolved: 0 → Nyquist, negative → Nyquist + value.
    public var resolvedBandHighHertz: Double { bands.highHertz > 0 ? bands.highHertz : nyquist + bands.highHertz }
}
