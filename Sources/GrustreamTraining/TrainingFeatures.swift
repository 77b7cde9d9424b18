import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

/// The features the daemon will compute, taken from the pipeline file it will run, and the recordings to
/// compute them from (WAV, headerless PCM as the pipeline's `[source]` says, or CSV sensor frames).
public struct TrainingFeatures {
    public let pipeline: PipelineConfig
    public var options: FeatureOptions { pipeline.features }
    private let extractor: FeatureExtractor

    public init(pipeline: PipelineConfig) throws {
        self.pipeline = pipeline
        extractor = try FeatureExtractor(options: pipeline.features)
    }

    public var dimension: Int { extractor.dimension }
    public var isSensor: Bool { options.kind == .bands || options.kind == .raw }
    /// Seconds between feature frames.
    public var hopSeconds: Double { Double(options.hopLength) / options.sampleRate }

    /// The `[features]` keys of the pipeline (with its sample rate) as a JSON object, for the model's metadata.
    public var metadata: [String: Any] {
        var table: [String: Any] = [:]
        for (key, value) in pipeline.featuresTable?.tableEntries ?? [] { table[key] = Self.json(value) }
        if table["sample_rate"] == nil { table["sample_rate"] = Int(options.sampleRate) }
        if isSensor && table["channels"] == nil { table["channels"] = options.channels }
        return table
    }

    static func json(_ value: ConfigValue) -> Any {
        switch value {
        case .string(let s): return s
        case .integer(let i): return i
        case .float(let d): return d
        case .bool(let b): return b
        case .array(let items): return items.map(json)
        case .table(let entries): return Dictionary(entries.map { ($0.0, json($0.1)) }, uniquingKeysWith: { $1 })
        }
    }

    /// Features of interleaved samples (sensor kinds: `options.channels` interleaved channels; audio: mono).
    /// Returns [frames, dimension] row-major.
    public func extract(_ samples: [Float]) -> [Float] {
        extractor.reset()
        var values: [Float] = []
        values.reserveCapacity((samples.count / max(options.hopLength * options.channels, 1) + 2) * dimension)
        extractor.accept(samples) { values.append(contentsOf: $0) }
        extractor.finish { values.append(contentsOf: $0) }
        return values
    }

    /// Features of a recording to train a predictor on: as `extract`, except that a decomposition searching for its
    /// period (`seasonal_search_frames`) finds it in this recording's first frames, as the stream will, and then
    /// decomposes the recording with it from its first frame (what the stream's stage has done once it has found
    /// the period and replayed those frames). So the network learns from the remainders the stream will give it.
    public func extractForTraining(_ samples: [Float]) throws -> [Float] {
        let seasonal = options.seasonal
        guard seasonal.period == 0, seasonal.searchFrames > 0 else { return extract(samples) }
        var undecomposed = options
        undecomposed.seasonal = SeasonalOptions()
        undecomposed.normalisation = NormalisationOptions()
        let plain = try TrainingFeatures(pipeline: pipeline, features: undecomposed).extract(samples)
        let plainDimension = max(undecomposed.dimension, 1)
        let frames = min(plain.count / plainDimension, seasonal.searchFrames)
        let period = plain.withUnsafeBufferPointer {
            SeasonalStage.detectPeriod(
                $0, frames: frames, dimension: plainDimension, maxPeriod: seasonal.searchFrames / 2,
                minCorrelation: seasonal.minCorrelation)
        }
        extractor.presetSeasonalPeriod(period)
        defer { extractor.clearSeasonalPreset() }
        return extract(samples)
    }

    private init(pipeline: PipelineConfig, features: FeatureOptions) throws {
        self.pipeline = pipeline
        extractor = try FeatureExtractor(options: features)
    }

    /// Decode a recording into interleaved samples at the pipeline's rate: audio kinds are mixed down to mono and
    /// resampled from any rate (`AudioConverter`), sensor kinds keep `options.channels` channels at their rate. CSV (`.csv`, or `source.format = "csv"`) and JSON Lines
    /// (`.jsonl`, or `source.format = "jsonl"`): decoded as `run` decodes them (`readTextFrames`); `.wav`: WAV;
    /// anything else: the pipeline's raw `source.format`.
    public func readSamples(_ path: String) throws -> [Float] {
        let source = pipeline.source
        let rate = Int(options.sampleRate)
        if let format = textFormat(path) { return try readTextFrames(path, format: format) }
        let container: AudioContainer
        if path.lowercased().hasSuffix(".wav") || source.format == .wav {
            container = .wav
        } else {
            guard let encoding = SampleEncoding(rawValue: source.format.rawValue) else {
                throw TrainingError(
                    "\(path): source.format \(source.format.rawValue) is not a recording format here; use WAV, CSV or raw PCM"
                )
            }
            container = .raw(
                PCMFormat(sampleRate: isSensor ? rate : source.rate, channels: source.channels, encoding: encoding))
        }
        let audio = try AudioFile.read(path: path, container: container)
        if isSensor {
            guard audio.format.sampleRate == rate else {
                throw TrainingError(
                    "\(path): \(audio.format.sampleRate) Hz, but the pipeline's features expect \(rate) Hz (sensor data is not resampled)"
                )
            }
            guard audio.format.channels == options.channels else {
                throw TrainingError(
                    "\(path): \(audio.format.channels) channels, but features.channels = \(options.channels)")
            }
            return audio.samples
        }
        // Audio: averaged to mono and resampled to the features' rate, as `run` converts a stream.
        return try audio.converted(to: AudioTarget(sampleRate: rate, channels: 1), name: path).samples
    }
}

/// Per-dimension mean and standard deviation of training features (the model's `norm.mean` / `norm.std`).
public struct FeatureStatistics: Sendable {
    public var mean: [Float]
    public var std: [Float]

    /// Over every frame of every matrix ([frames, dimension] each); std floored at 1e-3 of the largest std.
    public init(_ matrices: [[Float]], dimension: Int) {
        var sum = [Double](repeating: 0, count: dimension)
        var squares = [Double](repeating: 0, count: dimension)
        var count = 0
        for m in matrices {
            for f in 0..<(m.count / dimension) {
                for j in 0..<dimension {
                    let v = Double(m[f * dimension + j])
                    sum[j] += v
                    squares[j] += v * v
                }
            }
            count += m.count / dimension
        }
        let n = Double(max(count, 1))
        mean = sum.map { Float($0 / n) }
        let variances = (0..<dimension).map { max(squares[$0] / n - (sum[$0] / n) * (sum[$0] / n), 0) }
        let largest = variances.max().map { $0.squareRoot() } ?? 1
        std = variances.map { Float(max($0.squareRoot(), max(largest * 1e-3, 1e-6))) }
    }

    /// The model's input normalisation these statistics define.
    public var normalisation: InputNormalisation { InputNormalisation(mean: mean, std: std) }

    /// `m` ([frames, dimension]) normalised in place, as the daemon normalises the model's input.
    public func apply(_ m: inout [Float]) { normalisation.apply(frames: &m) }
}
