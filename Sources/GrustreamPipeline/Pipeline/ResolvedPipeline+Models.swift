import Foundation
import GrustreamDSP
import GrustreamNeural

/// One more model of an ensemble (`[model] ensemble`): run beside the pipeline's model on the same features, its
/// posteriors averaged with the others' before the detector.
public struct EnsembleMember: @unchecked Sendable {
    public let model: GRUModel
    public let url: URL
    /// Activation applied after the network (`none` unless the member has none and the pipeline asks for one).
    public let outputActivation: OutputActivation
}

extension ResolvedPipeline {
    /// A pipeline with `[[models]]`: each entry resolved as a pipeline of its own (the file's `[features]` and
    /// `[detector]` under the entry's keys), then checked against the others: one input serves all, so every model
    /// reads it at the same rate and channel count. The first entry is the pipeline; the others its `companions`.
    static func resolveModels(_ config: PipelineConfig) throws -> ResolvedPipeline {
        let file = config.file?.path ?? config.name
        var lanes: [ResolvedPipeline] = []
        for (index, entry) in config.models.enumerated() {
            var single = config
            single.models = []
            single.gate = nil
            single.model = entry.model
            single.featuresTable = PipelineConfig.overlay(config.featuresTable, entry.featuresTable)
            single.featuresGiven = single.featuresTable != nil
            single.detectorTable = PipelineConfig.overlay(config.detectorTable, entry.detectorTable)
            let where_ = "models[\(index)] (\(entry.displayName))"
            var lane: ResolvedPipeline
            do {
                if let table = single.detectorTable {
                    var detector = DetectorOptions()
                    try DetectorOptions.apply(table, to: &detector, path: "\(where_).detector")
                    single.detector = detector
                }
                lane = try ResolvedPipeline(config: single)
            } catch let error as PipelineConfigError {
                let text =
                    error.description.hasPrefix(file)
                    ? String(error.description.dropFirst(file.count + 2)) : error.description
                throw PipelineConfigError("\(file): \(where_): \(text)")
            }
            lane.modelName = entry.displayName
            lane.gated = entry.gated
            if let first = lanes.first {
                if lane.features.sampleRate != first.features.sampleRate
                    || lane.features.channels != first.features.channels
                {
                    throw PipelineConfigError(
                        "\(file): \(where_): features at \(Int(lane.features.sampleRate)) Hz, \(lane.features.channels) channel(s), but \(first.modelName!)'s at \(Int(first.features.sampleRate)) Hz, \(first.features.channels) channel(s); one input serves every model: give them the same features.sample_rate and channels"
                    )
                }
            }
            lanes.append(lane)
        }
        var primary = lanes.removeFirst()
        primary.companions = lanes
        primary.gate = config.gate
        primary.multiModelConfig = config
        return primary
    }

    /// What `grustream check` says of a valid pipeline: each model, its features and detector.
    public var checkSummary: String {
        lanes.map { lane in
            (lane.modelName.map { "\($0): " } ?? "") + lane.model.summary
                + (lane.ensemble.isEmpty ? "" : " + an ensemble of \(lane.ensemble.count) more")
                + "; features \(lane.features.kind.rawValue) × \(lane.features.dimension) at \(Int(lane.features.sampleRate)) Hz"
                + "; detector \(lane.detector.kind.rawValue)" + (lane.gated ? ", gated" : "")
        }.joined(separator: "; ")
    }

    /// `describe()` of every model of a `[[models]]` pipeline, each line under `models[i].`, then the gate.
    func describeModels() -> String {
        var lines: [String] = []
        for (index, lane) in companions.enumerated() {
            lines.append("models[\(index + 1)] (\(lane.modelName ?? "")):")
            lines.append(
                lane.describe().split(separator: "\n").filter {
                    !$0.hasPrefix("source.") && !$0.hasPrefix("sink[") && !$0.hasPrefix("runtime.")
                }.map { "  " + $0 }.joined(separator: "\n"))
        }
        if let gate {
            lines.append(OptionTable.format(OptionTable.describe(gate, fields: GateOptions.fields), prefix: "gate."))
        }
        return lines.joined(separator: "\n")
    }

    /// Every lane of the pipeline: itself, then its companions.
    public var lanes: [ResolvedPipeline] { [self] + companions }

    /// Every model file the pipeline runs (its own, the ensembles', the companions'), for the state file's hash.
    public var modelFiles: [URL] {
        lanes.flatMap { [$0.modelURL] + $0.ensemble.map(\.url) }
    }

    /// The `[model] ensemble` members, loaded and checked against the pipeline's model: the same input and output
    /// sizes, the same labels, the same posterior (activation after the network).
    static func loadEnsemble(
        config: PipelineConfig, model: GRUModel, modelURL: URL, labels: [String], mode: InferenceMode,
        outputActivation: OutputActivation
    ) throws -> [EnsembleMember] {
        guard !config.model.ensemble.isEmpty else { return [] }
        let file = config.file?.path ?? config.name
        if config.model.onlineLearning {
            throw PipelineConfigError(
                "\(file): model.ensemble: online learning trains one model; remove model.online_learning or the ensemble"
            )
        }
        if !config.runtime.stateFile.isEmpty {
            throw PipelineConfigError(
                "\(file): runtime.state_file: the hidden states of model.ensemble members are not saved; remove runtime.state_file or the ensemble"
            )
        }
        let activation = model.outputActivation == .none ? outputActivation : model.outputActivation
        return try config.model.ensemble.enumerated().map { index, path in
            let url = config.resolve(path)
            let key = "model.ensemble[\(index)] = \"\(path)\""
            let member: GRUModel
            do { member = try GRUModel.load(url) } catch let error as ModelLoadError {
                throw ModelLoadError("\(error) (\(file): \(key))")
            }
            guard member.inputSize == model.inputSize && member.outputSize == model.outputSize else {
                throw PipelineConfigError(
                    "\(file): \(key): \(url.lastPathComponent) reads \(member.inputSize) and gives \(member.outputSize) values per frame, \(modelURL.lastPathComponent) \(model.inputSize) and \(model.outputSize); an ensemble's models read the same features and give the same outputs"
                )
            }
            if !member.labels.isEmpty && config.model.labels.isEmpty && member.labels != labels {
                throw PipelineConfigError(
                    "\(file): \(key): \(url.lastPathComponent) has labels \(member.labels), \(modelURL.lastPathComponent) \(labels); an ensemble averages models trained for the same labels"
                )
            }
            if mode == .carry && member.bidirectional {
                throw PipelineConfigError(
                    "\(file): \(key): \(url.lastPathComponent) is bidirectional and cannot run in carry mode")
            }
            let memberActivation: OutputActivation = member.outputActivation == .none ? activation : .none
            guard (member.outputActivation == .none ? memberActivation : member.outputActivation) == activation else {
                throw PipelineConfigError(
                    "\(file): \(key): \(url.lastPathComponent) applies \(member.outputActivation.rawValue), \(modelURL.lastPathComponent) \(activation.rawValue); an ensemble averages the same kind of posterior"
                )
            }
            return EnsembleMember(model: member, url: url, outputActivation: memberActivation)
        }
    }
}
