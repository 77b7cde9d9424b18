extension FeatureOptions: CustomStringConvertible {
    /// Every option as (snake_case key under `[features]`, value), in a stable order: what
    /// `grustream features --print-options` prints and the keys the pipeline file uses.
    public var listing: [(key: String, value: String)] {
        func list(_ values: [Float]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        return [
            ("kind", kind.rawValue),
            ("sample_rate", "\(sampleRate)"),
            ("channels", "\(channels)"),
            ("frame_ms", "\(frame.frameMilliseconds)"),
            ("hop_ms", "\(frame.hopMilliseconds)"),
            ("frame_samples", "\(frame.frameSamples)"),
            ("hop_samples", "\(frame.hopSamples)"),
            ("edges", frame.edges.rawValue),
            ("input_scale", "\(frame.inputScale)"),
            ("dither", "\(frame.dither)"),
            ("dither_seed", "\(frame.ditherSeed)"),
            ("remove_dc_offset", "\(frame.removeDCOffset)"),
            ("preemphasis", "\(frame.preemphasis)"),
            ("window", window.kind.rawValue),
            ("window_periodic", "\(window.periodic)"),
            ("window_samples", "\(window.windowSamples)"),
            ("blackman_coefficient", "\(window.blackmanCoefficient)"),
            ("fft_length", "\(spectrum.fftLength)"),
            ("spectrum", spectrum.scale.rawValue),
            ("fft_truncate", "\(spectrum.truncate)"),
            ("spectrum_normalise", "\(spectrum.normalise)"),
            ("mel_bins", "\(mel.bins)"),
            ("mel_low_hz", "\(mel.lowHertz)"),
            ("mel_high_hz", "\(mel.highHertz)"),
            ("mel_scale", mel.scale.rawValue),
            ("mel_triangles", mel.triangles.rawValue),
            ("mel_norm", mel.norm.rawValue),
            ("log", log.scale.rawValue),
            ("log_floor", "\(log.floor)"),
            ("db_amin", "\(log.amin)"),
            ("db_reference", "\(log.reference)"),
            ("coefficients", "\(cepstrum.coefficients)"),
            ("lifter", "\(cepstrum.lifter)"),
            ("use_energy", "\(energy.useEnergy)"),
            ("raw_energy", "\(energy.rawEnergy)"),
            ("energy_floor", "\(energy.energyFloor)"),
            ("energy_from_spectrum", "\(energy.fromSpectrum)"),
            ("band_count", "\(bands.count)"),
            ("band_low_hz", "\(bands.lowHertz)"),
            ("band_high_hz", "\(bands.highHertz)"),
            ("band_spacing", bands.spacing.rawValue),
            ("raw_decimation", "\(raw.decimation)"),
            ("delta_order", "\(delta.order)"),
            ("delta_window", "\(delta.window)"),
            ("normalisation", normalisation.mode.rawValue),
            ("norm_mean", list(normalisation.mean)),
            ("norm_std", list(normalisation.std)),
            ("cmvn_window", "\(normalisation.windowFrames)"),
            ("cmvn_variance", "\(normalisation.normaliseVariance)"),
            ("cmvn_variance_floor", "\(normalisation.varianceFloor)"),
            // Derived values, for the reader (not settable).
            ("(frame_length)", "\(frameLength)"),
            ("(hop_length)", "\(hopLength)"),
            ("(fft_length)", "\(fftLength)"),
            ("(dimension)", "\(dimension)"),
        ]
    }

    /// One `features.key = value` line per option.
    public var description: String {
        listing.map { "features.\($0.key) = \($0.value)" }.joined(separator: "\n")
    }
}
