import Foundation
import GrustreamDSP
import GrustreamNeural
import GrustreamPipeline

/// Model files: the safetensors container, every tensor in it, then the GRU model built from it.
enum FuzzFiles {
    static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafetensorsFile(data: Data(bytes), name: "fuzz.safetensors") else { return }
        for name in file.tensorNames { _ = try? file.tensor(name) }
        _ = try? GRUModel(file: file)
    }

    /// A state file, then each stream's decomposition state restored into a decomposition of the configuration
    /// its counts claim (period, search frames, dimension; when within the configuration limits), and into one
    /// of a fixed configuration: the checks of `SeasonalStage.restore` on hostile numbers.
    static func state(_ bytes: [UInt8]) {
        guard let file = try? StateFile.decode(Data(bytes), name: "fuzz.state") else { return }
        for stream in file.streams {
            guard let saved = stream.seasonal else { continue }
            var claimed = [0, 48, 1]
            if let counts = saved["seasonal_counts"], counts.count >= 3,
                counts[0..<3].allSatisfy({ $0 >= 0 && $0 <= 4096 && $0 == $0.rounded() })
            {
                claimed = counts[0..<3].map { Int($0) }
            }
            for (period, search, dimension) in [(claimed[0], claimed[1], claimed[2]), (0, 48, 1)] {
                var options = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 1)
                options.channels = max(1, dimension)
                options.seasonal.period = period
                options.seasonal.searchFrames = search
                guard let extractor = try? FeatureExtractor(options: options) else { continue }
                guard (try? extractor.restoreSeasonal(saved)) != nil else { continue }
                // A restored decomposition must run: a few frames through it.
                var sink = 0
                extractor.accept([Float](repeating: 1, count: 4 * options.channels)) { sink += $0.count }
            }
        }
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
