import Foundation
import GrustreamNeural
import GrustreamRuntime

/// Model files: the safetensors container, every tensor in it, then the GRU model built from it.
enum FuzzFiles {
    static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafetensorsFile(data: Data(bytes), name: "fuzz.safetensors") else { return }
        for name in file.tensorNames { _ = try? file.tensor(name) }
        _ = try? GRUModel(file: file)
    }
}

/// Pipeline files: TOML, then every check `grustream check` makes against a model (features, detector),
/// with the model loaded once from the repository's `models/` (run from the repository root, as scripts/fuzz does).
enum FuzzPipeline {
    nonisolated(unsafe) static let models: [(GRUModel, URL)] = ["kws-demo", "vibration-anomaly", "hey-mycroft-gru20"].compactMap {
        let url = URL(fileURLWithPath: "models/\($0).safetensors")
        return (try? GRUModel.load(url)).map { ($0, url) }
    }

    static func run(_ bytes: [UInt8]) {
        guard !models.isEmpty else { fuzzFailure("toml: run from the repository root (models/ not found)") }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let config = try? PipelineConfig.parse(text, file: nil, name: "fuzz") else { return }
        let (model, url) = models[bytes.count % models.count]
        guard let resolved = try? ResolvedPipeline(config: config, model: model, modelURL: url) else { return }
        _ = try? resolved.makeDetector()
    }
}
