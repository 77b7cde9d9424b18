import ArgumentParser
import Foundation
import GrustreamDSP
import GrustreamDaemon
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute the feature matrix of a recording and write it as a float32 .npy [frames, dims].",
        discussion: """
            Features come from a pipeline's [features] section (--pipeline), a preset (--preset kaldi|librosa|precise with \
            --kind), and --set KEY=VALUE overrides, in that order; --print-options lists every key with its value.
            The kaldi preset reproduces kaldi-native-fbank / torchaudio.compliance.kaldi; librosa reproduces \
            librosa.feature.mfcc / melspectrogram + power_to_db; precise reproduces Mycroft Precise's sonopy MFCCs.

            Examples:
              grustream features --input speech.wav --output mfcc.npy
              grustream features --preset librosa --kind fbank --set mel_bins=64 --input a.wav --output logmel.npy
              arecord -f S16_LE -r 16000 | grustream features --input - --format s16le --rate 16000 --channels 1 --output x.npy
            """)

    @Option(help: "Input recording: a WAV file (PCM 8/16/24/32-bit or float), raw PCM with --format, or - for stdin.")
    var input: String?

    @Option(help: "Output .npy file (float32, [frames, dims]).")
    var output: String?

    @Option(
        help:
            "Take the [features] section of this pipeline (a path or a name in ./pipelines, /etc/grustream/pipelines).")
    var pipeline: String?

    @Option(help: "Feature convention: kaldi | librosa | precise (default kaldi).")
    var preset: String?

    @Option(help: "Feature kind: mfcc | fbank | spectrum | bands | raw (default mfcc).")
    var kind: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override one [features] key (repeatable).", valueName: "KEY=VALUE"))
    var assignments: [String] = []

    @Option(
        help: "Headerless input encoding: s16le | s32le | f32le | u8 | s24le | f64le (needs --rate and --channels).")
    var format: String?

    @Option(help: "Sample rate of raw input, Hz.")
    var rate: Int?

    @Option(help: "Channels of raw input.")
    var channels: Int?

    @Option(help: "Use only this channel (0-based) of a multi-channel recording; default: the average of all channels.")
    var channel: Int?

    @Flag(help: "Print every feature option with its value and meaning, then exit.")
    var printOptions = false

    func run() throws {
        try runReportingErrors("features") {
            var job = FeatureFileJob()
            var table: [(String, ConfigValue)] = []
            if let pipeline {
                let config = try PipelineLocator.load(pipeline)
                table = config.featuresTable?.tableEntries ?? []
                if !table.contains(where: { $0.0 == "sample_rate" }) {
                    table.append(("sample_rate", .integer(config.source.rate)))
                }
                job.rateIsBinding = true
                job.rateOrigin = "\(config.file?.path ?? pipeline): source.rate / features.sample_rate"
            }
            func set(_ key: String, _ value: ConfigValue) {
                table.removeAll { $0.0 == key }
                table.append((key, value))
            }
            if let preset { set("convention", .string(preset)) }
            if let kind { set("kind", .string(kind)) }
            for text in assignments {
                let (key, value) = try parseAssignment(text, option: "--set")
                set(key, value)
                if key == "sample_rate" { job.rateIsBinding = true; job.rateOrigin = "--set sample_rate" }
            }
            if printOptions {
                let rate = rate.map(Double.init) ?? 16000
                let options = try FeatureOptions.decode(.table(table), defaultRate: rate)
                print(OptionTable.format(options.describeFields(), prefix: "features."))
                return
            }
            guard let input, let output else {
                throw ValidationError("--input and --output are required (or --print-options)")
            }
            if let format {
                guard let encoding = SampleEncoding(rawValue: format) else {
                    throw ValidationError(
                        "--format \(format): expected one of \(SampleEncoding.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                job.format = encoding
            }
            job.rate = rate
            job.channels = channels
            job.channel = channel
            job.featureTable = table
            let (options, features) = try job.run(inputPath: input)
            try NPYFile.write(features, to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(
                Data(
                    "grustream features: \(input) → \(output): \(features.shape[0]) frames × \(features.shape[1]) \(options.kind.rawValue) (\(Int(options.sampleRate)) Hz, hop \(options.hopLength) samples)\n"
                        .utf8))
        }
    }
}
