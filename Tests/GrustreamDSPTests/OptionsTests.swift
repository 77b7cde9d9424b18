import GrustreamDSP
import Testing

@Suite("options")
struct OptionsTests {
    static func message(_ edit: (inout FeatureOptions) -> Void) -> FeatureConfigError? {
        var o = FeatureOptions()
        edit(&o)
        do {
            _ = try FeatureExtractor(options: o)
            return nil
        } catch let error as FeatureConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func rejectsBadValuesNamingTheKey() {
        let cases: [(String, (inout FeatureOptions) -> Void)] = [
            ("features.frame_ms", { $0.frame.frameMilliseconds = -1 }),
            ("features.hop_ms", { $0.frame.hopMilliseconds = 0 }),
            ("features.sample_rate", { $0.sampleRate = 0 }),
            ("features.channels", { $0.channels = 0 }),
            ("features.mel_bins", { $0.mel.bins = 0 }),
            ("features.mel_high_hz", { $0.mel.highHertz = 9000 }),
            ("features.coefficients", { $0.cepstrum.coefficients = 40 }),
            ("features.fft_length", { $0.spectrum.fftLength = 256 }),
            ("features.window_samples", { $0.window.windowSamples = 1000 }),
            ("features.preemphasis", { $0.frame.preemphasis = 1.5 }),
            ("features.delta_order", { $0.delta.order = 3 }),
            ("features.norm_mean", { $0.normalisation.mode = .global }),
            (
                "features.cmvn_window",
                {
                    $0.normalisation.mode = .sliding; $0.normalisation.windowFrames = 0
                }
            ),
            (
                "features.band_low_hz",
                {
                    $0.kind = .bands; $0.bands.spacing = .log
                }
            ),
            (
                "features.raw_decimation",
                {
                    $0.kind = .raw; $0.raw.decimation = 0
                }
            ),
            ("features.input_scale", { $0.frame.inputScale = 0 }),
        ]
        for (key, edit) in cases {
            let error = Self.message(edit)
            #expect(error?.key == key, "expected an error naming \(key), got \(String(describing: error))")
            #expect(error?.description.hasPrefix(key + " ") == true, "\(String(describing: error))")
        }
        #expect(
            Self.message { $0.frame.frameMilliseconds = -1 }?.description == "features.frame_ms must be > 0, got -1.0")
    }

    @Test func defaultIsTheKaldiMFCCPreset() throws {
        #expect(FeatureOptions() == .preset(.kaldi, kind: .mfcc, sampleRate: 16000))
        let o = FeatureOptions()
        #expect(o.frameLength == 400 && o.hopLength == 160 && o.fftLength == 512 && o.dimension == 13)
        #expect(FeatureOptions.preset(.kaldi, kind: .mfcc, sampleRate: 8000).fftLength == 256)
    }

    @Test func everyPresetIsValid() throws {
        for convention in FeatureConvention.allCases {
            for kind in FeatureKind.allCases {
                for rate in [8000.0, 16000, 22050, 44100] {
                    let o = FeatureOptions.preset(convention, kind: kind, sampleRate: rate)
                    let e = try FeatureExtractor(options: o)
                    #expect(e.dimension == o.dimension && e.dimension > 0)
                }
            }
        }
        #expect(FeatureOptions.preset(.librosa, kind: .mfcc, sampleRate: 22050).dimension == 20)
        #expect(FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 22050).dimension == 128)
        #expect(FeatureOptions.preset(.librosa, kind: .spectrum, sampleRate: 22050).dimension == 1025)
    }

    @Test func listingNamesEveryOptionOnce() {
        let keys = FeatureOptions().listing.map(\.key)
        #expect(Set(keys).count == keys.count)
        for key in [
            "frame_ms", "hop_ms", "edges", "window", "mel_bins", "coefficients", "use_energy", "delta_order",
            "normalisation", "band_spacing", "raw_decimation", "input_scale", "dither_seed",
        ] {
            #expect(keys.contains(key), "missing \(key)")
        }
        #expect(FeatureOptions().description.contains("features.frame_ms = 25.0"))
    }
}
