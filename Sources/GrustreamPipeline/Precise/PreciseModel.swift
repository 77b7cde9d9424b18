import Foundation
import GrustreamDSP
import GrustreamNeural

/// A converted Mycroft Precise model (made by `scripts/convert-precise`): the GRU network, its feature options
/// (the model's `features` metadata decoded like a pipeline `[features]` table) and its `ThresholdDecoder`
/// (`precise.threshold_config` / `threshold_center` in the metadata; Precise's defaults ((6, 4)), 0.2 without).
public struct PreciseModel: Sendable {
    public let network: GRUModel
    public let features: FeatureOptions
    public let decoder: PreciseThresholdDecoder
    /// The window the network is re-run over (model mode `window:N`; Precise: 29 frames).
    public let windowFrames: Int

    public static func load(_ url: URL) throws -> PreciseModel {
        try PreciseModel(network: GRUModel.load(url))
    }

    public init(network: GRUModel) throws {
        let name = network.name
        guard case .window(let n) = network.mode else {
            throw ModelLoadError(
                "\(name): mode is \"\(network.mode)\", a Precise model runs \"window:N\" (convert it with scripts/convert-precise)"
            )
        }
        guard network.outputSize == 1 else {
            throw ModelLoadError("\(name): \(network.outputSize) outputs, a Precise model has one (Dense(1, sigmoid))")
        }
        let metadata = network.grustreamMetadata ?? [:]
        guard let featureObject = metadata["features"] else {
            throw ModelLoadError(
                "\(name): no \"features\" object in __metadata__[\"grustream\"]; convert the model with scripts/convert-precise"
            )
        }
        let table = try ConfigValue(json: featureObject, path: "features")
        do {
            features = try FeatureOptions.decode(table, defaultRate: 16000, path: "\(name): features")
        } catch let error as PipelineConfigError {
            throw ModelLoadError(error.description)
        }
        guard features.dimension == network.inputSize else {
            throw ModelLoadError(
                "\(name): the features give \(features.dimension) values per frame, the network takes \(network.inputSize)"
            )
        }
        let precise = metadata["precise"] as? [String: Any] ?? [:]
        var config = PreciseThresholdDecoder.preciseDefaults.config
        var center = PreciseThresholdDecoder.preciseDefaults.center
        if let list = precise["threshold_config"] {
            guard let pairs = list as? [[Double]], !pairs.isEmpty, pairs.allSatisfy({ $0.count == 2 && $0[1] >= 0 })
            else {
                throw ModelLoadError(
                    "\(name): precise.threshold_config is \(list), expected [[mean, std], …] with std ≥ 0")
            }
            config = pairs.map { (mean: $0[0], std: $0[1]) }
        }
        if let c = precise["threshold_center"] {
            guard let value = (c as? NSNumber)?.doubleValue, value > 0, value < 1 else {
                throw ModelLoadError("\(name): precise.threshold_center is \(c), expected a number in (0, 1)")
            }
            center = value
        }
        self.network = network
        self.windowFrames = n
        self.decoder = PreciseThresholdDecoder(meanStds: config, center: center)
    }
}

extension PreciseModel {
    /// The raw score Mycroft Precise reports before the first feature frame: its window starts as zero frames, so
    /// it is the network's output for one all-zero frame from the zero state (`mode`: the pipeline's inference
    /// mode, `activation`: an output activation the pipeline adds to the model's own).
    public static func zeroWindowRawScore(
        _ network: GRUModel, mode: InferenceMode, activation: OutputActivation
    ) throws -> Float {
        let runner = try GRURunner(model: network, mode: mode)
        var output = [Float](repeating: 0, count: max(1, network.outputSize))
        let zeros = [Float](repeating: 0, count: network.inputSize)
        zeros.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { runner.step(x, output: $0) } }
        activation.apply(&output[0], output.count)
        return output[0]
    }
}
