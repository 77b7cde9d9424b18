import Foundation
import GrustreamTestSupport
import Testing

@testable import GrustreamNeural
@testable import GrustreamPipeline

/// `[model] online_learning`: each stream keeps training its own copy of a next-frame predictor.
@Suite("online learning")
struct OnlineLearningTests {
    let temp: URL

    init() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-online-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        var parameters = GRUParameters(
            architecture: GRUArchitecture(inputSize: 1, hiddenSize: 16, layerCount: 1, outputSize: 1))
        parameters.initialise(seed: 7)
        try parameters.write(
            to: temp.appendingPathComponent("predictor.safetensors"), normalisation: nil,
            metadata: [
                "task": "predict", "output_activation": "none", "mode": "carry",
                "features": ["kind": "raw", "channels": 1, "sample_rate": 100],
            ])
    }

    func pipeline(online: Bool, window: Int = 32) throws -> ResolvedPipeline {
        let text = """
            [source]
            kind = "stdin"
            format = "csv"
            rate = 100
            channels = 1
            [model]
            path = "predictor.safetensors"
            online_learning = \(online)
            online_learning_rate = 0.01
            online_window_frames = \(window)
            online_every_frames = 8
            [detector]
            kind = "anomaly"
            scores = true
            warmup_ms = 1000
            """
        let config = try PipelineConfig.parse(text, file: temp.appendingPathComponent("online.toml"))
        return try PipelineValidation.validate(config)
    }

    /// 4000 frames of one sine, then 4000 of another (other period, offset and amplitude).
    static func signal() -> [Float] {
        (0..<8000).map { i in
            i < 4000
                ? Float(sin(2 * Double.pi * Double(i) / 25)) : Float(0.5 + 0.6 * sin(2 * Double.pi * Double(i) / 9))
        }
    }

    /// Squared next-frame prediction error of every frame (the output at frame f − 1 against the input at f),
    /// the input cut in reads of `chunk` frames (< 32, so no read runs the GRU on its own).
    static func errors(_ processor: StreamProcessor, _ samples: [Float], chunk: Int) -> [Float] {
        var errors: [Float] = []
        var previous: Float?
        samples.withUnsafeBufferPointer { all in
            var offset = 0
            while offset < all.count {
                let n = min(chunk, all.count - offset)
                processor.extract(UnsafeBufferPointer(rebasing: all[offset..<(offset + n)]))
                processor.runGRU(from: 0)
                for k in 0..<processor.pendingFrames {
                    let x = processor.pendingInput(k)[0]
                    if let previous { errors.append((previous - x) * (previous - x)) }
                    previous = processor.pendingOutput(k)[0]
                }
                processor.publishPending()
                offset += n
            }
        }
        return errors
    }

    static func mean(_ values: ArraySlice<Float>) -> Float { values.reduce(0, +) / Float(values.count) }

    @Test func predictionErrorFallsAgainAfterAChangeOnlyWithOnlineLearning() throws {
        let samples = Self.signal()
        var late: [Bool: Float] = [:]
        for online in [false, true] {
            let processor = try StreamProcessor(
                name: "s", pipeline: pipeline(online: online), bus: PublisherGroup([RecordingPublisher()]))
            let e = Self.errors(processor, samples, chunk: 10)
            let afterChange = Self.mean(e[3999..<4050])
            let lateB = Self.mean(e[7500...])
            late[online] = lateB
            if online {
                #expect(processor.learner?.steps ?? 0 > 900)
                #expect(lateB < 0.2 * afterChange, "error after the change \(afterChange), at the end \(lateB)")
                #expect(Self.mean(e[3500..<3999]) < 0.2 * afterChange)
            } else {
                #expect(processor.learner == nil)
                #expect(lateB > 0.5 * afterChange, "error after the change \(afterChange), at the end \(lateB)")
            }
        }
        #expect(late[true]! < 0.1 * late[false]!, "\(late)")
    }

    /// The published lines, with online learning, cut as `chunkSizes` says (cycled).
    func lines(online: Bool, chunkSizes: [Int]) throws -> (lines: [String], steps: Int) {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: pipeline(online: online), bus: PublisherGroup([recorder]))
        let samples = Array(Self.signal()[3000..<5000])
        samples.withUnsafeBufferPointer { all in
            var offset = 0
            var k = 0
            while offset < all.count {
                let n = min(chunkSizes[k % chunkSizes.count], all.count - offset)
                processor.accept(UnsafeBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                k += 1
            }
        }
        processor.finish()
        return (recorder.lines, processor.learner?.steps ?? 0)
    }

    /// Steps happen at fixed frame counts: one frame per read, a whole file in one read, or reads of odd sizes
    /// give the same SCORES and ANOMALY lines byte for byte (and they differ from the same run without learning).
    @Test func learningDoesNotDependOnHowTheInputIsCut() throws {
        let single = try lines(online: true, chunkSizes: [1])
        #expect(single.steps == 2000 / 8 - 4)
        #expect(single.lines.count > 1900)
        for sizes in [[2000], [7, 300, 13, 64, 1], [33]] {
            let other = try lines(online: true, chunkSizes: sizes)
            #expect(other.steps == single.steps)
            #expect(other.lines == single.lines, "chunks \(sizes)")
        }
        #expect(try lines(online: false, chunkSizes: [2000]).lines != single.lines)
    }

    @Test func outOfRangeKeysAndUnsuitableModelsAreRefusedWithTheirValues() throws {
        let cases: [(String, String)] = [
            ("online_learning_rate = 0", "online_learning_rate = 0"),
            ("online_learning_rate = 2", "online_learning_rate = 2"),
            ("online_window_frames = 1", "online_window_frames = 1"),
            ("online_window_frames = 5000", "online_window_frames = 5000"),
            ("online_every_frames = 0", "online_every_frames = 0"),
            ("mode = \"window:8\"", "model.mode = \"carry\""),
        ]
        for (line, expected) in cases {
            let text =
                "[source]\nrate = 100\n[model]\npath = \"predictor.safetensors\"\nonline_learning = true\n\(line)\n[detector]\nkind = \"anomaly\"\n"
            let error = #expect(throws: PipelineConfigError.self) {
                try PipelineValidation.validate(
                    PipelineConfig.parse(text, file: temp.appendingPathComponent("bad.toml")))
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains(expected), "\(String(describing: error))")
        }
    }

    @Test func anLSTMPredictorIsRefused() throws {
        var parameters = GRUParameters(
            architecture: GRUArchitecture(inputSize: 1, hiddenSize: 8, layerCount: 1, outputSize: 1, cell: .lstm))
        parameters.initialise(seed: 7)
        try parameters.write(
            to: temp.appendingPathComponent("lstm.safetensors"), normalisation: nil,
            metadata: [
                "task": "predict", "output_activation": "none", "mode": "carry", "cell": "lstm",
                "features": ["kind": "raw", "channels": 1, "sample_rate": 100],
            ])
        let text =
            "[source]\nrate = 100\n[model]\npath = \"lstm.safetensors\"\nonline_learning = true\n[detector]\nkind = \"anomaly\"\n"
        let error = #expect(throws: PipelineConfigError.self) {
            try PipelineValidation.validate(PipelineConfig.parse(text, file: temp.appendingPathComponent("lstm.toml")))
        }
        #expect(
            "\(error.map { "\($0)" } ?? "")".contains("online learning needs a GRU"), "\(String(describing: error))")
    }

    @Test func aModelTooLargeForTheStateFileIsRefused() throws {
        var parameters = GRUParameters(
            architecture: GRUArchitecture(inputSize: 1, hiddenSize: 96, layerCount: 2, outputSize: 1))
        parameters.initialise(seed: 1)
        try parameters.write(
            to: temp.appendingPathComponent("large.safetensors"), normalisation: nil,
            metadata: ["task": "predict", "features": ["kind": "raw", "channels": 1, "sample_rate": 100]])
        let text =
            "[source]\nrate = 100\n[model]\npath = \"large.safetensors\"\nonline_learning = true\n[detector]\nkind = \"anomaly\"\n"
        let error = #expect(throws: PipelineConfigError.self) {
            try PipelineValidation.validate(PipelineConfig.parse(text, file: temp.appendingPathComponent("big.toml")))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("bytes per stream"))
    }

    /// The scores of every SCORES line (the frame index and time restart at 0 after a restore).
    static func scores(_ lines: [String]) -> [String] {
        lines.filter { $0.contains("\"SCORES\"") }.compactMap { line in
            guard let start = line.range(of: "\"score\":"), let end = line.range(of: ",\"frame\":") else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        }
    }

    /// Saved mid-stream through a state file and restored into a new processor, the stream goes on with the same
    /// weights, Adam state, window and hidden state: the same scores and final weights as without the restart.
    @Test func learnedStateRoundTripsThroughTheStateFile() throws {
        let samples = Array(Self.signal()[3000..<5000])
        func feed(_ p: StreamProcessor, _ range: Range<Int>) {
            samples.withUnsafeBufferPointer { all in
                var offset = range.lowerBound
                while offset < range.upperBound {
                    let n = min(37, range.upperBound - offset)
                    p.accept(UnsafeBufferPointer(rebasing: all[offset..<(offset + n)]))
                    offset += n
                }
            }
        }
        let whole = RecordingPublisher()
        let straight = try StreamProcessor(name: "s", pipeline: pipeline(online: true), bus: PublisherGroup([whole]))
        feed(straight, 0..<1203)
        let before = whole.lines.count
        feed(straight, 1203..<2000)

        let first = try StreamProcessor(
            name: "s", pipeline: pipeline(online: true), bus: PublisherGroup([RecordingPublisher()]))
        feed(first, 0..<1203)
        let file = StateFile(pipeline: "online", model: "predictor", modelHash: "0", streams: [first.snapshot()])
        let decoded = try StateFile.decode(file.encode(), name: "state")
        #expect(decoded.streams.map(\.online) == file.streams.map(\.online))
        let saved = try #require(decoded.streams.first?.online)
        #expect(saved.steps == first.learner?.steps && saved.steps > 100)
        let after = RecordingPublisher()
        let second = try StreamProcessor(name: "s", pipeline: pipeline(online: true), bus: PublisherGroup([after]))
        try second.restore(decoded.streams[0])
        feed(second, 1203..<2000)
        #expect(second.learner?.snapshot == straight.learner?.snapshot)
        #expect(Self.scores(after.lines) == Self.scores(Array(whole.lines[before...])))
        #expect(Self.scores(after.lines).count > 700)
    }

    /// A learner state of another window (or model) is refused and the stream keeps its initial state.
    @Test func aLearnerStateThatDoesNotFitIsRefused() throws {
        let first = try StreamProcessor(
            name: "s", pipeline: pipeline(online: true), bus: PublisherGroup([RecordingPublisher()]))
        let samples = Array(Self.signal()[0..<500])
        samples.withUnsafeBufferPointer { first.accept($0) }
        let snapshot = first.snapshot()
        let other = try StreamProcessor(
            name: "s", pipeline: pipeline(online: true, window: 48),
            bus: PublisherGroup([RecordingPublisher()]))
        #expect(throws: StateFileError.self) { try other.restore(snapshot) }
        #expect(other.learner?.steps == 0 && other.learner?.frames == 0)
    }
}

