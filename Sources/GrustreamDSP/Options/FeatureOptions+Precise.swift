extension FeatureOptions {
    /// Mycroft Precise's features (`vectorizer: 2`: `sonopy.mfcc_spec(audio, rate, (1600, 800), fft_size=512,
    /// num_filt=20, num_coeffs=13)` on int16 / 32768 audio), for the `precise` convention:
    ///
    /// - frames of 100 ms (1600 samples at 16 kHz) every 50 ms, `snip` edges (only whole frames), no dither,
    ///   no DC removal, no pre-emphasis, rectangular window, `input_scale` 1;
    /// - `rfft(frame, n=512)`: numpy truncates the frame to its first 512 samples (`fft_truncate`);
    ///   power |X|² / 512 over 257 bins (`spectrum_normalise`);
    /// - 20 sonopy triangles (`mel_triangles = "sonopy"`): a grid of 22 points equally spaced in mel
    ///   (1127·ln(1 + f/700)) from 0 to the **sample rate** (16 kHz), at bins ⌊f · 257 / rate⌋, duplicates pushed
    ///   forward (see `FilterBank.sonopy`);
    /// - ln(max(E, 2.220446e-16)) (numpy float eps), DCT-II orthonormal, 13 coefficients, no lifter;
    /// - c0 replaced by ln(max(Σ power, eps)) (`energy_from_spectrum`).
    ///
    /// Other sample rates keep the 100/50 ms frames and the grid up to the sample rate, as sonopy would.
    mutating func applyPrecise() {
        frame.frameMilliseconds = 100
        frame.hopMilliseconds = 50
        frame.edges = .snip
        frame.inputScale = 1
        frame.dither = 0
        frame.removeDCOffset = false
        frame.preemphasis = 0
        window.kind = .rectangular
        spectrum.fftLength = 512
        spectrum.truncate = true
        spectrum.normalise = true
        spectrum.scale = .power
        mel.bins = 20
        mel.lowHertz = 0
        mel.highHertz = sampleRate
        mel.scale = .htk
        mel.triangles = .sonopy
        mel.norm = MelNorm.none
        log.scale = kind == .spectrum ? .none : .natural  // sonopy's power_spec is linear; mel energies are logged
        log.floor = Float(Double.ulpOfOne)
        cepstrum.coefficients = 13
        cepstrum.lifter = 0
        energy.useEnergy = kind == .mfcc
        energy.fromSpectrum = true
        energy.energyFloor = 0
    }
}
