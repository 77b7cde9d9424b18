/// Everything the streaming feature extractor needs, nested by stage (as kaldi-native-fbank's
/// `FbankOptions` holds `FrameExtractionOptions` and `MelBanksOptions`).
///
/// The default value equals `FeatureOptions.preset(.kaldi, kind: .mfcc, sampleRate: 16000)`.
/// Suggested TOML keys (flat, under `[features]`) are the `key` column of `description`.
public struct FeatureOptions: Sendable, Equatable {
    /// What one output vector holds. `features.kind`.
    public var kind: FeatureKind = .mfcc
    /// Input sample rate in Hz (samples per second per channel). `features.sample_rate`.
    public var sampleRate: Double = 16000
    /// Interleaved input channels; every channel is processed alike and the per-channel vectors are
    /// concatenated channel after channel. `features.channels`.
    public var channels: Int = 1

    public var frame = FrameOptions()
    public var window = WindowOptions()
    public var spectrum = SpectrumOptions()
    public var mel = MelOptions()
    public var log = LogOptions()
    public var cepstrum = CepstrumOptions()
    public var energy = EnergyOptions()
    public var bands = SensorBandOptions()
    public var raw = RawOptions()
    public var delta = DeltaOptions()
    public var normalisation = NormalisationOptions()
    public var seasonal = SeasonalOptions()

    public init() {}

    // MARK: derived values

    /// Samples per frame (per channel): `frame_samples`, or `frame_ms` × rate rounded down as Kaldi does
    /// (`raw`: `raw_decimation`).
    public var frameLength: Int {
        if kind == .raw { return raw.decimation }
        return frame.frameSamples > 0 ? frame.frameSamples : Self.samples(frame.frameMilliseconds, sampleRate)
    }
    /// Samples between frame starts (per channel): `hop_samples`, or `hop_ms` × rate rounded down
    /// (`raw`: `raw_decimation`).
    public var hopLength: Int {
        if kind == .raw { return raw.decimation }
        return frame.hopSamples > 0 ? frame.hopSamples : Self.samples(frame.hopMilliseconds, sampleRate)
    }
    /// Non-zero samples of the window: `window_samples`, or the whole frame; centred in the frame.
    public var windowLength: Int { window.windowSamples > 0 ? window.windowSamples : frameLength }
    /// FFT size: `fft_length`, or the next power of two ≥ the frame length (Kaldi `round_to_power_of_two`),
    /// at most 2^30 (`validate()` allows far less).
    public var fftLength: Int {
        if spectrum.fftLength > 0 { return spectrum.fftLength }
        var n = 1
        while n < frameLength && n < 1 << 30 { n <<= 1 }
        return n
    }
    /// Bins of the one-sided spectrum, `fftLength / 2 + 1`.
    public var spectrumBins: Int { fftLength / 2 + 1 }
    /// Nyquist frequency in Hz.
    public var nyquist: Double { sampleRate / 2 }

    /// Values per channel before deltas.
    public var baseDimensionPerChannel: Int {
        switch kind {
        case .mfcc: return cepstrum.coefficients
        case .fbank: return mel.bins + (energy.useEnergy ? 1 : 0)
        case .spectrum: return spectrumBins
        case .bands: return bands.count
        case .raw: return 1
        }
    }
    /// Values per vector before the decomposition: channels × per-channel values × (1 + delta order).
    public var decomposedDimension: Int { channels * baseDimensionPerChannel * (1 + delta.order) }
    /// Values per output vector: `decomposedDimension`, twice that with `seasonal_keep_input` (the vector, then
    /// its remainders).
    public var dimension: Int { decomposedDimension * (seasonal.isActive && seasonal.keepInput ? 2 : 1) }

    /// Whole samples in `milliseconds` at `rate`; `Int.max` when that is not a representable count.
    static func samples(_ milliseconds: Double, _ rate: Double) -> Int {
        let samples = (rate * milliseconds / 1000 + 1e-9).rounded(.down)
        return samples.magnitude < 0x1p62 ? Int(samples) : Int.max
    }
}

/// The kind of feature vector produced.
public enum FeatureKind: String, Sendable, CaseIterable {
    /// Mel-frequency cepstral coefficients (log mel → DCT-II → lifter; optional energy as c0).
    case mfcc
    /// Log mel filterbank energies (Kaldi "fbank", librosa log-mel spectrogram).
    case fbank
    /// The one-sided power or magnitude spectrum, with the `log` stage applied.
    case spectrum
    /// Sensor band energies: windowed FFT per channel, summed in linear or log-spaced bands, then `log`.
    case bands
    /// Samples passed through as the vector (one value per channel), optionally decimated by averaging.
    case raw
}

/// Families of defaults reproducing the libraries users train with.
public enum FeatureConvention: String, Sendable, CaseIterable {
    /// kaldi-native-fbank / `torchaudio.compliance.kaldi`.
    case kaldi
    /// `librosa.feature.melspectrogram` / `mfcc` / `power_to_db`.
    case librosa
    /// Mycroft Precise's sonopy vectoriser (`vectorizer: 2`, `sonopy.mfcc_spec`); see `FeatureOptions.preset`.
    case precise
}
