import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

/// `grustream features`: a recording in, its feature matrix `[frames, dimension]` out as float32 `.npy`.
public struct FeatureFileJob {
    /// Audio container of the input; nil: WAV when the bytes start with "RIFF", otherwise an error asking for --format.
    public var format: SampleEncoding?
    /// For raw input: rate (Hz) and channel count.
    public var rate: Int?
    public var channels: Int?
    /// Audio kinds (mfcc, fbank, spectrum): use this channel (0-based) of a multi-channel input; nil: average all.
    public var channel: Int?
    /// `[features]` keys: a pipeline's table, then `--preset`/`--kind`/`--set` overrides on top.
    public var featureTable: [(String, ConfigValue)] = []
    /// Whether the sample rate is binding (a pipeline or `--set sample_rate`): audio at another rate is resampled
    /// to it, sensor data at another rate is refused.
    public var rateIsBinding = false
    /// Where the binding rate came from, for the message.
    public var rateOrigin = "features.sample_rate"

    public init() {}

    /// Decode the input, extract, return (options used, [frames, dimension] tensor).
    public func run(inputPath: String) throws -> (options: FeatureOptions, features: Tensor) {
        let name = inputPath == "-" ? "stdin" : inputPath
        let data: Data
        if inputPath == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: inputPath, isDirectory: &isDirectory), !isDirectory.boolValue
            else {
                throw InputError("\(inputPath): no such file")
            }
            guard let contents = FileManager.default.contents(atPath: inputPath) else {
                throw InputError("\(inputPath): cannot read")
            }
            data = contents
        }
        let container: AudioContainer
        if let format {
            guard let rate, let channels else {
                throw PipelineConfigError("\(name): raw \(format.rawValue) input needs --rate and --channels")
            }
            container = .raw(PCMFormat(sampleRate: rate, channels: channels, encoding: format))
        } else if data.starts(with: Array("RIFF".utf8)) || data.starts(with: Array("RF64".utf8)) {
            container = .wav
        } else if data.isEmpty {
            throw InputError("\(name): empty input")
        } else {
            throw InputError(
                "\(name): not a WAV file; for headerless PCM give --format s16le|s32le|f32le with --rate and --channels"
            )
        }
        let audio = try AudioFile.decode(data, container: container, name: name)
        var table = featureTable
        let probe = try FeatureOptions.decode(.table(table), defaultRate: Double(audio.format.sampleRate))
        let sensor = probe.kind == .bands || probe.kind == .raw
        let rate = Int(probe.sampleRate)
        if sensor && rateIsBinding && rate != audio.format.sampleRate {
            throw InputError(
                "\(name): \(audio.format.sampleRate) Hz sensor data, but the features expect \(rate) Hz (\(rateOrigin)); "
                    + "set the rate (sensor input is not resampled)")
        }
        var samples: [Float]
        if sensor {
            samples = audio.samples
            if !table.contains(where: { $0.0 == "channels" }) {
                table.append(("channels", .integer(audio.format.channels)))
            }
        } else {
            // Audio: one channel, or all averaged, at the features' rate (resampled as `run` resamples a stream).
            var input = audio
            if let channel {
                guard channel >= 0 && channel < audio.format.channels else {
                    throw PipelineConfigError(
                        "--channel \(channel): \(name) has channels 0…\(audio.format.channels - 1)")
                }
                input = DecodedAudio(
                    format: PCMFormat(
                        sampleRate: audio.format.sampleRate, channels: 1, encoding: audio.format.encoding),
                    samples: audio.channel(channel))
            }
            samples = try input.converted(to: AudioTarget(sampleRate: rate, channels: 1), name: name).samples
        }
        let options = try FeatureOptions.decode(.table(table), defaultRate: Double(audio.format.sampleRate))
        if sensor && options.channels != audio.format.channels {
            throw PipelineConfigError(
                "\(name): \(audio.format.channels) channels, but features.channels = \(options.channels)")
        }
        let limit = options.sampleLimit
        if let index = samples.firstIndex(where: { !(abs($0) <= limit) }) {
            throw InputError(
                "\(name): sample \(index) is \(samples[index]), beyond the sample limit ±\(limit) of these features (README: Numeric health)"
            )
        }
        let result = try FeatureExtractor.extract(samples, options: options)
        if result.frames == 0 {
            throw InputError(
                "\(name): \(audio.frameCount) samples is shorter than one frame (\(options.frameLength) samples at \(Int(options.sampleRate)) Hz)"
            )
        }
        samples = []
        return (options, Tensor(shape: [result.frames, result.dimension], scalars: result.values))
    }
}