extension OnlineLearningTests {
    /// 200 outputs of a fresh runner of `model` on a fixed input (what the packed weights compute).
    static func outputs(_ model: GRUModel) throws -> [Float] {
        let runner = try GRURunner(model: model)
        let input = (0..<200).map { Float(sin(Double($0) / 5)) }
        var out = [Float](repeating: 0, count: 200)
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { runner.run(x, count: 200, outputs: $0) }
        }
        return out
    }

    /// Two streams of one pipeline learn two copies of the weights; the shared model is never written, and each
    /// stream's runner computes with exactly the weights its training holds.
    @Test func eachStreamLearnsItsOwnCopyAndTheSharedModelStays() throws {
        let shared = try pipeline(online: true)
        let before = try Self.outputs(shared.model)
        let a = try StreamProcessor(name: "a", pipeline: shared, bus: PublisherGroup([RecordingPublisher()]))
        let b = try StreamProcessor(name: "b", pipeline: shared, bus: PublisherGroup([RecordingPublisher()]))
        let signal = Self.signal()
        Array(signal[0..<1000]).withUnsafeBufferPointer { a.accept($0) }
        Array(signal[5000..<6000]).withUnsafeBufferPointer { b.accept($0) }
        let learnerA = try #require(a.learner)
        let learnerB = try #require(b.learner)
        #expect(try Self.outputs(shared.model) == before)
        let learnedA = try Self.outputs(learnerA.model)
        let learnedB = try Self.outputs(learnerB.model)
        #expect(learnedA != before && learnedB != before && learnedA != learnedB)
        let trainedA = try learnerA.session.parameters.inferenceModel()
        #expect(try Self.outputs(trainedA) == learnedA)
    }
}
