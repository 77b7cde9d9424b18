import Foundation
import GrustreamIO
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// `grustream eval --positives --negatives`: a tiny hand-made model (its "word" posterior is ~0.007 in silence,
/// ~0.73 on a soft 1 kHz tone, ~0.985 on a loud one) on clips made here, so every count is known in advance.
@Suite("wake-word evaluation")
struct WakeWordEvalTests {
    let temp = TemporaryDirectory()

    /// GRU 1 → 1: z ≈ 0, so h = tanh(0.5 (x − 20)) of the frame's log energy x (silence −15.9, soft tone 20.6, loud
    /// tone 27.1); head: word logit 4.588 h − 0.380 against silence 0.
    func writeModel(_ path: String) throws {
        let tensors: [(String, Tensor)] = [
            ("gru.weight_ih_l0", Tensor(shape: [3, 1], scalars: [0, 0, 0.5])),
            ("gru.weight_hh_l0", Tensor(shape: [3, 1], scalars: [0, 0, 0])),
            ("gru.bias_ih_l0", Tensor(shape: [3], scalars: [0, -20, -10])),
            ("gru.bias_hh_l0", Tensor(shape: [3], scalars: [0, 0, 0])),
            ("linear.weight", Tensor(shape: [2, 1], scalars: [0, 4.5881])),
            ("linear.bias", Tensor(shape: [2], scalars: [0, -0.3802])),
        ]
        let metadata = #"{"task":"classify","labels":["_silence_","word"],"output_activation":"softmax"}"#
        try SafetensorsFile.write(tensors, metadata: ["grustream": metadata], to: URL(fileURLWithPath: path))
    }

    /// Silence with 1 kHz tones (start, end seconds, amplitude) at `rate` Hz, `channels` channels, 16-bit.
    func writeClip(_ path: String, seconds: Double, tones: [(Double, Double, Double)], rate: Int, channels: Int = 1)
        throws
    {
        let frames = Int(seconds * Double(rate))
        let mono: [Float] = (0..<frames).map { i in
            let t = Double(i) / Double(rate)
            guard let tone = tones.first(where: { t >= $0.0 && t < $0.1 }) else { return 0 }
            return Float(tone.2 * sin(2 * Double.pi * 1000 * t))
        }
        let samples = mono.flatMap { [Float](repeating: $0, count: channels) }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try WAVEncoder.encode(samples, format: PCMFormat(sampleRate: rate, channels: channels, encoding: .s16le))
            .write(to: URL(fileURLWithPath: path))
    }

