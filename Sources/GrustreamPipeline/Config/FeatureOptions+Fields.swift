import GrustreamDSP

/// `[features]`: flat keys, as `grustream features --print-options` lists them. `convention` and `kind`
/// choose a preset first (kaldi-native-fbank or librosa defaults); the other keys then override it.
extension FeatureOptions {
    private static let samples = Double(Limits.maximumFrameSamples)
    private static let filters = Double(Limits.maximumFilters)

    public static let fields: [OptionField<FeatureOptions>] = [
        .number(
            "sample_rate", \.sampleRate, "input sample rate, Hz (default: the source's)",
            .positive(upTo: Limits.maximumSampleRateHertz)),
        .integer("channels", \.channels, "interleaved input channels", .within(1, 64)),
        .number(
            "frame_ms", \.frame.frameMilliseconds, "frame length, ms (used when frame_samples = 0)",
            .positive(upTo: Limits.maximumFrameMilliseconds)),
        .number(
            "hop_ms", \.frame.hopMilliseconds, "hop between frames, ms (used when hop_samples = 0)",
            .positive(upTo: Limits.maximumFrameMilliseconds)),
        .integer(
            "frame_samples", \.frame.frameSamples, "frame length in samples; 0: from frame_ms", .within(0, samples)),
        .integer("hop_samples", \.frame.hopSamples, "hop in samples; 0: from hop_ms", .within(0, samples)),
        .choice("edges", \.frame.edges, "snip (Kaldi snip_edges) | center (librosa center=True, zero padding)"),
        .number(
            "input_scale", \.frame.inputScale, "samples in [-1, 1) are multiplied by this (Kaldi: 32768)", .positive),
        .number("dither", \.frame.dither, "dither amplitude (0: off)", .nonNegative),
        .custom(
            "dither_seed", "seed of the dither generator",
            apply: { options, value, path in
                guard case .integer(let i) = value, i >= 0 else {
                    throw OptionField<FeatureOptions>.mismatch(path, value, "an integer ≥ 0")
                }
                options.frame.ditherSeed = UInt64(i)
            }, render: { String($0.frame.ditherSeed) }),
        .bool("remove_dc_offset", \.frame.removeDCOffset, "subtract each frame's mean"),
        .number("preemphasis", \.frame.preemphasis, "pre-emphasis coefficient (0: off)", .within(0, 1)),
        .choice("window", \.window.kind, "rectangular | hann | hamming | povey | blackman"),
        .bool("window_periodic", \.window.periodic, "periodic (true) or symmetric window"),
        .integer(
            "window_samples", \.window.windowSamples, "window length centred in the frame; 0: the frame",
            .within(0, samples)),
        .number("blackman_coefficient", \.window.blackmanCoefficient, "Blackman window coefficient"),
        .integer(
            "fft_length", \.spectrum.fftLength, "FFT size (zero padding); 0: next power of two ≥ frame",
            .within(0, samples)),
        .choice("spectrum", \.spectrum.scale, "power | magnitude"),
        .bool(
            "fft_truncate", \.spectrum.truncate,
            "a frame longer than fft_length keeps its first fft_length samples (sonopy)"),
        .bool("spectrum_normalise", \.spectrum.normalise, "divide the spectrum by the FFT length (sonopy)"),
        .integer("mel_bins", \.mel.bins, "mel filters (≤ fft_length / 2 + 1)", .within(1, filters)),
        .number("mel_low_hz", \.mel.lowHertz, "lowest mel filter edge, Hz", .nonNegative),
        .number("mel_high_hz", \.mel.highHertz, "highest mel filter edge, Hz (0: Nyquist; negative: Nyquist + value)"),
        .choice("mel_scale", \.mel.scale, "htk | slaney"),
        .choice(
            "mel_triangles", \.mel.triangles, "kaldi (triangles in mel) | librosa (triangles in Hz) | sonopy (Precise)"),
        .choice("mel_norm", \.mel.norm, "none | slaney (area normalisation)"),
        .choice("log", \.log.scale, "none | natural | decibel"),
        .number("log_floor", \.log.floor, "natural log floor", .positive),
        .number("db_amin", \.log.amin, "decibel: amin", .positive),
        .number("db_reference", \.log.reference, "decibel: ref", .positive),
        .integer("coefficients", \.cepstrum.coefficients, "cepstral coefficients kept (MFCC)", .within(1, filters)),
        .number("lifter", \.cepstrum.lifter, "cepstral lifter (0: off)", .nonNegative),
        .bool("use_energy", \.energy.useEnergy, "replace c0 by the log energy (Kaldi)"),
        .bool("raw_energy", \.energy.rawEnergy, "energy before pre-emphasis and window (Kaldi)"),
        .number("energy_floor", \.energy.energyFloor, "energy floor (0: none)", .nonNegative),
        .bool("energy_from_spectrum", \.energy.fromSpectrum, "energy = ln Σ spectrum bins (sonopy c0)"),
        .integer("band_count", \.bands.count, "sensor bands per channel", .within(1, filters)),
        .number("band_low_hz", \.bands.lowHertz, "lowest band edge, Hz", .nonNegative),
        .number("band_high_hz", \.bands.highHertz, "highest band edge, Hz (0: Nyquist)"),
        .choice("band_spacing", \.bands.spacing, "linear | log"),
        .integer("raw_decimation", \.raw.decimation, "raw: average this many frames into one", .within(1, samples)),
        .integer("delta_order", \.delta.order, "0 | 1 (deltas) | 2 (deltas and delta-deltas)", .within(0, 2)),
        .integer(
            "delta_window", \.delta.window, "delta regression half-width N (window 2N+1)",
            .within(1, Double(Limits.maximumDeltaWindow))),
        .choice("normalisation", \.normalisation.mode, "none | global (norm_mean/norm_std) | sliding (CMVN)"),
        .numbers("norm_mean", \.normalisation.mean, "per-dimension mean (global)"),
        .numbers("norm_std", \.normalisation.std, "per-dimension std (global)"),
        .integer(
            "cmvn_window", \.normalisation.windowFrames, "sliding CMVN window, frames",
            .within(1, Double(Limits.maximumCMVNWindowFrames))),
        .bool("cmvn_variance", \.normalisation.normaliseVariance, "sliding CMVN also divides by the std"),
        .number("cmvn_variance_floor", \.normalisation.varianceFloor, "sliding CMVN variance floor", .positive),
        .integer(
            "seasonal_period", \.seasonal.period, "trend + seasonal decomposition: period, frames (0: none)",
            .within(0, Double(Limits.maximumSeasonalPeriodFrames))),
        .integer(
            "seasonal_search_frames", \.seasonal.searchFrames,
            "no seasonal_period: find it from this many first frames (0: off)",
            .within(0, Double(Limits.maximumSeasonalSearchFrames))),
        .number("seasonal_smoothing", \.seasonal.smoothing, "seasonal estimate's EMA factor", .positive(upTo: 1)),
        .number(
            "seasonal_min_correlation", \.seasonal.minCorrelation, "autocorrelation a found period must exceed",
            .within(0, 0.999)),
        .bool("seasonal_keep_input", \.seasonal.keepInput, "output the vector and its remainders (twice the values)"),
    ]

