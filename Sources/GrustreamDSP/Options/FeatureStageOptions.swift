/// Framing and per-frame time-domain processing (Kaldi `FrameExtractionOptions`).
public struct FrameOptions: Sendable, Equatable {
    /// Frame length in milliseconds (used when `frame_samples` is 0). `features.frame_ms`.
    public var frameMilliseconds: Double = 25
    /// Hop between frame starts in milliseconds (used when `hop_samples` is 0). `features.hop_ms`.
    public var hopMilliseconds: Double = 10
    /// Frame length in samples; 0 means "from `frame_ms`". `features.frame_samples`.
    public var frameSamples: Int = 0
    /// Hop in samples; 0 means "from `hop_ms`". `features.hop_samples`.
    public var hopSamples: Int = 0
    /// `snip`: frames lie wholly inside the signal (Kaldi `snip_edges=true`); `center`: frame t is centred on
    /// sample t·hop, with frame/2 zeros before the signal and after it at the end of the stream
    /// (librosa `center=True, pad_mode="constant"`). Ignored by `raw`. `features.edges`.
    public var edges: FrameEdges = .snip
    /// Multiplier applied to incoming samples (floats in [-1, 1)) before anything else. Kaldi works on
    /// int16-range values, hence the default 32768 (exact in float: the frame holds the int16 values);
    /// librosa and the sensor presets use 1. `features.input_scale`.
    public var inputScale: Float = 32768
    /// Gaussian dither amplitude, in scaled-input units (0 = off). Seeded per frame: chunk-independent.
    /// `features.dither`.
    public var dither: Float = 0
    /// Seed of the dither generator (frame t uses a generator seeded from (seed, t)). `features.dither_seed`.
    public var ditherSeed: UInt64 = 0
    /// Subtract each frame's mean before anything else (after dither). `features.remove_dc_offset`.
    public var removeDCOffset: Bool = true
    /// Pre-emphasis coefficient, applied within each frame as Kaldi does:
    /// `x[i] -= c·x[i-1]` for i ≥ 1, `x[0] -= c·x[0]`; 0 = off. `features.preemphasis`.
    public var preemphasis: Float = 0.97
    public init() {}
}

public enum FrameEdges: String, Sendable, CaseIterable {
    case snip
    case center
}

/// The analysis window, `window_samples` long, centred in the frame (zeros outside).
public struct WindowOptions: Sendable, Equatable {
    /// Window shape. `features.window`.
    public var kind: WindowKind = .povey
    /// Periodic (DFT-even, denominator N, scipy `fftbins=True`, librosa) instead of symmetric
    /// (denominator N−1, Kaldi). `features.window_periodic`.
    public var periodic: Bool = false
    /// Non-zero length of the window in samples; 0 = the whole frame. librosa's `win_length`
    /// (the frame is then `n_fft` long). `features.window_samples`.
    public var windowSamples: Int = 0
    /// Blackman's a0 (0.42 is the classic Blackman window). `features.blackman_coefficient`.
    public var blackmanCoefficient: Double = 0.42
    public init() {}
}

public enum WindowKind: String, Sendable, CaseIterable {
    case rectangular, hann, hamming, povey, blackman
}

/// The FFT and the spectrum taken from it.
public struct SpectrumOptions: Sendable, Equatable {
    /// FFT size in samples (the frame is zero-padded at its end up to it); 0 = next power of two ≥ the frame.
    /// `features.fft_length`.
    public var fftLength: Int = 0
    /// `power` (|X|²) or `magnitude` (|X|). `features.spectrum`.
    public var scale: SpectrumScale = .power
    /// A frame longer than `fft_length` is truncated to its first `fft_length` samples (numpy
    /// `rfft(frame, n)`, as sonopy / Mycroft Precise do); false: `fft_length` must be ≥ the frame. `features.fft_truncate`.
    public var truncate: Bool = false
    /// Divide the spectrum by the FFT length (sonopy: |X|² / n_fft). `features.spectrum_normalise`.
    public var normalise: Bool = false
    public init() {}
}