    @Test func countsRecallAndFalseActivationsThroughTheSweep() throws {
        let (loud, soft) = (0.5, 0.02)
        let model = temp.file("tiny.safetensors")
        try writeModel(model)
        let pipeline = temp.file("tiny.toml")
        try """
        [features]
        convention = "kaldi"
        kind = "fbank"
        mel_bins = 1
        dither = 0
        sample_rate = 16000
        [model]
        path = "tiny.safetensors"
        [detector]
        kind = "classify"
        threshold = 0.5
        smooth_ms = 100
        refractory_ms = 500
        """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        // Positives at 48 kHz stereo: loud, soft, nothing, loud at the very end (in a subfolder).
        let positives = temp.file("positives")
        try writeClip(positives + "/p1.wav", seconds: 1, tones: [(0.3, 0.7, loud)], rate: 48000, channels: 2)
        try writeClip(positives + "/p2.wav", seconds: 1, tones: [(0.3, 0.7, soft)], rate: 48000, channels: 2)
        try writeClip(positives + "/p3.wav", seconds: 1, tones: [], rate: 48000, channels: 2)
        try writeClip(positives + "/more/p4.wav", seconds: 1, tones: [(0.7, 1.0, loud)], rate: 48000, channels: 2)
        // Negatives at 22.05 kHz, 6 s in all: silence; a loud and a soft tone; a loud tone (in a subfolder).
        let negatives = temp.file("negatives")
        try writeClip(negatives + "/n1.wav", seconds: 2, tones: [], rate: 22050)
        try writeClip(negatives + "/n2.wav", seconds: 3, tones: [(0.5, 0.8, loud), (1.8, 2.1, soft)], rate: 22050)
        try writeClip(negatives + "/sub/n3.wav", seconds: 1, tones: [(0.2, 0.5, loud)], rate: 22050)

        let plot = temp.file("sweep.svg")
        let result = try CommandLineTool.run([
            "eval", "--model", model, "--pipeline", pipeline, "--positives", positives, "--negatives", negatives,
            "--plot", plot,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stdoutText)")
        #expect(json["label"] as? String == "word")
        let positive = try #require(json["positives"] as? [String: Any])
        #expect(positive["clips"] as? Int == 4)
        #expect(positive["recalled"] as? Int == 3)
        #expect((positive["missed"] as? [String])?.map { ($0 as NSString).lastPathComponent } == ["p3.wav"])
        let negative = try #require(json["negatives"] as? [String: Any])
        let hours = 6.0 / 3600
        #expect(abs((negative["hours"] as? Double ?? 0) - hours) < 1e-9)
        #expect(negative["false_activations_per_clip"] as? Int == 3)
        #expect(negative["false_activations_concatenated"] as? Int == 3)
        #expect(abs((negative["false_activations_per_hour_concatenated"] as? Double ?? 0) - 3 / hours) < 1e-6)

        // The sweep: soft tones count below ~0.73, loud ones below ~0.985, nothing above.
        let sweep = try #require(json["sweep"] as? [[String: Any]])
        func point(_ threshold: Double) throws -> [String: Any] {
            try #require(sweep.first { abs(($0["threshold"] as? Double ?? -1) - threshold) < 1e-6 }, "\(threshold)")
        }
        for (threshold, recalled, inClips, concatenated) in [
            (0.5, 3, 3, 3), (0.7, 3, 3, 3), (0.8, 2, 2, 2), (0.98, 2, 2, 2), (0.99, 0, 0, 0),
        ] {
            let p = try point(threshold)
            #expect(p["recalled"] as? Int == recalled, "\(threshold): \(p)")
            #expect(p["false_activations_per_clip"] as? Int == inClips, "\(threshold): \(p)")
            #expect(p["false_activations_concatenated"] as? Int == concatenated, "\(threshold): \(p)")
        }
        // At the pipeline's threshold the replay repeats the live run.
        let live = try point(0.5)
        #expect(live["recalled"] as? Int == positive["recalled"] as? Int)
        let operating = try #require(json["operating_point"] as? [String: Any])
        #expect(abs((operating["threshold"] as? Double ?? 0) - 0.99) < 1e-6, "\(operating)")
        #expect(operating["recall"] as? Double == 0)

        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
    }

    @Test func badFoldersAndLabelsAreOneLineExitTwo() throws {
        let model = temp.file("tiny.safetensors")
        try writeModel(model)
        let pipeline = temp.file("p.toml")
        try "[features]\nconvention = \"kaldi\"\nkind = \"fbank\"\nmel_bins = 1\n[model]\npath = \"tiny.safetensors\"\n"
            .write(toFile: pipeline, atomically: true, encoding: .utf8)
        try writeClip(temp.file("one/a.wav"), seconds: 0.5, tones: [], rate: 16000)
        try FileManager.default.createDirectory(atPath: temp.file("empty"), withIntermediateDirectories: true)
        let base = ["eval", "--model", model, "--pipeline", pipeline]
        for (arguments, fragment) in [
            (["--positives", temp.file("missing"), "--negatives", temp.file("one")], "missing: no such folder"),
            (["--positives", temp.file("one"), "--negatives", temp.file("empty")], "empty: no .wav files"),
            (
                ["--positives", temp.file("one"), "--negatives", temp.file("one"), "--label", "nope"],
                "--label nope: no such label"
            ),
            (["--positives", temp.file("one")], "needs --positives DIR and --negatives DIR"),
        ] {
            let result = try CommandLineTool.run(base + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(fragment), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }
}
