import Foundation
import GrustreamTestSupport
import Testing

/// `[[sink]] kind = "clips"`: `grustream run` on the demo recording (two "hey mycroft" detections) writes two clips
/// of the configured pre-roll + span + post-roll, holding the recording's own samples, with JSON sidecars; the
/// retention limits remove the oldest clips.
@Suite("clip capture")
struct ClipCaptureTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-clips-\(UUID().uuidString.prefix(8))")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func run(_ sink: String, model: String = "hey-mycroft-gru60") throws -> CommandLineTool.Result {
        let root = Fixtures.repositoryRoot.path
        let toml = """
            [source]
            kind = "file"
            path = "\(root)/samples/hey-mycroft-demo.wav"
            format = "wav"
            [model]
            path = "\(root)/models/\(model).safetensors"
            [detector]
            kind = "precise"
            [[sink]]
            kind = "stdout"
            [[sink]]
            kind = "clips"
            path = "clips"
            \(sink)
            [runtime]
            stats_interval_s = 0
            """
        let file = temp.appendingPathComponent("p.toml")
        try toml.write(to: file, atomically: true, encoding: .utf8)
        return try CommandLineTool.run(["run", file.path])
    }

    var folder: URL { temp.appendingPathComponent("clips/hey-mycroft") }

    func clips() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".wav") }.sorted()
    }

    /// 16-bit mono samples of a WAV file written as the sink writes them (44-byte header).
    static func samples(_ url: URL) throws -> [Int16] {
        let data = try Data(contentsOf: url)
        return stride(from: 44, to: data.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8)
        }
    }

    @Test func twoDetectionsMakeTwoClipsOfTheRecordingsAudio() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let result = try run("pre_roll_ms = 1000\npost_roll_ms = 500")
        #expect(result.status == 0, "\(result.stderr)")
        let detections = result.stdoutText.split(separator: "\n").filter { $0.contains("\"DETECTION\"") }
        #expect(detections.count == 2)
        let names = try clips()
        #expect(names.count == 2)
        let recording = try Self.samples(Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav"))
        for name in names {
            let wav = folder.appendingPathComponent(name)
            let sidecar = wav.deletingPathExtension().appendingPathExtension("json")
            let meta = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: sidecar)) as? [String: Any])
            #expect(meta["label"] as? String == "hey-mycroft")
            #expect(meta["model"] as? String == "hey-mycroft-gru60.safetensors")
            #expect((meta["score"] as? Double ?? 0) > 0.5)
            let start = try #require(meta["start"] as? Double)
            let end = try #require(meta["end"] as? Double)
            // pre-roll 1 s before the detection's start, post-roll 0.5 s after its end, at 16 kHz
            let from = Int(((start - 1.0) * 16000).rounded())
            let to = Int(((end + 0.5) * 16000).rounded())
            let pcm = try Self.samples(wav)
            #expect(pcm.count == to - from, "\(name): \(pcm.count) samples, expected \(to - from)")
            #expect(abs((meta["clip_start"] as? Double ?? -1) - Double(from) / 16000) < 1e-9)
            // the recording's own samples (int16 → float → int16: within one step)
            let worst = zip(pcm, recording[from..<to]).map { abs(Int($0) - Int($1)) }.max() ?? 99
            #expect(worst <= 1, "\(name): differs from the recording by \(worst)")
        }
        let starts = names.compactMap { name -> Double? in
            let url = folder.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("json")
            return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["start"]
                as? Double
        }
        #expect(starts.sorted() == starts && starts.count == 2 && starts[1] - starts[0] > 3)
    }

    @Test func retentionRemovesTheOldestClips() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        // by count: three runs of two clips each, at most three kept: the newest three
        for _ in 0..<3 {
            let result = try run("max_clips = 3")
            #expect(result.status == 0, "\(result.stderr)")
        }
        let kept = try clips()
        #expect(kept.count == 3)
        let json = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(json.count == 3)
        // by bytes: room for one clip (28096 samples ≈ 56 KB + sidecar) but not two
        let result = try run("max_clips = 100\nmax_bytes = 80000")
        #expect(result.status == 0, "\(result.stderr)")
        let left = try clips()
        #expect(left.count == 1)
        #expect(left[0] > kept.last!)
    }

    /// The GRU-20 model's decoded score rises to 0.34 and 0.51 on "hey jane" without a detection: with
    /// `near_miss = 0.3` those spans are kept in `LABEL-near-miss/`, none within a detection's post-roll.
    @Test func nearMissesAreKeptApart() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let result = try run("near_miss = 0.3", model: "hey-mycroft-gru20")
        #expect(result.status == 0, "\(result.stderr)")
        let detections = result.stdoutText.split(separator: "\n").filter { $0.contains("\"DETECTION\"") }
        #expect(detections.count == 2)
        #expect(try clips().count == 2)
        let near = temp.appendingPathComponent("clips/hey-mycroft-near-miss")
        let sidecars = try FileManager.default.contentsOfDirectory(atPath: near.path).filter { $0.hasSuffix(".json") }
        #expect(!sidecars.isEmpty)
        let detectionStarts = try clips().compactMap { name -> Double? in
            let url = folder.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("json")
            return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["start"]
                as? Double
        }
        for name in sidecars {
            let meta = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: near.appendingPathComponent(name)))
                    as? [String: Any])
            #expect(meta["kind"] as? String == "near-miss")
            let score = try #require(meta["score"] as? Double)
            let start = try #require(meta["start"] as? Double)
            let end = try #require(meta["end"] as? Double)
            #expect(score >= 0.3 && score < 1)
            #expect(!detectionStarts.contains { $0 >= start && $0 <= end + 0.5 }, "\(name)")
            let wav = near.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("wav")
            let from = max(0, Int(((start - 1.0) * 16000).rounded()))
            #expect(try Self.samples(wav).count == Int(((end + 0.5) * 16000).rounded()) - from)
        }
        // off by default: no near-miss folder
        try FileManager.default.removeItem(at: temp.appendingPathComponent("clips"))
        #expect(try run("", model: "hey-mycroft-gru20").status == 0)
        #expect(!FileManager.default.fileExists(atPath: near.path))
    }

    @Test func aClipsSinkNeedsAFolder() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let file = temp.appendingPathComponent("bad.toml")
        try """
        [model]
        path = "\(Fixtures.repositoryRoot.path)/models/hey-mycroft-gru60.safetensors"
        [[sink]]
        kind = "clips"
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandLineTool.run(["check", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("sink[0].path"))
    }
}