public enum SpectrumScale: String, Sendable, CaseIterable {
    case power, magnitude
}

/// The mel filterbank, stored as a sparse band matrix.
public struct MelOptions: Sendable, Equatable {
    /// Number of mel filters. `features.mel_bins`.
    public var bins: Int = 23
    /// Lowest filter edge in Hz. `features.mel_low_hz`.
    public var lowHertz: Double = 20
    /// Highest filter edge in Hz; 0 = Nyquist, negative = Nyquist + value (Kaldi). `features.mel_high_hz`.
    public var highHertz: Double = 0
    /// Mel scale: `htk` (2595·log10(1 + f/700); Kaldi's 1127·ln(1 + f/700) gives the same filters)
    /// or `slaney` (linear below 1 kHz, logarithmic above; librosa's default). `features.mel_scale`.
    public var scale: MelScaleKind = .htk
    /// `kaldi`: triangles in mel over bins 0..<fft/2 (Nyquist bin excluded); `librosa`: triangles in Hz
    /// over every bin 0...fft/2. `features.mel_triangles`.
    public var triangles: MelTriangles = .kaldi
    /// `slaney`: each librosa triangle scaled by 2 / (right − left edge in Hz); `none`. `features.mel_norm`.
    public var norm: MelNorm = .none
    public init() {}
}

public enum MelScaleKind: String, Sendable, CaseIterable { case htk, slaney }
/// `sonopy`: Mycroft Precise's bank (`sonopy.filterbanks`, see `FilterBank.sonopy`).
public enum MelTriangles: String, Sendable, CaseIterable { case kaldi, librosa, sonopy }
public enum MelNorm: String, Sendable, CaseIterable { case none, slaney }

/// Compression of filterbank, spectrum and band energies.
public struct LogOptions: Sendable, Equatable {
    /// `natural`: ln(max(x, floor)); `decibel`: 10·log10(max(x, amin)) − 10·log10(max(ref, amin))
    /// (librosa `power_to_db`, no `top_db` in streaming); `none`: linear. `features.log`.
    public var scale: LogScale = .natural
    /// Floor of the natural log; Kaldi's is FLT_EPSILON = 1.1920929e-07. `features.log_floor`.
    public var floor: Float = Float.ulpOfOne
    /// Floor of the decibel scale (librosa `amin`). `features.db_amin`.
    public var amin: Float = 1e-10
    /// Reference of the decibel scale (librosa `ref`, a constant here). `features.db_reference`.
    public var reference: Float = 1
    public init() {}
}

public enum LogScale: String, Sendable, CaseIterable { case none, natural, decibel }

/// DCT-II (orthonormal) of the log mel energies and the cepstral lifter.
public struct CepstrumOptions: Sendable, Equatable {
    /// Cepstral coefficients kept (c0 ... c(n−1)). `features.coefficients`.
    public var coefficients: Int = 13
    /// Kaldi lifter Q: c_i ·= 1 + Q/2·sin(π i / Q); 0 = off. `features.lifter`.
    public var lifter: Float = 22
    public init() {}
}

/// Frame log-energy (Kaldi `use_energy`, `raw_energy`, `energy_floor`).
public struct EnergyOptions: Sendable, Equatable {
    /// MFCC: replace c0 by the log energy; fbank: prepend it as value 0; spectrum: replace the DC bin (value 0)
    /// by it, as Kaldi's spectrogram does; ignored by `bands` and `raw`. `features.use_energy`.
    public var useEnergy: Bool = true
    /// Energy of the frame after DC removal but before pre-emphasis and window (Kaldi `raw_energy`);
    /// else after the window. `features.raw_energy`.
    public var rawEnergy: Bool = true
    /// Energy floor (linear); 0 = none beyond FLT_EPSILON. `features.energy_floor`.
    public var energyFloor: Float = 0
    /// The energy is ln(max(Σ spectrum bins, log_floor)) of the (normalised) spectrum (sonopy's c0) instead of
    /// the frame's Σx². `features.energy_from_spectrum`.
    public var fromSpectrum: Bool = false
    public init() {}
}

