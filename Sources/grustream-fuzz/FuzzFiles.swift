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

/// Pipeline files: the TOML bytes, then `PipelineValidation` — everything `grustream check`, start-up and reload
/// check — against a model loaded once from the repository's `models/` (run from the repository root, as
/// scripts/fuzz does). Sockets are only `stat`ed and groups looked up; nothing is bound or opened.
enum FuzzPipeline {
    static let models: [(GRUModel, URL)] = [
        "kws-demo", "vibration-anomaly", "hey-mycroft-gru20", "nab-generic",
    ].compactMap {
        let url = URL(fileURLWithPath: "models/\($0).safetensors")
        return (try? GRUModel.load(url)).map { ($0, url) }
    }

    static func run(_ bytes: [UInt8]) {
        guard models.count == 4 else { fuzzFailure("toml: run from the repository root (models/ not found)") }
        guard let config = try? PipelineConfig.parse(bytes, file: nil, name: "fuzz") else { return }
        let (model, url) = models[bytes.count % models.count]
        _ = try? PipelineValidation.validate(config, model: model, modelURL: url)
    }
}
