/// Everything `grustream train` can set, with its default.
public struct TrainingOptions: Sendable {
    public enum Task: String, Sendable, CaseIterable { case classify, predict }
    /// Classify targets: every frame (streaming models; clips are chained into sequences) or the last frame of a clip.
    public enum Target: String, Sendable, CaseIterable { case frames, last }

    public var task: Task = .classify
    /// The recurrent cell: GRU (`nn.GRU`) or LSTM (`nn.LSTM`).
    public var cell = RecurrentCell.gru
    /// The head: on every frame's output (`last`), or on a clip's outputs pooled by their mean or by attention
    /// (classify, last-frame target; the model runs in window mode over the clip).
    public var pooling = Pooling.last
    /// Width A of the attention projection (`pooling` = `attention`).
    public var attentionSize = 16
    /// Recurrent layers and hidden units per layer.
    public var layers = 2
    public var hidden = 64
    public var dropout: Float = 0
    public var epochs = 30
    /// Sequences (classify) or lanes (predict) per optimiser step.
    public var batch = 32
    /// Predict: frames per truncated-BPTT window (the hidden state is carried from window to window).
    public var window = 64
    public var optimiser = TrainingOptimiser.Kind.adam
    public var learningRate: Float = 0.003
    public var momentum: Float = 0.9
    /// L2 (PyTorch `weight_decay`) and L1 penalty coefficients.
    public var weightDecay: Float = 0
    public var l1: Float = 0
    /// Maximum global gradient norm (0: no clipping).
    public var clip: Float = 1
    public var schedule = LearningRateSchedule.constant
    /// Stop when the validation loss has not improved for this many epochs (0: never).
    public var patience = 8
    /// Percentage of the data held out for validation (classify: by speaker, hashed; predict: each recording's end).
    public var validationPercent = 10
    public var seed: UInt64 = 1

    // Classify data.
    public var target = Target.frames
    /// Keyword labels (folders); other folders become `_unknown_`. Empty: every folder is a label.
    public var labels: [String] = []
    /// Clip length (milliseconds): shorter clips are padded with zeros, longer ones cut.
    public var clipMilliseconds = 1000.0
    /// Augmented copies of each training clip (noise at random SNR, gain, time shift).
    public var augment = 2
    /// Probability of mixing background noise into an augmented clip, and its SNR range (dB).
    public var noiseProbability: Float = 0.8
    public var snrRange: ClosedRange<Float> = 0...20
    /// Gain range (dB) and time shift (milliseconds, ±) of augmented clips.
    public var gainRange: ClosedRange<Float> = -10...6
    public var shiftMilliseconds = 100.0
    /// `_silence_` clips cut from the background noise, as a percentage of the training clips.
    public var silencePercent = 10
    /// Clips chained into one training sequence (frame targets), so the model learns to run with carried state.
    public var sequenceClips = 4
    /// Frames after the end of a word that carry its label (frame targets).
    public var labelFramesAfter = 30
    /// Speed perturbation of augmented clips: resampling factor range (tempo and pitch together; 1…1: off).
    public var speedRange: ClosedRange<Float> = 1...1
    /// Pitch shift (semitones, duration kept) of half of the augmented clips (0…0: off).
    public var pitchRange: ClosedRange<Float> = 0...0
    /// Probability of room reverberation (a simulated impulse response) on an augmented clip; its RT60 range
    /// (seconds) and direct-to-reverberant energy ratio range (dB).
    public var reverbProbability: Float = 0
    public var rt60Range: ClosedRange<Float> = 0.15...0.7
    public var directToReverberantRange: ClosedRange<Float> = 0...12
    /// Folders of recorded noise (WAV) mixed in like `_background_noise_/`.
    public var noiseFolders: [String] = []
    /// Of the noisy augmented clips, the fraction whose noise is generated (white, pink, brown) rather than taken
    /// from the noise files (all of them when there are no files).
    public var generatedNoiseProbability: Float = 0
    /// SpecAugment-style masks on every augmented training example's normalised features: this many time masks of
    /// up to `maxTimeMaskFrames` frames and band masks of up to `maxBandMaskWidth` feature dimensions.
    public var timeMasks = 0
    public var maxTimeMaskFrames = 0
    public var bandMasks = 0
    public var maxBandMaskWidth = 0

    // Predict calibration.
    /// Threshold = max(minimum, margin × the largest smoothed score on held-out normal data).
    public var thresholdMargin: Float = 1.25
    public var minimumThreshold: Float = 4

    public init() {}

    /// The options as a JSON object, recorded in the model's metadata.
    public var metadata: [String: Any] {
        var m: [String: Any] = [
            "cell": cell.rawValue, "layers": layers, "hidden": hidden, "dropout": dropout, "epochs": epochs,
            "batch": batch,
            "optimiser": optimiser.rawValue, "learning_rate": learningRate, "weight_decay": weightDecay, "l1": l1,
            "clip": clip, "schedule": "\(schedule)", "patience": patience, "validation_percent": validationPercent,
            "seed": seed,
        ]
        if optimiser == .sgd { m["momentum"] = momentum }
        m["head"] = pooling == .attention ? "attention:\(attentionSize)" : pooling.rawValue
        switch task {
        case .classify:
            m["target"] = target.rawValue
            m["augment"] = augment
            m["snr_db"] = [snrRange.lowerBound, snrRange.upperBound]
            m["gain_db"] = [gainRange.lowerBound, gainRange.upperBound]
            m["sequence_clips"] = sequenceClips
            m["noise_probability"] = noiseProbability
            m["shift_ms"] = shiftMilliseconds
            m["speed"] = [speedRange.lowerBound, speedRange.upperBound]
            m["pitch_semitones"] = [pitchRange.lowerBound, pitchRange.upperBound]
            m["reverb"] = [
                "probability": reverbProbability, "rt60_s": [rt60Range.lowerBound, rt60Range.upperBound],
                "drr_db": [directToReverberantRange.lowerBound, directToReverberantRange.upperBound],
            ]
            m["noise_folders"] = noiseFolders
            m["generated_noise_probability"] = generatedNoiseProbability
            m["time_masks"] = [timeMasks, maxTimeMaskFrames]
            m["band_masks"] = [bandMasks, maxBandMaskWidth]
            m["clip_ms"] = clipMilliseconds
        case .predict:
            m["window"] = window
        }
        return m
    }
}
