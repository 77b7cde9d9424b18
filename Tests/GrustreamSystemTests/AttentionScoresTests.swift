import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// `detector.scores_attention`: the SCORES of an attention-pooling model carry each frame's window weights, the
/// weights PyTorch computes for that window (`scripts/make-attention-goldens.py`).
@Suite("attention weights in SCORES")
struct AttentionScoresTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-attention-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// A pipeline reading `channels`-column CSV frames from stdin straight into `model` (raw features).
    func writePipeline(model: String, channels: Int, attention: Bool = true) throws -> String {
        let file = path("attention-\(channels).toml")
        try """
        [source]
        kind = "stdin"
        format = "csv"
        rate = 100
        channels = \(channels)
        header = false
        [features]
        kind = "raw"
        channels = \(channels)
        [model]
        path = "\(Fixtures.url("attention/\(model)/model.safetensors").path)"
        [detector]
        kind = "classify"
        scores = true
        scores_attention = \(attention)
        [runtime]
        stats_interval_s = 0
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func scoresCarryTheWindowWeightsPyTorchComputes() throws {
        let name = "gru_attention_l1_h8"
        let input = try NPYFile.read(Fixtures.url("attention/\(name)/input.npy"))
        let expected = try NPYFile.read(Fixtures.url("attention/\(name)/window_weights.npy"))
        let (frames, width) = (input.shape[0], input.shape[1])
        let window = expected.shape[1]
        let csv =
            (0..<frames).map { t in
                (0..<width).map { "\(input.scalars[t * width + $0])" }.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        let pipeline = try writePipeline(model: name, channels: width)
        let run = try CommandLineTool.run(
            ["run", pipeline, "--socket", "none", "--log-level", "error"], stdin: Data(csv.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let scores = run.stdoutText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["class"] as? String == "SCORES" }
        #expect(scores.count == frames)
        var worst: Float = 0
        for row in scores {
            let frame = try #require(row["frame"] as? Int)
            let weights = try #require(row["attention"] as? [Double]).map(Float.init)
            #expect(weights.count == window)
            for j in 0..<min(window, weights.count) {
                worst = max(worst, abs(weights[j] - expected.scalars[frame * window + j]))
            }
        }
        #expect(worst <= 1e-5, "max |attention − PyTorch's| = \(worst)")
    }

    @Test func attentionScoresNeedAnAttentionModel() throws {
        let pipeline = try writePipeline(model: "lstm_bidir_mean_l2_h6", channels: 3)
        let check = try CommandLineTool.run(["check", pipeline])
        #expect(check.status == 2)
        #expect(
            check.stderr.contains("detector.scores_attention = true needs a model with attention pooling")
                && check.stderr.filter { $0 == "\n" }.count == 1, "\(check.stderr)")
        let off = try CommandLineTool.run(["check", try writePipeline(model: "gru_attention_l1_h8", channels: 5)])
        #expect(off.status == 0, "\(off.stderr)")
    }
}