    /// Decode a `[features]` table: preset from `convention` + `kind` at `sample_rate` (default `defaultRate`),
    /// then every other key. The result is validated; errors name `path.key`.
    public static func decode(_ value: ConfigValue?, defaultRate: Double, path: String = "features") throws
        -> FeatureOptions
    {
        var convention = FeatureConvention.kaldi
        var kind = FeatureKind.mfcc
        var rate = defaultRate
        var rest: [(String, ConfigValue)] = []
        if let value {
            guard let entries = value.tableEntries else {
                throw OptionField<FeatureOptions>.mismatch(path, value, "a table")
            }
            for (key, child) in entries {
                switch key {
                case "convention", "kind":
                    let allowed =
                        key == "kind"
                        ? FeatureKind.allCases.map(\.rawValue) : FeatureConvention.allCases.map(\.rawValue)
                    guard case .string(let s) = child, allowed.contains(s) else {
                        throw PipelineConfigError(
                            "\(path).\(key) = \(child.literal) is not allowed; expected one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))"
                        )
                    }
                    if key == "kind" {
                        kind = FeatureKind(rawValue: s)!
                    } else {
                        convention = FeatureConvention(rawValue: s)!
                    }
                case "sample_rate":
                    var probe = FeatureOptions()
                    try OptionTable.apply(.table([(key, child)]), to: &probe, fields: fields, path: path)
                    rate = probe.sampleRate
                default: rest.append((key, child))
                }
            }
        }
        var options = FeatureOptions.preset(convention, kind: kind, sampleRate: rate)
        try OptionTable.apply(.table(rest), to: &options, fields: fields, path: path)
        do { try options.validate() } catch let error as FeatureConfigError {
            throw PipelineConfigError(error.description.replacingOccurrences(of: "features.", with: "\(path)."))
        }
        return options
    }

    /// Every option with its value, for `--print-options` and start-up logs.
    public func describeFields() -> [(key: String, value: String, help: String)] {
        [("kind", "\"\(kind.rawValue)\"", "mfcc | fbank | spectrum | bands | raw")]
            + OptionTable.describe(self, fields: Self.fields)
            + [
                ("(dimension)", String(dimension), "values per feature vector (derived)"),
                ("(frame_length)", String(frameLength), "samples per frame (derived)"),
                ("(hop_length)", String(hopLength), "samples per hop (derived)"),
                ("(fft_length)", String(fftLength), "FFT size (derived)"),
            ]
    }
}
