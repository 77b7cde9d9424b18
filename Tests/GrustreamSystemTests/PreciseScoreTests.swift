import Foundation
import GrustreamNeural
import GrustreamPipeline
import GrustreamTestSupport
import Testing

/// Converted Precise models (models/*.safetensors) vs Precise's own pipeline (Tests/Fixtures/precise, made by
/// scripts/make-precise-goldens.py): raw scores ≤ 1e-4 absolute per feature frame and per 2048-byte chunk,
/// decoded scores, trigger times, chunk-size invariance.
@Suite("precise scores")
struct PreciseScoreTests {
    static let models = ["gru20", "gru60"]
    static let recordings = ["hey_mycroft_test", "alexa_test", "hey_jane"]
    static let cases = models.flatMap { m in recordings.map { (m, $0) } }

    static func engine(_ model: String) throws -> PreciseEngine {
        try PreciseEngine(
            modelURL: Fixtures.repositoryRoot.appendingPathComponent("models/hey-mycroft-\(model).safetensors"))
    }

    static func pcm(_ stem: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("precise/\(stem).wav")).dropFirst(44))
    }

    static func manifest() throws -> [String: Any] { try Fixtures.json("precise/manifest.json") }

    /// Per-frame raw scores for the bytes fed in chunks of `chunk` bytes.
    static func frameScores(_ engine: PreciseEngine, _ bytes: [UInt8], chunk: Int) -> [Float] {
        var scores: [Float] = []
        var i = 0
        while i < bytes.count {
            let end = min(i + chunk, bytes.count)
            engine.accept(Array(bytes[i..<end])) { _, s in scores.append(s) }
            i = end
        }
        return scores
    }

    @Test(arguments: cases)
    func frameScoresMatchPrecise(_ model: String, _ stem: String) throws {
        let expected = try Fixtures.tensor("precise/\(stem)_\(model)_frame_scores.npy")
        let got = Self.frameScores(try Self.engine(model), try Self.pcm(stem), chunk: 1 << 20)
        let c = Closeness("\(stem) \(model) frame scores", computed: got, expected: expected.scalars, tolerance: 1e-4)
        print(c)
        #expect(got.count == expected.scalars.count)
        #expect(c.passed, "\(c)")
    }

    /// The Precise engine path: one score per 2048-byte chunk (the last one partial), raw and decoded.
    @Test(arguments: cases)
    func chunkScoresMatchPrecise(_ model: String, _ stem: String) throws {
        let expected = try Fixtures.tensor("precise/\(stem)_\(model)_chunk_scores.npy")
        let engine = try Self.engine(model)
        let bytes = try Self.pcm(stem)
        var raw: [Float] = []
        var decoded: [Float] = []
        for start in stride(from: 0, to: bytes.count, by: 2048) {
            engine.accept(Array(bytes[start..<min(start + 2048, bytes.count)]))
            raw.append(engine.rawScore)
            decoded.append(Float(engine.decodedScore))
        }
        let rows = expected.rows
        #expect(raw.count == rows)
        let expectedRaw = (0..<rows).map { expected.scalars[2 * $0] }
        let expectedDecoded = (0..<rows).map { expected.scalars[2 * $0 + 1] }
        let r = Closeness("\(stem) \(model) chunk raw", computed: raw, expected: expectedRaw, tolerance: 1e-4)
        print(r)
        #expect(r.passed, "\(r)")
        // The decoder itself is exact: decoding Precise's raw scores gives Precise's decoded scores.
        let decoder = engine.model.decoder
        let redecoded = expectedRaw.map { Float(decoder.decode(Double($0))) }
        #expect(redecoded == expectedDecoded, "\(stem) \(model): decoder vs Precise's")
        // Decoding our raw scores: the decoder reads the logit, which is ill-conditioned next to 1 (a raw score
        // 2e-7 from Precise's at 0.9999999 moves the logit by ~1 and the decoded score by ~1e-3), and it samples
        // its CDF at 1/200 logit steps. So: ≤ 1e-3 where raw < 0.9999, ≤ 5e-3 above.
        for i in 0..<rows {
            let tolerance: Float = expectedRaw[i] < 0.9999 ? 1e-3 : 5e-3
            #expect(
                abs(decoded[i] - expectedDecoded[i]) <= tolerance,
                "\(stem) \(model) chunk \(i): decoded \(decoded[i]) vs \(expectedDecoded[i]) (raw \(raw[i]) vs \(expectedRaw[i]))"
            )
        }
    }

    /// precise-runner's TriggerDetector on the decoded chunk scores fires exactly where Precise's pipeline does:
    /// hey_mycroft_test at 0.832 s with both models, alexa_test never, hey_jane only with GRU-20.
    @Test(arguments: cases)
    func triggersMatchPrecise(_ model: String, _ stem: String) throws {
        let recordings = try Self.manifest()["recordings"] as! [String: Any]
        let entry = (recordings["\(stem).wav"] as! [String: Any])["models"] as! [String: Any]
        let expected = ((entry[model] as! [String: Any])["triggers_decoded"] as! [Double])
        let engine = try Self.engine(model)
        let bytes = try Self.pcm(stem)
        var trigger = PreciseTrigger()
        var times: [Double] = []
        for start in stride(from: 0, to: bytes.count, by: 2048) {
            let end = min(start + 2048, bytes.count)
            engine.accept(Array(bytes[start..<end]))
            if trigger.update(engine.decodedScore) { times.append(Double(end / 2) / 16000) }
        }
        #expect(times == expected, "\(stem) \(model): fired at \(times), Precise at \(expected)")
        switch stem {
        case "hey_mycroft_test": #expect(times == [0.832])
        case "alexa_test": #expect(times.isEmpty)
        default: #expect(times.isEmpty == (model == "gru60"))
        }
    }

    /// The same triggers from the `precise` detector fed frame by frame (as the pipeline runs it).
    @Test(arguments: cases)
    func detectorMatchesTrigger(_ model: String, _ stem: String) throws {
        let recordings = try Self.manifest()["recordings"] as! [String: Any]
        let entry = (recordings["\(stem).wav"] as! [String: Any])["models"] as! [String: Any]
        let expected = ((entry[model] as! [String: Any])["triggers_decoded"] as! [Double])
        let engine = try Self.engine(model)
        let bytes = try Self.pcm(stem)
        let detector = try PreciseDetector(
            labels: engine.model.network.labels, options: PreciseOptions(), decoder: engine.model.decoder,
            sampleRate: 16000, hopSamples: 800, frameSamples: 1600, initialRawScore: engine.initialRawScore)
        var events: [DetectorEvent] = []
        let input = [Float](repeating: 0, count: 13)
        engine.accept(bytes) { index, raw in
            var output = [raw]
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    let frame = DetectorFrame(
                        index: index, start: Double(index * 800) / 16000, end: Double(index * 800 + 1600) / 16000,
                        input: x, output: UnsafeBufferPointer(y))
                    detector.process(frame) { events.append($0) }
                }
            }
        }
        // Chunks after the last frame: up to the end of the stream (Precise scores the last partial chunk too).
        let samples = bytes.count / 2
        detector.flush(throughSample: (samples + 1023) / 1024 * 1024) { events.append($0) }
        #expect(events.map(\.end) == expected, "\(stem) \(model): \(events)")
        for e in events { #expect(e.start < e.end && e.kind == .detection) }
    }

    /// Chunks of 1 byte to 1 s give bit-identical per-frame scores.
    @Test(arguments: models)
    func chunkSizeDoesNotChangeScores(_ model: String) throws {
        let bytes = try Self.pcm("hey_mycroft_test")
        let whole = Self.frameScores(try Self.engine(model), bytes, chunk: bytes.count)
        for chunk in [1, 2, 3, 511, 2048, 4097, 32000] {
            #expect(Self.frameScores(try Self.engine(model), bytes, chunk: chunk) == whole, "chunk \(chunk)")
        }
    }

    @Test func triggerFollowsPreciseRunner() {
        // Refractory: −(8·2048) // chunk_bytes with floor division.
        #expect(PreciseTrigger(chunkBytes: 2048).refractory == -8)
        #expect(PreciseTrigger(chunkBytes: 3000).refractory == -6)
        #expect(PreciseTrigger(chunkBytes: 32000).refractory == -1)
        var t = PreciseTrigger()
        // 3 hot chunks count to 3; the 4th exceeds trigger_level 3 and fires.
        var fired: [Bool] = []
        for _ in 0..<3 { fired.append(t.update(0.9)) }
        #expect(fired == [false, false, false])
        let fourth = t.update(0.9)
        #expect(fourth)
        #expect(t.activation == -8)
        // Refractory: cold chunks count up towards 0; a hot chunk that leaves the count < 0 restarts the wait.
        for _ in 0..<6 {
            let cold = t.update(0.1)
            #expect(!cold)
        }
        #expect(t.activation == -2)
        let restarted = t.update(0.9)
        #expect(!restarted)
        #expect(t.activation == -8)
        // At −1 a hot chunk brings the count to 0 (not < 0): no restart, and counting starts afresh.
        for _ in 0..<7 { _ = t.update(0.1) }
        #expect(t.activation == -1)
        _ = t.update(0.9)
        #expect(t.activation == 0)
        // A cold chunk counts down to 0, never below.
        var u = PreciseTrigger()
        _ = u.update(0.9)
        _ = u.update(0.1)
        _ = u.update(0.1)
        #expect(u.activation == 0)
        // Exactly 1 − sensitivity is not hot.
        #expect(!u.isHot(0.5))
    }

    @Test func decoderFollowsPrecise() {
        let d = PreciseThresholdDecoder(meanStds: [(6.111310958862305, 3.8157610444880863)], center: 0.2)
        #expect(d.minimumLogit == -9 && d.maximumLogit == 21 && d.cumulative.count == 6000)
        #expect(d.decode(1) == 1 && d.decode(0) == 0)
        // The centre of the CDF (p = center) maps to 0.5; monotone.
        let scores = stride(from: 0.01, to: 1, by: 0.01).map { d.decode($0) }
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(abs(d.decode(1 / (1 + exp(-(6.111310958862305 - 0.8416 * 3.8157610444880863)))) - 0.5) < 2e-3)
    }
}
