import Foundation
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline
@testable import GrustreamDaemon

/// Every numeric key has a documented range, and `check`, start-up and SIGHUP reload refuse the same values with
/// the same one-line message (exit status 2), in bounded time, before anything is allocated from them.
@Suite("configuration limits")
struct ConfigLimitTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-limits-\(UUID().uuidString.prefix(8))")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    static let model = Fixtures.repositoryRoot.appendingPathComponent("models/kws-demo.safetensors").path

    /// The shipped stdin-kws pipeline with `extra` lines added to its sections.
    static func pipeline(
        rate: String = "16000", source: String = "", features: String = "", model: String = "", detector: String = "",
        tail: String = ""
    ) -> String {
        """
        [source]
        kind = "stdin"
        format = "s16le"
        rate = \(rate)
        \(source)
        [features]
        \(features)
        [model]
        path = "\(Self.model)"
        \(model)
        [detector]
        kind = "classify"
        \(detector)
        \(tail)
        """
    }

    /// Global normalisation of the model's 20 MFCCs with a first value each for mean and std.
    static func norm(mean: String, std: String) -> String {
        let zeros = Array(repeating: "0", count: 19).joined(separator: ", ")
        let ones = Array(repeating: "1", count: 19).joined(separator: ", ")
        return "normalisation = \"global\"\nnorm_mean = [\(mean), \(zeros)]\nnorm_std = [\(std), \(ones)]"
    }

    /// A pipeline and a piece of the message every path must give.
    static let refused: [(String, String)] = [
        (pipeline(features: "fft_length = 2147483648"), "features.fft_length = 2147483648 is out of range"),
        (pipeline(features: "frame_ms = 1e7"), "features.frame_ms = 10000000 is out of range"),
        (
            pipeline(features: "frame_samples = 9223372036854775807"),
            "features.frame_samples = 9223372036854775807 is out of range"
        ),
        (pipeline(features: "hop_samples = 9223372036854775807"), "features.hop_samples"),
        (pipeline(features: "frame_ms = 5000\nsample_rate = 16000"), "features.frame_ms gives 80000 samples"),
        (pipeline(features: "mel_bins = 100000"), "features.mel_bins = 100000 is out of range"),
        (
            pipeline(features: "fft_length = 64\nfft_truncate = true\nmel_bins = 40"),
            "features.mel_bins must be <= the 33 spectrum bins"
        ),
        (pipeline(features: norm(mean: "0", std: "1e-45")), "features.norm_std[0] = 1e-45 is out of range"),
        (pipeline(features: norm(mean: "nan", std: "1")), "features.norm_mean[0] = nan is out of range"),
        (pipeline(features: "seasonal_period = 70000"), "features.seasonal_period = 70000 is out of range"),
        (pipeline(features: "seasonal_period = 65536"), "features.seasonal_period gives rings of 65536 frames ×"),
        (pipeline(features: "seasonal_search_frames = 8192"), "features.seasonal_search_frames = 8192 frames ×"),
        (pipeline(features: "seasonal_search_frames = 3"), "features.seasonal_search_frames = 3 is too short"),
        (pipeline(detector: "smooth_ms = 1e9"), "detector.smooth_ms = 1000000000 is out of range"),
        (pipeline(detector: "refractory_ms = 1e300"), "detector.refractory_ms"),
        (pipeline(detector: "threshold = 1e300"), "detector.threshold = 1e+300 is out of range"),
        (pipeline(features: "input_scale = 1e300"), "features.input_scale = 1e+300 is out of range of a 32-bit float"),
        (
            pipeline(detector: "background_labels = [\"silense\"]"),
            "detector.background_labels: \"silense\" is no label"
        ),
        (pipeline(source: "buffer_seconds = 1e6"), "source.buffer_seconds = 1000000 is out of range"),
        (pipeline(rate: "9223372036854775807"), "source.rate = 9223372036854775807 is out of range"),
        (pipeline(source: "duration_s = 1e300"), "source.duration_s"),
        (pipeline(model: "mode = \"window:100000\""), "model.mode = \"window:100000\" is not allowed"),
        (pipeline(model: "mode = \"window:9223372036854775807\""), "model.mode = \"window:9223372036854775807\""),
        (pipeline(tail: "[runtime]\nstats_interval_s = 1e300"), "runtime.stats_interval_s = 1e+300 is out of range"),
        (pipeline(tail: "[runtime]\nstate_interval_s = 1e18"), "runtime.state_interval_s"),
        (
            pipeline(
                tail: "[[sink]]\nkind = \"unix\"\npath = \"/tmp/x.sock\"\nclient_queue_bytes = 9223372036854775807"),
            "sink[0].client_queue_bytes"
        ),
    ]

    func write(_ text: String) throws -> URL {
        let file = temp.appendingPathComponent("p-\(UUID().uuidString.prefix(6)).toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("check refuses out-of-range values quickly, with status 2", arguments: refused.indices)
    func checkRefuses(index: Int) throws {
        let (text, message) = Self.refused[index]
        let result = try CommandLineTool.run(["check", try write(text).path], timeout: 30)
        #expect(result.status == 2, "\(message): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("run refuses them at start with the same message", arguments: refused.indices)
    func runRefuses(index: Int) throws {
        let (text, message) = Self.refused[index]
        let result = try CommandLineTool.run(["run", try write(text).path], stdin: Data(), timeout: 30)
        #expect(result.status == 2, "\(message): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("reload refuses them with the same message", arguments: refused.indices)
    func reloadRefuses(index: Int) throws {
        let (text, message) = Self.refused[index]
        let good = try write(Self.pipeline())
        let running = try PipelineValidation.validate(try PipelineConfig.load(good)).config
        let bad = try write(text)
        #expect {
            _ = try PipelineLaunch().reloadPipeline(bad.path, running: running)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func theDefaultsAndTheLimitsThemselvesAreAccepted() throws {
        let text = Self.pipeline(
            source: "buffer_seconds = 600", features: "fft_length = 65536\nframe_samples = 65536",
            detector: "smooth_ms = 60000\nbackground_labels = [\"_SILENCE_\"]",
            tail: "[runtime]\nstats_interval_s = 86400\nstate_interval_s = 86400")
        let result = try CommandLineTool.run(["check", try write(text).path], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func commandLineOverridesAreCheckedLikeTheFile() throws {
        let file = try write(Self.pipeline())
        for (arguments, message) in [
            (["--rate", "9223372036854775807"], "source.rate = 9223372036854775807 is out of range"),
            (["--duration", "1e300"], "source.duration_s = 1e+300 is out of range"),
            (["--channels", "100000"], "source.channels = 100000 is out of range"),
        ] {
            let result = try CommandLineTool.run(["run", file.path] + arguments, stdin: Data(), timeout: 30)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }

    @Test func infersWindowModeIsBoundedToo() throws {
        let result = try CommandLineTool.run(
            [
                "infer", "--model", Self.model, "--input", "/nonexistent.npy", "--output",
                temp.appendingPathComponent("o.npy").path,
                "--mode", "window:9223372036854775807",
            ], timeout: 30)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("window:N with 1 ≤ N ≤ 4096"), "\(result.stderr)")
    }
}
