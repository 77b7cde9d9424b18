import Foundation
import GrustreamDSP
import GrustreamNeural

/// A pipeline file joined with its model: the model's own settings (feature options, labels, calibration,
/// inference mode, output activation) under the pipeline's overrides, checked against each other once,
/// at start. Every stream of a run is built from this.
public struct ResolvedPipeline: @unchecked Sendable {
    public let config: PipelineConfig
    public let model: GRUModel
    public let modelURL: URL
    public let features: FeatureOptions
    public let detector: DetectorOptions
    public let labels: [String]
    public let mode: InferenceMode
    /// Activation the pipeline applies after the network: the runner already applies the model's own
    /// (`output_activation` in its metadata), so this is `none` unless the pipeline asks for one that a model
    /// without an output activation lacks (a PyTorch state_dict with a plain linear head, say).
    public let outputActivation: OutputActivation
    /// `precise` detector: the model's ThresholdDecoder and the raw score of the all-zero window.
    public let preciseDecoder: PreciseThresholdDecoder?
    public let initialRawScore: Float
    /// Several models on one input (`[[models]]`): this model's name in events (nil: a single-model pipeline).
    public internal(set) var modelName: String?
    /// The pipeline's other models (on the first one only): one input and one extractor per distinct features.
    public internal(set) var companions: [ResolvedPipeline] = []
    /// This model runs only while the `gate` hears voice.
    public internal(set) var gated = false
    /// The voice-activity gate of the `gated` models (on the first one only).
    public internal(set) var gate: GateOptions?
    /// The whole pipeline file of a `[[models]]` pipeline (`config` is the first model's part of it).
    public internal(set) var multiModelConfig: PipelineConfig?
    /// `[model] ensemble`: the other models whose posteriors are averaged with this one's.
    public internal(set) var ensemble: [EnsembleMember] = []

    /// Load the model named by `[model] path` and check it against the pipeline.
    public init(config: PipelineConfig) throws {
        if !config.models.isEmpty {
            self = try Self.resolveModels(config)
            return
        }
        guard !config.model.path.isEmpty else {
            throw PipelineConfigError(
                "\(config.file?.path ?? config.name): model.path: no model given; a pipeline needs [model] path = \"….safetensors\""
            )
        }
        let url = config.resolve(config.model.path)
        let model: GRUModel
        do { model = try GRUModel.load(url) } catch let error as ModelLoadError {
            throw ModelLoadError(
                "\(error) (\(config.file?.path ?? config.name): model.path = \"\(config.model.path)\")")
        }
        try self.init(config: config, model: model, modelURL: url)
    }

