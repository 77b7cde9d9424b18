import Foundation
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline
import GrustreamTestSupport
import GrustreamTraining
import Testing

/// `run` and `features` on audio at other rates and channel counts: converted to the features' 16 kHz mono as
/// `AudioConverter` converts it, the same whatever the chunking of the input.
@Suite("resampled input, end to end")
struct ResampledInputTests {
    let pipeline = Fixtures.url("pipelines/e2e-classify.toml").path
    let temp = TemporaryDirectory()
    let target = AudioTarget(sampleRate: 16000, channels: 1)

    /// The bundled recording at `rate` Hz with `channels` channels (each channel a scaled copy), as float WAV.
    func recording(rate: Int, channels: Int) throws -> (wav: Data, samples: [Float]) {
        let audio = try AudioFile.read(
            path: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav").path, container: .wav)
        let up = try AudioConverter.convert(
            audio.samples, inputRate: 16000, inputChannels: 1, target: AudioTarget(sampleRate: rate, channels: 1),
            name: "up")
        let samples = up.flatMap { value in (0..<channels).map { value * (1 - 0.2 * Float($0)) } }
        let format = PCMFormat(sampleRate: rate, channels: channels, encoding: .f32le)
        return (WAVEncoder.encode(samples, format: format), samples)
    }

    func scores(_ arguments: [String], stdin: Data? = nil, pipeline: String? = nil) throws -> [NSDictionary] {
        let result = try CommandLineTool.run(
            ["run", pipeline ?? self.pipeline, "--scores", "--log-level", "error"] + arguments, stdin: stdin)
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        #expect(events.count > 100)
        return events
    }

    /// A 48 kHz stereo file: `run` on the file, the same bytes on stdin in random pieces, and a 16 kHz mono float
    /// WAV of `AudioConverter`'s output give the same SCORES and events, bit for bit; `features` gives the
    /// features of that converted audio.
    @Test func anyRateAndChannelsGiveTheConvertedAudiosScoresInAnyChunking() throws {
        let (wav, samples) = try recording(rate: 48000, channels: 2)
        let input = temp.file("in48k.wav")
        try wav.write(to: URL(fileURLWithPath: input))
        let converted = try AudioConverter.convert(
            samples, inputRate: 48000, inputChannels: 2, target: target, name: "expected")
        let reference = temp.file("converted16k.wav")
        try WAVEncoder.encode(converted, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .f32le))
            .write(to: URL(fileURLWithPath: reference))

        let expected = try scores(["--source", reference])
        #expect(sameEvents(try scores(["--source", input]), expected))
        let process = try SpawnedTool(
            ["run", pipeline, "--scores", "--source", "-", "--format", "wav", "--log-level", "error"])
        var generator = SeededGenerator(seed: 9)
        var offset = 0
        while offset < wav.count {
            let size = Int.random(in: 1...5000, using: &generator)
            process.write(wav[offset..<min(offset + size, wav.count)])
            offset += size
        }
        let result = process.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(sameEvents(normalisedEvents(result.stdoutText), expected))

        for (name, path) in [("a", input), ("b", reference)] {
            let run = try CommandLineTool.run([
                "features", "--pipeline", pipeline, "--input", path, "--output", temp.file("\(name).npy"),
            ])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let a = try NPYFile.read(URL(fileURLWithPath: temp.file("a.npy")))
        let b = try NPYFile.read(URL(fileURLWithPath: temp.file("b.npy")))
        #expect(a.shape == b.shape && a.scalars == b.scalars)
    }

    /// Raw PCM on stdin at 44.1 kHz (`--rate 44100 --format s16le`) into features that declare 16 kHz is
    /// resampled like a WAV at that rate.
    @Test func rawPCMAtAnotherRateIsResampled() throws {
        let model = Fixtures.url("gru/torch_l2_h128/model.safetensors").path
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
            .replacingOccurrences(of: "mel_bins = 40", with: "mel_bins = 40\nsample_rate = 16000")
            .replacingOccurrences(of: "../gru/torch_l2_h128/model.safetensors", with: model)
        let declared = temp.file("declared16k.toml")
        try text.write(toFile: declared, atomically: true, encoding: .utf8)
        let (_, samples) = try recording(rate: 44100, channels: 1)
        let raw = WAVEncoder.encodePCM(samples, encoding: .s16le)
        let asWAV = WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 44100, channels: 1, encoding: .s16le))
        let fromRaw = try scores(
            ["--source", "-", "--format", "s16le", "--rate", "44100"], stdin: raw, pipeline: declared)
        let fromWAV = try scores(["--source", "-", "--format", "wav"], stdin: asWAV, pipeline: declared)
        #expect(sameEvents(fromRaw, fromWAV))
        // Stream time counts 16 kHz samples (at 44.1 kHz the first frame would end at 1984/44100 s).
        let times = fromRaw.compactMap { $0["t"] as? Double }
        #expect(times.allSatisfy { abs($0 * 16000 - ($0 * 16000).rounded()) < 1e-6 }, "\(times.prefix(3))")
    }

    @Test func unsupportedRateIsOneLineExitTwo() throws {
        let wav = WAVEncoder.encode(
            [Float](repeating: 0.1, count: 2000), format: PCMFormat(sampleRate: 500, channels: 1, encoding: .s16le))
        let path = temp.file("slow.wav")
        try wav.write(to: URL(fileURLWithPath: path))
        for arguments in [
            ["run", pipeline, "--source", path, "--log-level", "error"],
            ["features", "--pipeline", pipeline, "--input", path, "--output", temp.file("x.npy")],
        ] {
            let result = try CommandLineTool.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("grustream \(arguments[0]):") }
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("cannot resample 500 Hz audio to 16000 Hz"), "\(result.stderr)")
        }
    }

    /// `train` and `eval --data` read every clip through `TrainingFeatures.readSamples`: a 44.1 kHz stereo clip
    /// comes out as the converter's 16 kHz mono samples, as `run` would see them.
    @Test func trainingAndEvaluationReadClipsAtAnyRate() throws {
        let (wav, samples) = try recording(rate: 44100, channels: 2)
        let path = temp.file("clip44k.wav")
        try wav.write(to: URL(fileURLWithPath: path))
        let config = try PipelineConfig.parse(
            "[features]\nconvention = \"kaldi\"\nkind = \"mfcc\"\nsample_rate = 16000\n", file: nil, name: "t")
        let read = try TrainingFeatures(pipeline: config).readSamples(path)
        let expected = try AudioConverter.convert(
            samples, inputRate: 44100, inputChannels: 2, target: target, name: "expected")
        #expect(read == expected)
        #expect(abs(read.count - samples.count / 2 * 16000 / 44100) <= 1)
    }
}
