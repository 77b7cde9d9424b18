import ArgumentParser
import Foundation
import GrustreamNeural
import GrustreamPipeline
import GrustreamTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Train a GRU or LSTM model (stacked cells + linear head) from data, with the features of a pipeline file.",
        discussion: """
            Tasks:
              classify  labelled clips in the Speech Commands layout: --data DIR with a folder of WAV clips per label \
            and _background_noise_/ (mixed into augmented clips at random SNRs). --labels picks the keyword folders; \
            other folders become _unknown_; _silence_ clips are cut from the noise. Targets: every frame (--target \
            frames, clips chained into sequences so the model runs with carried state) or the last frame of a clip.
              predict   next-frame prediction on recordings of normal operation (--data FILE_OR_DIR, repeatable: CSV, \
            raw f32le/s16le as the pipeline's [source] says, or WAV); truncated BPTT over --window frames; the end of \
            each recording is held out to calibrate the anomaly detector (log-error mean/std and a threshold).

            --cell gru (PyTorch nn.GRU, gates r, z, n) or --cell lstm (nn.LSTM, gates i, f, g, o; states h and c): \
            every other option works the same for both.

            --head last (default: the linear head on each frame's output) | mean | attention[:A] (classify with \
            --target last, or --features: the clip's frames are pooled — mean, or additive attention \
            e_t = v · tanh(W h_t + b), α = softmax over the clip, A = 16 by default — and the head is applied once; the \
            model runs in window mode over the clip's length).

            Progress goes to stderr (a live bar on a terminal, one line per epoch otherwise); a JSON summary goes to \
            stdout. Ctrl-C stops after the current batch and saves the best model so far.

            Examples:
              grustream train --task classify --pipeline pipelines/train-kws.toml --data speech_commands \\
                  --labels yes,no,up,down,left,right,stop,go --layers 2 --hidden 64 --output kws.safetensors
              grustream train --task predict --pipeline pipelines/train-vibration.toml --data normal/ \\
                  --hidden 48 --window 64 --output vibration.safetensors
            """)

    @Option(help: "classify | predict.") var task: String = "classify"
    @Option(help: "The pipeline file whose [features] (and [source], [detector]) the model is trained for.")
    var pipeline: String?
    @Option(
        help:
            "Training data: a folder of label folders (classify); recordings or folders of them (predict, repeatable).")
    var data: [String] = []
    @Option(help: "Where to write the model (.safetensors).") var output: String
    @Option(help: "Instead of --data: precomputed features .npy [sequences, steps, input] (no pipeline features).")
    var features: String?
    @Option(help: "With --features: class per frame .npy [sequences, steps] (−1: none).") var targets: String?
    @Option(help: "Keyword labels (folders), comma separated; other folders become _unknown_. Default: every folder.")
    var labels: String?
    @Option(help: "Recurrent cell: gru | lstm (PyTorch nn.GRU / nn.LSTM).") var cell = "gru"
    @Option(help: "Output head: last | mean | attention[:A] (pooling over a clip; needs --target last).")
    var head = "last"
    @Option(help: "Recurrent layers.") var layers = 2
    @Option(help: "Hidden units per layer.") var hidden = 64
    @Option(help: "Dropout between recurrent layers (0…1).") var dropout: Float = 0
    @Option(help: "Maximum epochs.") var epochs = 30
    @Option(help: "Sequences (classify) or lanes (predict) per mini-batch.") var batch = 32
    @Option(help: "Predict: frames per truncated-BPTT window.") var window = 64
    @Option(help: "adam | sgd (with --momentum).") var optimiser = "adam"
    @Option(help: "Learning rate.") var learningRate: Float = 0.003
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "L2 penalty (PyTorch weight_decay).") var weightDecay: Float = 0
    @Option(help: "L1 penalty.") var l1: Float = 0
    @Option(help: "Clip gradients to this global norm (0: off).") var clip: Float = 1
    @Option(help: "Learning-rate schedule: constant | step:EPOCHS:FACTOR | cosine[:MIN_RATE].") var schedule =
        "constant"
    @Option(help: "Early stopping: epochs without validation improvement (0: off).") var patience = 8
    @Option(help: "Held-out percentage for validation (classify: whole speakers; predict: the end of each recording).")
    var validationPercent = 10
    @Option(help: "Random seed: the same seed, data and options give the same model.") var seed: UInt64 = 1
    @Option(help: "Classify targets: frames | last.") var target = "frames"
    @Option(help: "Classify: clip length in milliseconds.") var clipMs = 1000.0
    @Option(help: "Classify: augmented copies of each training clip (0: clean only).") var augment = 2
    @Option(help: "Classify: SNR range of mixed-in noise, dB (LOW:HIGH).") var snr = "0:20"
    @Option(help: "Classify: probability of mixing noise into an augmented clip.") var noiseProbability: Float = 0.8
    @Option(help: "Classify: folder of recorded noise (WAV) mixed in like _background_noise_/ (repeatable).")
    var noiseDir: [String] = []
    @Option(help: "Classify: fraction of noisy clips given generated white/pink/brown noise instead of recorded noise.")
    var generatedNoise: Float = 0
    @Option(help: "Classify: gain range of augmented clips, dB (LOW:HIGH).") var gain = "-10:6"
    @Option(help: "Classify: time shift of augmented clips, ± milliseconds.") var shiftMs = 100.0
    @Option(help: "Classify: speed perturbation factor range (resampling: tempo and pitch; LOW:HIGH, 1:1 off).")
    var speed = "1:1"
    @Option(help: "Classify: pitch shift range in semitones for half of the augmented clips (LOW:HIGH, 0:0 off).")
    var pitch = "0:0"
    @Option(help: "Classify: probability of room reverberation (simulated impulse response) on an augmented clip.")
    var reverb: Float = 0
    @Option(help: "Classify: reverberation time range of the simulated rooms, seconds (LOW:HIGH).") var rt60 =
        "0.15:0.7"
    @Option(help: "Classify: SpecAugment time masks per augmented example, COUNT:MAX_FRAMES (0:0 off).")
    var timeMasks = "0:0"
    @Option(help: "Classify: SpecAugment band masks per augmented example, COUNT:MAX_BANDS (feature dimensions).")
    var bandMasks = "0:0"
    @Option(help: "Classify: silence clips as a percentage of training clips.") var silencePercent = 10
    @Option(help: "Classify: clips chained into one training sequence (frame targets).") var sequenceClips = 4
    @Option(help: "Predict: threshold = max(4, MARGIN × largest score on held-out normal data).") var thresholdMargin:
        Float = 1.25

    func run() throws {
        try runReportingErrors("train") {
            try userErrorsAsUsage {
                var o = TrainingOptions()
                guard let t = TrainingOptions.Task(rawValue: task) else {
                    throw ValidationError("--task \(task): expected classify or predict")
                }
                o.task = t
                guard let k = TrainingOptimiser.Kind(rawValue: optimiser) else {
                    throw ValidationError("--optimiser \(optimiser): expected adam or sgd")
                }
                o.optimiser = k
                guard let tg = TrainingOptions.Target(rawValue: target) else {
                    throw ValidationError("--target \(target): expected frames or last")
                }
                o.target = tg
                guard let c = RecurrentCell(rawValue: cell) else {
                    throw ValidationError("--cell \(cell): expected gru or lstm")
                }
                o.cell = c
                (o.pooling, o.attentionSize) = try Self.parseHead(head)
                if o.pooling != .last && (o.task != .classify || (features == nil && o.target != .last)) {
                    throw ValidationError(
                        "--head \(head) pools a clip into one decision: it needs --task classify with --target last "
                            + "(or --features)")
                }
                guard layers >= 1, hidden >= 1, epochs >= 1, batch >= 1, window >= 2 else {
                    throw ValidationError("--layers, --hidden, --epochs, --batch must be ≥ 1 and --window ≥ 2")
                }
                guard dropout >= 0 && dropout < 1 else {
                    throw ValidationError("--dropout \(dropout): expected 0 ≤ p < 1")
                }
                guard !data.isEmpty || features != nil else { throw ValidationError("--data is required") }
                (o.layers, o.hidden, o.dropout, o.epochs, o.batch, o.window) = (
                    layers, hidden, dropout, epochs, batch, window
                )
                (o.learningRate, o.momentum, o.weightDecay, o.l1, o.clip) = (
                    learningRate, momentum, weightDecay, l1, clip
                )
                (o.patience, o.validationPercent, o.seed) = (patience, validationPercent, seed)
                (o.clipMilliseconds, o.augment, o.silencePercent, o.sequenceClips) = (
                    clipMs, augment, silencePercent, sequenceClips
                )
                o.thresholdMargin = thresholdMargin
                o.labels =
                    labels.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
                    ?? []
                let snrParts = snr.split(separator: ":").compactMap { Float($0) }
                guard snrParts.count == 2, snrParts[0] <= snrParts[1] else {
                    throw ValidationError("--snr \(snr): expected LOW:HIGH in dB")
                }
                o.snrRange = snrParts[0]...snrParts[1]
                o.gainRange = try Self.range(gain, "--gain")
                o.speedRange = try Self.range(speed, "--speed")
                o.pitchRange = try Self.range(pitch, "--pitch")
                o.rt60Range = try Self.range(rt60, "--rt60")
                guard o.speedRange.lowerBound > 0.5, o.speedRange.upperBound < 2, o.rt60Range.lowerBound > 0,
                    o.rt60Range.upperBound <= 2, abs(o.pitchRange.lowerBound) <= 12, abs(o.pitchRange.upperBound) <= 12
                else {
                    throw ValidationError("--speed must lie in (0.5, 2), --rt60 in (0, 2] s, --pitch in [-12, 12]")
                }
                for (name, p) in [
                    ("--noise-probability", noiseProbability), ("--generated-noise", generatedNoise),
                    ("--reverb", reverb),
                ] where !(p >= 0 && p <= 1) {
                    throw ValidationError("\(name) \(p): expected a probability 0…1")
                }
                (o.noiseProbability, o.generatedNoiseProbability, o.reverbProbability) = (
                    noiseProbability, generatedNoise, reverb
                )
                guard shiftMs >= 0, shiftMs <= 1000 else {
                    throw ValidationError("--shift-ms \(shiftMs): expected 0…1000")
                }
                o.shiftMilliseconds = shiftMs
                o.noiseFolders = noiseDir
                (o.timeMasks, o.maxTimeMaskFrames) = try Self.counts(timeMasks, "--time-masks")
                (o.bandMasks, o.maxBandMaskWidth) = try Self.counts(bandMasks, "--band-masks")
                o.schedule = try Self.parseSchedule(schedule, epochs: epochs, rate: learningRate)
                let log = { (text: String) in FileHandle.standardError.write(Data("grustream train: \(text)\n".utf8)) }
                if let features {
                    guard let targets else { throw ValidationError("--features needs --targets") }
                    let summary = try PrecomputedFeatureTraining.run(
                        features: NPYFile.read(URL(fileURLWithPath: features)),
                        targets: NPYFile.read(URL(fileURLWithPath: targets)),
                        options: o, output: URL(fileURLWithPath: output), log: log)
                    print(
                        String(
                            decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]),
                            as: UTF8.self))
                    return
                }
                guard let pipeline else {
                    throw ValidationError("--pipeline is required (the features the model is trained for)")
                }
                let config = try PipelineLocator.load(pipeline)
                let featureSource = try TrainingFeatures(pipeline: config)
                let url = URL(fileURLWithPath: output)
                let summary: [String: Any]
                switch o.task {
                case .classify:
                    guard data.count == 1 else { throw ValidationError("classify takes one --data folder") }
                    summary = try ClassifyTraining.run(
                        dataRoot: data[0], features: featureSource, options: o, output: url, log: log)
                case .predict:
                    summary = try PredictTraining.run(
                        dataPaths: data, features: featureSource, options: o, output: url, log: log)
                }
                let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// `LOW:HIGH` with LOW ≤ HIGH.
    /// `last`, `mean`, `attention` or `attention:A` (1 ≤ A ≤ 1024; default 16).
    static func parseHead(_ text: String) throws -> (Pooling, Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let pooling = Pooling(rawValue: parts[0]), parts.count <= 2, parts.count == 1 || pooling == .attention
        else {
            throw ValidationError("--head \(text): expected last, mean, attention or attention:A")
        }
        guard parts.count == 2 else { return (pooling, 16) }
        guard let size = Int(parts[1]), (1...1024).contains(size) else {
            throw ValidationError("--head \(text): the attention width A must be 1…1024")
        }
        return (pooling, size)
    }

    static func range(_ text: String, _ name: String) throws -> ClosedRange<Float> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Float($0) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low <= high else {
            throw ValidationError("\(name) \(text): expected LOW:HIGH (numbers, LOW ≤ HIGH)")
        }
        return low...high
    }

    /// `COUNT:WIDTH`, both 0…100.
    static func counts(_ text: String, _ name: String) throws -> (Int, Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let count = parts[0], let width = parts[1], (0...100).contains(count),
            (0...100).contains(width)
        else {
            throw ValidationError("\(name) \(text): expected COUNT:WIDTH (integers 0…100)")
        }
        return (count, width)
    }

    static func parseSchedule(_ text: String, epochs: Int, rate: Float) throws -> LearningRateSchedule {
        let parts = text.split(separator: ":").map(String.init)
        switch parts.first {
        case "constant": return .constant
        case "step":
            guard parts.count == 3, let every = Int(parts[1]), let factor = Float(parts[2]) else {
                throw ValidationError("--schedule \(text): expected step:EPOCHS:FACTOR, e.g. step:10:0.5")
            }
            return .step(epochs: every, factor: factor)
        case "cosine":
            let minimum = parts.count > 1 ? Float(parts[1]) : rate * 0.01
            guard let minimum else { throw ValidationError("--schedule \(text): expected cosine or cosine:MIN_RATE") }
            return .cosine(totalEpochs: epochs, minimum: minimum)
        default:
            throw ValidationError("--schedule \(text): expected constant, step:EPOCHS:FACTOR or cosine[:MIN_RATE]")
        }
    }
}

/// Training/evaluation data problems are the user's to fix: report them as usage errors (exit status 2).
func userErrorsAsUsage(_ body: () throws -> Void) throws {
    do { try body() } catch let error as TrainingError { throw ValidationError(error.description) }
}
