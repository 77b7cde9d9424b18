import Foundation
import GrustreamIO
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The commands as a user runs them: exit status, one-line errors, files written.
@Suite("command line")
struct CommandLineTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-cli-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// Exit status 2 and exactly one line on stderr that contains `fragment`.
    func expectUsageError(_ arguments: [String], _ fragment: String, stdin: Data? = nil) throws {
        let result = try CommandLineTool.run(arguments, stdin: stdin)
        #expect(result.status == 2, "\(arguments): status \(result.status), stderr \(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
    }

    @Test func featuresOfTheBundledRecordingMatchTheLibraryCall() throws {
        let out = path("f.npy")
        let result = try CommandLineTool.run(["features", "--input", "samples/yes-no-up-down.wav", "--output", out])
        #expect(result.status == 0, "\(result.stderr)")
        let features = try NPYFile.read(URL(fileURLWithPath: out))
        #expect(features.shape == [248, 13])  // (39979 − 400) / 160 + 1 Kaldi frames of 13 MFCCs
    }

    @Test func featuresFromStdinRawAndFromAPipeline() throws {
        let wav = try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav"))
        let raw = wav.dropFirst(44)
        let a = try CommandLineTool.run(
            [
                "features", "--input", "-", "--format", "s16le", "--rate", "16000", "--channels", "1", "--output",
                path("a.npy"),
            ], stdin: Data(raw))
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CommandLineTool.run([
            "features", "--input", "samples/yes-no-up-down.wav", "--output", path("b.npy"),
        ])
        #expect(b.status == 0)
        #expect(
            try NPYFile.read(URL(fileURLWithPath: path("a.npy"))) == NPYFile.read(URL(fileURLWithPath: path("b.npy"))))
    }

    @Test func featuresRefusesBadInputWithOneLine() throws {
        let out = path("x.npy")
        try expectUsageError(["features", "--input", path("missing.wav"), "--output", out], "no such file")
        try Data("not audio at all".utf8).write(to: temp.appendingPathComponent("text.wav"))
        try expectUsageError(["features", "--input", path("text.wav"), "--output", out], "not a WAV file")
        let wav = try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav"))
        try wav.prefix(30).write(to: temp.appendingPathComponent("cut.wav"))
        try expectUsageError(["features", "--input", path("cut.wav"), "--output", out], "truncated WAV header")
        try wav.prefix(1000).write(to: temp.appendingPathComponent("short.wav"))
        try expectUsageError(["features", "--input", path("short.wav"), "--output", out], "truncated WAV data")
        try WAVEncoder.encode(
            [Float](repeating: 0, count: 100), format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le)
        )
        .write(to: temp.appendingPathComponent("tiny.wav"))
        try expectUsageError(["features", "--input", path("tiny.wav"), "--output", out], "shorter than one frame")
        try WAVEncoder.encode(
            [Float](repeating: 0, count: 8000), format: PCMFormat(sampleRate: 800, channels: 1, encoding: .s16le)
        )
        .write(to: temp.appendingPathComponent("800.wav"))
        try expectUsageError(
            ["features", "--input", path("800.wav"), "--set", "sample_rate=16000", "--output", out],
            "cannot resample 800 Hz audio to 16000 Hz")
        var alaw = wav
        alaw[20] = 6
        try alaw.write(to: temp.appendingPathComponent("alaw.wav"))
        try expectUsageError(["features", "--input", path("alaw.wav"), "--output", out], "unsupported WAV encoding")
        try expectUsageError(["features", "--input", "-", "--output", out], "empty input", stdin: Data())
        try expectUsageError(["features", "--set", "mel_bins=0", "--print-options"], "features.mel_bins")
        try expectUsageError(["features", "--set", "bogus=1", "--print-options"], "features.bogus: unknown key")
    }

    @Test func inferIsChunkIndependentAndRefusesBadInput() throws {
        let dir = Fixtures.url("gru/torch_l2_h128")
        let model = dir.appendingPathComponent("model.safetensors").path
        let input = dir.appendingPathComponent("input.npy").path
        for chunk in ["1", "7", "1000"] {
            let r = try CommandLineTool.run([
                "infer", "--model", model, "--input", input, "--output", path("y\(chunk).npy"), "--chunk", chunk,
            ])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let y1 = try NPYFile.read(URL(fileURLWithPath: path("y1.npy")))
        #expect(y1 == (try NPYFile.read(URL(fileURLWithPath: path("y7.npy")))))
        #expect(y1 == (try NPYFile.read(URL(fileURLWithPath: path("y1000.npy")))))
        let expected = try Fixtures.tensor("gru/torch_l2_h128/output.npy")
        let report = Closeness(
            "infer CLI vs PyTorch", computed: y1.scalars, expected: expected.scalars, tolerance: 1e-5)
        #expect(report.passed, "\(report)")

        try NPYFile.write(
            Tensor(shape: [3, 7], scalars: [Float](repeating: 0, count: 21)),
            to: URL(fileURLWithPath: path("narrow.npy")))
        try expectUsageError(
            ["infer", "--model", model, "--input", path("narrow.npy"), "--output", path("z.npy")],
            "expected [frames, 40]")
        try NPYFile.write(
            Tensor(shape: [1, 40], scalars: [Float](repeating: .nan, count: 40)),
            to: URL(fileURLWithPath: path("nan.npy")))
        try expectUsageError(
            ["infer", "--model", model, "--input", path("nan.npy"), "--output", path("z.npy")], "finite")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        try bytes.prefix(bytes.count / 2).write(to: temp.appendingPathComponent("half.safetensors"))
        try expectUsageError(
            ["infer", "--model", path("half.safetensors"), "--input", input, "--output", path("z.npy")],
            "half.safetensors")
    }

    @Test func inspectDescribesEveryTensor() throws {
        let r = try CommandLineTool.run([
            "inspect", Fixtures.url("gru/torch_l2_h128/model.safetensors").path, "--timing-steps", "50",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        for fragment in [
            "gru.weight_ih_l0", "[384, 40]", "linear.weight", "parameters: 165900", "FLOPs per step", "step time here",
        ] {
            #expect(r.stdoutText.contains(fragment), "missing \(fragment)")
        }
    }

    /// `inspect --json`: the same facts as one JSON object, for scripts.
    @Test func inspectPrintsJSON() throws {
        let r = try CommandLineTool.run([
            "inspect", Fixtures.url("gru/torch_l2_h128/model.safetensors").path, "--timing-steps", "50", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdoutText.utf8)) as? [String: Any]
        let report = try #require(object)
        #expect(report["layers"] as? Int == 2 && report["hidden"] as? Int == 128 && report["input"] as? Int == 40)
        #expect(report["parameters"] as? Int == 165900)
        #expect(report["flops_per_step"] as? Int == 2 * (3 * 128 * (40 + 128) + 3 * 128 * (128 + 128)) + 2 * 12 * 128)
        #expect((report["head"] as? [String: Any])?["outputs"] as? Int == 12)
        let tensors = try #require(report["tensors"] as? [[String: Any]])
        #expect(tensors.contains { $0["name"] as? String == "gru.weight_ih_l0" && $0["shape"] as? [Int] == [384, 40] })
        #expect((report["step_us"] as? Double ?? 0) > 0)
    }

    /// `inspect` names the kernel family that runs; GRUSTREAM_KERNELS forces one, and refuses one the CPU lacks.
    @Test(arguments: KernelFamily.allCases)
    func kernelFamilyIsChosenAndReported(family: KernelFamily) throws {
        let r = try CommandLineTool.run(
            ["inspect", Fixtures.url("gru/torch_l2_h128/model.safetensors").path, "--timing-steps", "20"],
            environment: [Kernels.environmentVariable: family.rawValue])
        if Kernels.runnable.contains(family) {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdoutText.contains("kernels: \(family.summary)"), "\(r.stdoutText)")
            #expect(r.stdoutText.contains("\(family.rawValue) kernels)"), "\(r.stdoutText)")
        } else {
            #expect(r.status == 2)
            #expect(r.stdoutText.isEmpty)
            #expect(
                r.stderr.hasPrefix("grustream: GRUSTREAM_KERNELS=\(family.rawValue): this CPU (or its OS) cannot run")
                    && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
        }
        let unknown = try CommandLineTool.run(["run"], environment: [Kernels.environmentVariable: "fast"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("GRUSTREAM_KERNELS=fast: unknown kernel family"), "\(unknown.stderr)")
    }

    @Test func everyCommandHasHelp() throws {
        for command in [[], ["features"], ["infer"], ["inspect"]] {
            let r = try CommandLineTool.run(command + ["--help"])
            #expect(r.status == 0)
            #expect(r.stdoutText.contains("USAGE"), "\(command)")
        }
    }
}