/// Sensor band energies (`kind = "bands"`): each channel's power spectrum summed in bands.
public struct SensorBandOptions: Sendable, Equatable {
    /// Number of bands. `features.band_count`.
    public var count: Int = 16
    /// Lower edge of the first band in Hz (must be > 0 for `log` spacing). `features.band_low_hz`.
    public var lowHertz: Double = 0
    /// Upper edge of the last band in Hz; 0 = Nyquist, negative = Nyquist + value. `features.band_high_hz`.
    public var highHertz: Double = 0
    /// Edges equally spaced in Hz (`linear`) or in log Hz (`log`). Bin k (frequency k·rate/fft) belongs to band
    /// b when edge[b] ≤ f < edge[b+1] (the last band includes its upper edge). `features.band_spacing`.
    public var spacing: BandSpacing = .linear
    public init() {}
}

public enum BandSpacing: String, Sendable, CaseIterable { case linear, log }

/// Raw sensor values (`kind = "raw"`).
public struct RawOptions: Sendable, Equatable {
    /// Output one vector per `decimation` input samples: their per-channel mean (1 = pass through).
    /// `features.raw_decimation`.
    public var decimation: Int = 1
    public init() {}
}

/// Deltas and delta-deltas, Kaldi `add-deltas` convention (see `DeltaWindow`).
public struct DeltaOptions: Sendable, Equatable {
    /// 0 = none, 1 = deltas, 2 = deltas and delta-deltas. `features.delta_order`.
    public var order: Int = 0
    /// N of the regression window 2N+1. `features.delta_window`.
    public var window: Int = 2
    public init() {}
}

/// Normalisation of the final vectors (after deltas).
public struct NormalisationOptions: Sendable, Equatable {
    /// `none`; `global`: (x − mean) / std with the given arrays; `sliding`: causal running mean (and variance)
    /// over the last `cmvn_window` frames including the current one. `features.normalisation`.
    public var mode: NormalisationMode = .none
    /// Per-dimension mean (`global`), `dimension` values. `features.norm_mean`.
    public var mean: [Float] = []
    /// Per-dimension standard deviation (`global`), `dimension` values or empty (= 1). `features.norm_std`.
    public var std: [Float] = []
    /// Frames in the sliding window (`sliding`). `features.cmvn_window`.
    public var windowFrames: Int = 300
    /// Also divide by the running standard deviation (`sliding`). `features.cmvn_variance`.
    public var normaliseVariance: Bool = false
    /// Floor of the running variance (`sliding`). `features.cmvn_variance_floor`.
    public var varianceFloor: Float = 1e-10
    public init() {}
}

public enum NormalisationMode: String, Sendable, CaseIterable { case none, global, sliding }

/// Online trend + seasonal decomposition of the vectors (after deltas, before normalisation; see `SeasonalStage`):
/// each value becomes its remainder. Off unless `period` or `searchFrames` is set.
public struct SeasonalOptions: Sendable, Equatable {
    /// The period in frames (0 = none given). `features.seasonal_period`.
    public var period: Int = 0
    /// With no period given: find it from the first this many frames (lags 2 ... half of it), which pass through
    /// unchanged meanwhile (0 = off). `features.seasonal_search_frames`.
    public var searchFrames: Int = 0
    /// α of the seasonal estimate's exponential average, per phase (1 = the last period only).
    /// `features.seasonal_smoothing`.
    public var smoothing: Double = 0.25
    /// The autocorrelation a found period must exceed. `features.seasonal_min_correlation`.
    public var minCorrelation: Double = 0.3
    /// Output the vector followed by its remainders (twice the values) instead of the remainders alone.
    /// `features.seasonal_keep_input`.
    public var keepInput: Bool = false
    public init() {}

    public var isActive: Bool { period > 0 || searchFrames > 0 }
    /// Frames of each ring: the period, or the longest period the search can find.
    public var ringFrames: Int { period > 0 ? period : searchFrames / 2 }
}
