extension FeatureOptions {
    /// Defaults reproducing a library's convention.
    ///
    /// - `kaldi` (`mfcc`, `fbank`, `spectrum`): kaldi-native-fbank / `torchaudio.compliance.kaldi` defaults:
    ///   25 ms / 10 ms, `snip` edges, DC removal, pre-emphasis 0.97, symmetric Povey window, FFT = next power
    ///   of two (512 at 16 kHz), 23 mel bins (Kaldi triangles, 20 Hz … Nyquist), natural log floored at
    ///   FLT_EPSILON, 13 cepstra, lifter 22, raw energy; `use_energy` true for MFCC and spectrum, false for fbank;
    ///   dither 0; `input_scale` 32768 (Kaldi works on int16-range values). `spectrum` is Kaldi's
    ///   "spectrogram" (`compute-spectrogram-feats`): ln power spectrum with value 0 = raw log energy.
    /// - `librosa` (`mfcc`, `fbank` = log-mel in dB, `spectrum` = power spectrum in dB): periodic Hann,
    ///   n_fft 2048 / hop 512, `center`, Slaney mel scale and norm, 128 mel bins, 0 Hz … Nyquist,
    ///   power 2, `power_to_db(ref=1, amin=1e-10, top_db=None)`, 20 cepstra (DCT-II ortho), no lifter.
    /// - `precise` (`mfcc`, `fbank` = sonopy `mel_spec`, `spectrum` = `power_spec`): Mycroft Precise / sonopy, see
    ///   `applyPrecise()` (FeatureOptions+Precise.swift).
    /// - `bands` and `raw` (sensor kinds; the convention is ignored): 3 channels; bands: 256-sample frames,
    ///   hop 128, DC removed, periodic Hann, 16 linear bands 0 … Nyquist, ln(max(E, 1e-10)); raw: pass-through.
    public static func preset(_ convention: FeatureConvention, kind: FeatureKind, sampleRate: Double) -> FeatureOptions
    {
        var o = FeatureOptions()
        o.kind = kind
        o.sampleRate = sampleRate
        if kind == .bands || kind == .raw || convention != .kaldi { o.frame.inputScale = 1 }
        switch kind {
        case .bands:
            o.channels = 3
            o.frame.frameSamples = 256
            o.frame.hopSamples = 128
            o.frame.preemphasis = 0
            o.window.kind = .hann
            o.window.periodic = true
            o.log.floor = 1e-10
            o.energy.useEnergy = false
            return o
        case .raw:
            o.channels = 3
            o.frame.frameSamples = 1
            o.frame.hopSamples = 1
            o.frame.removeDCOffset = false
            o.frame.preemphasis = 0
            o.log.scale = .none
            o.energy.useEnergy = false
            return o
        case .mfcc, .fbank, .spectrum:
            break
        }
        switch convention {
        case .kaldi:
            o.energy.useEnergy = kind != .fbank
        case .librosa:
            o.frame.frameSamples = 2048
            o.frame.hopSamples = 512
            o.frame.edges = .center
            o.frame.removeDCOffset = false
            o.frame.preemphasis = 0
            o.window.kind = .hann
            o.window.periodic = true
            o.mel.bins = 128
            o.mel.lowHertz = 0
            o.mel.scale = .slaney
            o.mel.triangles = .librosa
            o.mel.norm = .slaney
            o.log.scale = .decibel
            o.cepstrum.coefficients = 20
            o.cepstrum.lifter = 0
            o.energy.useEnergy = false
        case .precise:
            o.applyPrecise()
        }
        return o
    }

    /// Convenience for librosa-style sizes: frame = `nFFT` samples, window `winLength` centred in it, hop `hop`.
    public mutating func setLibrosaSizes(nFFT: Int, hop: Int, winLength: Int? = nil) {
        frame.frameSamples = nFFT
        frame.hopSamples = hop
        spectrum.fftLength = nFFT
        window.windowSamples = winLength ?? 0
    }
}