    public init(config: PipelineConfig, model: GRUModel, modelURL: URL) throws {
        guard config.models.isEmpty else {
            throw PipelineConfigError(
                "\(config.file?.path ?? config.name): models: a pipeline of several models names its own models; give a single-model pipeline ([model]) with a model file"
            )
        }
        self.config = config
        self.model = model
        self.modelURL = modelURL
        let pipelineFile = config.file?.path ?? config.name
        let metadata = model.grustreamMetadata ?? [:]

        // Features: the model's (metadata "features"), then the pipeline's [features] keys on top.
        var table: [(String, ConfigValue)] = []
        if let modelFeatures = metadata["features"] {
            table = try ConfigValue(json: modelFeatures, path: "features").tableEntries ?? []
        }
        for (key, value) in config.featuresTable?.tableEntries ?? [] {
            table.removeAll { $0.0 == key }
            table.append((key, value))
        }
        do {
            features = try FeatureOptions.decode(.table(table), defaultRate: Double(config.source.rate))
        } catch let error as PipelineConfigError {
            throw PipelineConfigError("\(pipelineFile) with \(modelURL.lastPathComponent): \(error)")
        }
        if features.dimension != model.inputSize {
            let origin = config.featuresGiven ? pipelineFile : "\(modelURL.lastPathComponent) metadata"
            throw PipelineConfigError(
                "\(modelURL.lastPathComponent): the \(model.cell.displayName) reads \(model.inputSize) values per frame (\"\(model.metadata.gruPrefix)weight_ih_l0\" is [\(model.gateCount * model.hiddenSize), \(model.inputSize)]), "
                    + "but the features give \(features.dimension) (\(origin): kind \(features.kind.rawValue), \(Self.dimensionSource(features)))"
            )
        }
        let convertsAudio =
            SourceFactory.audioTarget(features) != nil && config.source.format != .csv
            && config.source.format != .jsonl
        if Int(features.sampleRate) != config.source.rate && config.source.format != .wav && !convertsAudio {
            throw PipelineConfigError(
                "\(pipelineFile): source.rate = \(config.source.rate) Hz, but the features expect \(Int(features.sampleRate)) Hz (features.sample_rate\(table.contains { $0.0 == "sample_rate" } ? "" : ", the preset default")); resample the input or change one of them"
            )
        }
        if features.channels != config.source.channels && (features.kind == .bands || features.kind == .raw) {
            throw PipelineConfigError(
                "\(pipelineFile): source.channels = \(config.source.channels), but features.channels = \(features.channels)"
            )
        }

        // Labels: the pipeline's, else the model's; one per output for classify.
        labels = config.model.labels.isEmpty ? model.labels : config.model.labels

        // Mode and activation.
        switch config.model.mode {
        case .fromModel: mode = model.mode
        case .carry: mode = .carry
        case .window(let n): mode = .window(n)
        }
        if mode == .carry && model.bidirectional {
            throw PipelineConfigError(
                "\(modelURL.lastPathComponent): a bidirectional GRU cannot run in carry mode (its reverse direction needs future frames); set [model] mode = \"window:N\""
            )
        }
        let wanted: OutputActivation?
        switch config.model.outputActivation {
        case .fromModel: wanted = nil
        case .none: wanted = OutputActivation.none
        case .sigmoid: wanted = .sigmoid
        case .softmax: wanted = .softmax
        }
        if let wanted, wanted != model.outputActivation {
            guard model.outputActivation == .none else {
                throw PipelineConfigError(
                    "\(pipelineFile): model.output_activation = \"\(wanted.rawValue)\", but \(modelURL.lastPathComponent) already applies \(model.outputActivation.rawValue) (its metadata); remove the override"
                )
            }
            outputActivation = wanted
        } else {
            outputActivation = .none
        }

        // Detector: kind from the pipeline, else from the model's task; the model's calibration under the pipeline's keys.
        var detectorTable: [(String, ConfigValue)] = []
        let task = model.metadata.task ?? (metadata["task"] as? String)
        if config.detectorTable?["kind"] == nil, task == "predict" {
            detectorTable.append(("kind", .string("anomaly")))
        }
        var kindProbe = DetectorOptions()
        let pipelineEntries = config.detectorTable?.tableEntries ?? []
        try DetectorOptions.apply(
            .table(detectorTable + pipelineEntries.filter { $0.0 == "kind" }), to: &kindProbe, path: "detector")
        if let calibration = metadata["detector"] {
            let allowed = Set(
                kindProbe.kind == .classify ? ClassifyOptions.fields.map(\.key) : AnomalyOptions.fields.map(\.key))
            let zscoreThreshold = (pipelineEntries.first { $0.0 == "score" }?.1).map { $0 == .string("zscore") } ?? true
            for (key, value) in try ConfigValue(json: calibration, path: "detector").tableEntries ?? []
            where allowed.contains(key) && (key != "threshold" || zscoreThreshold) {
                detectorTable.append((key, value))
            }
        }
        for (key, value) in pipelineEntries {
            detectorTable.removeAll { $0.0 == key }
            detectorTable.append((key, value))
        }
        var detector = DetectorOptions()
        try DetectorOptions.apply(.table(detectorTable), to: &detector, path: "detector")
        self.detector = detector
        if detector.scoresAttention && model.pooling != .attention {
            throw PipelineConfigError(
                "\(pipelineFile): detector.scores_attention = true needs a model with attention pooling; "
                    + "\(modelURL.lastPathComponent) pools by \(model.pooling.rawValue) (train it with --head attention)")
        }
        if detector.kind == .precise {
            preciseDecoder = try PreciseModel(network: model).decoder
            initialRawScore = try PreciseModel.zeroWindowRawScore(model, mode: mode, activation: outputActivation)
        } else {
            preciseDecoder = nil
            initialRawScore = 0
        }
        if detector.kind == .classify {
            guard !labels.isEmpty else {
                throw PipelineConfigError(
                    "\(modelURL.lastPathComponent): the classify detector needs a label per output, but the model has none; set [model] labels = [ … ] (\(model.outputSize) names)"
                )
            }
            guard labels.count == model.outputSize else {
                throw PipelineConfigError(
                    "\(pipelineFile): \(labels.count) labels for \(model.outputSize) model outputs (\(modelURL.lastPathComponent))"
                )
            }
        }
        ensemble = try Self.loadEnsemble(
            config: config, model: model, modelURL: modelURL, labels: labels, mode: mode,
            outputActivation: outputActivation)
    }

    /// Seconds between frames.
    public var hopSeconds: Double { Double(features.hopLength) / features.sampleRate }

    /// One detector for one stream.
    public func makeDetector() throws -> Detector { try makeDetector(options: detector) }

    /// One detector with other options of the same kind (an evaluation's threshold sweep).
    public func makeDetector(options detector: DetectorOptions) throws -> Detector {
        switch detector.kind {
        case .classify: return try ClassifyDetector(labels: labels, options: detector.classify, hopSeconds: hopSeconds)
        case .anomaly:
            return try AnomalyDetector(
                inputSize: model.inputSize, outputSize: model.outputSize, options: detector.anomaly,
                hopSeconds: hopSeconds)
        case .precise:
            return try PreciseDetector(
                labels: labels, options: detector.precise, decoder: preciseDecoder!,
                sampleRate: features.sampleRate, hopSamples: features.hopLength, frameSamples: features.frameLength,
                initialRawScore: initialRawScore)
        }
    }

    /// What part of the options sets the dimension, for messages.
    static func dimensionSource(_ f: FeatureOptions) -> String {
        switch f.kind {
        case .mfcc:
            "features.coefficients = \(f.cepstrum.coefficients)"
                + (f.delta.order > 0 ? " × \(f.delta.order + 1) with deltas" : "")
        case .fbank:
            "features.mel_bins = \(f.mel.bins)" + (f.delta.order > 0 ? " × \(f.delta.order + 1) with deltas" : "")
        case .spectrum: "fft_length / 2 + 1 = \(f.fftLength / 2 + 1)"
        case .bands: "features.band_count = \(f.bands.count) × \(f.channels) channels"
        case .raw: "\(f.channels) channels"
        }
    }

    /// Every setting in force, for `check`, `--print-options` and the start-up log.
    public func describe() -> String {
        var resolved = config
        resolved.features = features
        resolved.detector = detector
        let header = modelName.map { "models[0] (\($0)):\n" } ?? ""
        let others = companions.isEmpty && gate == nil ? "" : "\n" + describeModels()
        return header + resolved.describe() + "\n"
            + "model: \(model.summary)\nmodel.labels (resolved) = \(labels)\nmodel.mode (resolved) = \(mode)\nmodel.output_activation (resolved) = \(model.outputActivation == .none ? outputActivation.rawValue : model.outputActivation.rawValue + " (in the model)")"
            + others
    }
}
