import Foundation
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline
import GrustreamTestSupport
import GrustreamTraining
import Testing

/// End to end on tiny synthetic data: datasets, training, the written model, evaluation through the detectors.
@Suite("Training tasks")
struct TrainingTaskTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-train-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    static let kwsPipeline = """
        [source]
        rate = 8000
        [features]
        kind = "fbank"
        mel_bins = 10
        """

    /// "words": 0.25 s tone bursts (label a: 600 Hz, b: 1500 Hz, other: 1000 Hz) in 0.5 s clips.
    func writeClips() throws -> String {
        let root = path("clips")
        var random = TrainingRandom(seed: 3)
        for (folder, hz) in [("a", 600.0), ("b", 1500.0), ("other", 1000.0)] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            for k in 0..<12 {
                var samples = [Float](repeating: 0, count: 4000)
                let start = 500 + random.index(1000)
                for i in 0..<2000 { samples[start + i] = 0.4 * Float(sin(2 * .pi * hz * Double(i) / 8000)) }
                let data = WAVEncoder.encode(
                    samples, format: PCMFormat(sampleRate: 8000, channels: 1, encoding: .s16le))
                try data.write(to: URL(fileURLWithPath: "\(root)/\(folder)/spk\(k)_nohash_0.wav"))
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/_background_noise_", withIntermediateDirectories: true)
        let noise = (0..<16000).map { _ in 0.05 * random.normal() }
        try WAVEncoder.encode(noise, format: PCMFormat(sampleRate: 8000, channels: 1, encoding: .s16le))
            .write(to: URL(fileURLWithPath: "\(root)/_background_noise_/noise.wav"))
        return root
    }

    func pipeline(_ text: String, _ name: String) throws -> PipelineConfig {
        let url = temp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try PipelineConfig.load(url)
    }

    @Test(
        "classify: clips → model with labels, normalisation and softmax; deterministic for a seed; eval runs the detector"
    )
    func classifyEndToEnd() throws {
        let root = try writeClips()
        let config = try pipeline(Self.kwsPipeline, "kws.toml")
        var options = TrainingOptions()
        options.labels = ["a", "b"]
        options.hidden = 12
        options.layers = 1
        options.epochs = 12
        options.batch = 4
        options.clipMilliseconds = 500
        options.sequenceClips = 2
        options.validationPercent = 25
        options.learningRate = 0.02
        let features = try TrainingFeatures(pipeline: config)
        let first = temp.appendingPathComponent("a.safetensors")
        let second = temp.appendingPathComponent("b.safetensors")
        let summary = try ClassifyTraining.run(
            dataRoot: root, features: features, options: options, output: first, log: { _ in })
        _ = try ClassifyTraining.run(
            dataRoot: root, features: features, options: options, output: second, log: { _ in })
        #expect(try Data(contentsOf: first) == Data(contentsOf: second), "same seed, same data: same model bytes")
        let model = try GRUModel.load(first)
        #expect(model.labels == ["_silence_", "_unknown_", "a", "b"])
        #expect(model.outputActivation == .softmax)
        #expect(model.normalisation != nil)
        #expect(model.grustreamMetadata?["task"] as? String == "classify")
        #expect((model.grustreamMetadata?["features"] as? [String: Any])?["mel_bins"] as? Int == 10)
        #expect((summary["best_val_frame_accuracy"] as? Double ?? 0) > 0.6, "\(summary)")
        var detector = ClassifyOptions()
        detector.threshold = 0.5
        detector.smoothMilliseconds = 50
        let result = try Evaluation(model: model, features: features).classifyClips(
            root: root, detector: detector, clipMilliseconds: 500)
        #expect((result["accuracy"] as? Double ?? 0) > 0.6, "\(result)")
        #expect((result["confusion"] as? [[Int]])?.count == 4)
    }

    @Test(
        "predict: normal sensor CSV → next-frame model with log-error calibration in the metadata; faults score high",
        arguments: [RecurrentCell.gru, .lstm])
    func predictEndToEnd(cell: RecurrentCell) throws {
        let config = try pipeline(
            """
            [source]
            rate = 1000
            channels = 2
            format = "csv"
            [features]
            kind = "bands"
            channels = 2
            band_count = 4
            frame_samples = 64
            hop_samples = 32
            [detector]
            kind = "anomaly"
            smooth_ms = 100
            """, "vib.toml")
        var random = TrainingRandom(seed: 8)
        func signal(_ seconds: Int, faults: [(Double, Double)]) -> String {
            var lines: [String] = []
            for i in 0..<(seconds * 1000) {
                let t = Double(i) / 1000
                let fault = faults.contains { t >= $0.0 && t < $0.1 }
                let a =
                    sin(2 * .pi * 50 * t) + 0.1 * Double(random.normal()) + (fault ? 0.8 * sin(2 * .pi * 350 * t) : 0)
                let b = 0.5 * sin(2 * .pi * 100 * t) + 0.1 * Double(random.normal())
                lines.append(String(format: "%.4f,%.4f", a, b))
            }
            return lines.joined(separator: "\n")
        }
        try signal(60, faults: []).write(toFile: path("normal.csv"), atomically: true, encoding: .utf8)
        try signal(30, faults: [(10, 14), (20, 23)]).write(toFile: path("test.csv"), atomically: true, encoding: .utf8)
        try "start,end\n10,14\n20,23\n".write(toFile: path("spans.csv"), atomically: true, encoding: .utf8)
        var options = TrainingOptions()
        options.task = .predict
        options.cell = cell
        options.hidden = 8
        options.layers = 1
        options.epochs = 4
        options.batch = 4
        options.window = 16
        let features = try TrainingFeatures(pipeline: config)
        let output = temp.appendingPathComponent("p-\(cell.rawValue).safetensors")
        _ = try PredictTraining.run(
            dataPaths: [path("normal.csv")], features: features, options: options, output: output, log: { _ in })
        let model = try GRUModel.load(output)
        let detector = try #require(model.grustreamMetadata?["detector"] as? [String: Any])
        #expect(
            detector["error_mean"] is Double && (detector["error_std"] as? Double ?? 0) > 0
                && (detector["threshold"] as? Double ?? 0) >= 4)
        #expect(model.outputSize == features.dimension)
        #expect(model.hasCellState == (cell == .lstm))
        let evaluation = try Evaluation(model: model, features: features)
        let anomaly = evaluation.anomalyOptions(pipeline: config.detector.anomaly, thresholdFromPipeline: false)
        let result = try evaluation.predictSpans(
            recording: path("test.csv"), spans: try Evaluation.readSpans(path("spans.csv")), detector: anomaly)
        #expect((result["roc_auc"] as? Double ?? 0) > 0.9, "\(result)")
        #expect((result["span_recall"] as? Double ?? 0) == 1, "\(result)")
    }

    @Test("ROC AUC: perfect, inverted, ties")
    func rocAUC() {
        #expect(Evaluation.rocAUC(scores: [0.1, 0.2, 0.8, 0.9], positives: [false, false, true, true]) == 1)
        #expect(Evaluation.rocAUC(scores: [0.9, 0.8, 0.2, 0.1], positives: [false, false, true, true]) == 0)
        #expect(Evaluation.rocAUC(scores: [0.5, 0.5, 0.5, 0.5], positives: [false, true, false, true]) == 0.5)
    }

    @Test("validation split by speaker is stable and near the asked percentage")
    func speakerSplit() {
        let speakers = (0..<2000).map { "speaker\($0)" }
        let held = speakers.filter { ClassifyClipList.isValidation(speaker: $0, percent: 10) }.count
        #expect(held > 150 && held < 250)
        #expect(
            ClassifyClipList.isValidation(speaker: "x", percent: 10)
                == ClassifyClipList.isValidation(speaker: "x", percent: 10))
    }

    @Test(
        "grustream train/eval as a user runs them: one progress line per epoch off a terminal, JSON summary on stdout",
        arguments: [("gru", "last"), ("lstm", "last"), ("gru", "attention:4"), ("lstm", "mean")])
    func commandLine(cell: String, head: String) throws {
        let root = try writeClips()
        let pipelineFile = temp.appendingPathComponent("kws.toml")
        try Self.kwsPipeline.write(to: pipelineFile, atomically: true, encoding: .utf8)
        let model = path("cli-\(cell)-\(head).safetensors")
        let pooled = head != "last"
        let result = try CommandLineTool.run(
            [
                "train", "--task", "classify", "--pipeline", pipelineFile.path, "--data", root, "--labels", "a,b",
                "--hidden", "8",
                "--layers", "1", "--cell", cell, "--epochs", "2", "--batch", "4", "--clip-ms", "500",
                "--validation-percent", "25", "--head", head, "--target", pooled ? "last" : "frames",
                "--output", model,
            ], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let epochLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 2, "\(result.stderr)")
        let summary = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect(summary?["epochs_run"] as? Int == 2)
        let loaded = try GRUModel.load(URL(fileURLWithPath: model))
        #expect(loaded.hasCellState == (cell == "lstm"))
        #expect(loaded.gateCount == (cell == "lstm" ? 4 : 3))
        // A pooled head runs in window mode over the clip: 0.5 s of 25/10 ms frames = 48 frames.
        #expect(loaded.pooling.rawValue == head.split(separator: ":")[0].description)
        #expect(loaded.mode == (pooled ? .window(48) : .carry))
        #expect(loaded.attention?.size == (head == "attention:4" ? 4 : nil))
        let eval = try CommandLineTool.run([
            "eval", "--model", model, "--pipeline", pipelineFile.path, "--data", root, "--clip-ms", "500",
        ])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try JSONSerialization.jsonObject(with: eval.stdout) as? [String: Any]
        #expect((report?["clips"] as? [String: Any])?["accuracy"] is Double)
    }

    @Test("train without data, with a missing keyword folder, or with an unknown cell: exit status 2, one line")
    func badUsage() throws {
        let root = try writeClips()
        let pipelineFile = temp.appendingPathComponent("kws.toml")
        try Self.kwsPipeline.write(to: pipelineFile, atomically: true, encoding: .utf8)
        for arguments in [
            ["train", "--pipeline", pipelineFile.path, "--output", path("m.safetensors")],
            [
                "train", "--pipeline", pipelineFile.path, "--data", root, "--labels", "a,zzz", "--output",
                path("m.safetensors"),
            ],
            [
                "train", "--pipeline", pipelineFile.path, "--data", root, "--cell", "rnn", "--output",
                path("m.safetensors"),
            ],
        ] {
            let result = try CommandLineTool.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        let cell = try CommandLineTool.run([
            "train", "--pipeline", pipelineFile.path, "--data", root, "--cell", "rnn", "--output",
            path("m.safetensors"),
        ])
        #expect(cell.stderr.contains("--cell rnn: expected gru or lstm"), "\(cell.stderr)")
        for (arguments, message) in [
            (
                ["--head", "attention"],
                "--head attention pools a clip into one decision: it needs --task classify with --target last"
            ),
            (["--head", "max", "--target", "last"], "--head max: expected last, mean, attention or attention:A"),
            (
                ["--head", "attention:0", "--target", "last"],
                "--head attention:0: the attention width A must be 1…1024"
            ),
        ] {
            let result = try CommandLineTool.run(
                ["train", "--pipeline", pipelineFile.path, "--data", root, "--output", path("m.safetensors")]
                    + arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
