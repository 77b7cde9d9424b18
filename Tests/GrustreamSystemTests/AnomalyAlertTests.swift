import Foundation
import GrustreamNeural
import GrustreamPipeline
import Testing

/// `ANOMALY` events while the anomaly happens: `open` at the crossing, `ongoing` on an interval, `close`.
@Suite("anomaly alerts")
struct AnomalyAlertTests {
    static let hop = 0.01

    /// A next-frame predictor with small noise whose input jumps by `jump` over `fault` (3 values per frame).
    static func signal(total: Int = 600, fault: Range<Int> = 300..<340, jump: Float = 2) -> [([Float], [Float])] {
        var seed: UInt32 = 5
        func noise() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return (Float(seed >> 8) / Float(1 << 24) - 0.5) * 0.1
        }
        return (0..<total).map { i in
            let x: [Float] = [sin(Float(i) * 0.1), cos(Float(i) * 0.1), 0.5].map { fault.contains(i) ? $0 + jump : $0 }
            let next: [Float] = [sin(Float(i + 1) * 0.1), cos(Float(i + 1) * 0.1), 0.5]
            return (x, next.map { $0 + noise() })
        }
    }

    /// Each event with the index of the frame whose processing emitted it (`frames.count` for `finish`).
    static func events(
        _ detector: AnomalyDetector, _ frames: [([Float], [Float])], range: Range<Int>? = nil, finish: Bool = true
    ) -> [(frame: Int, event: DetectorEvent)] {
        var events: [(Int, DetectorEvent)] = []
        for i in range ?? frames.indices {
            frames[i].0.withUnsafeBufferPointer { input in
                frames[i].1.withUnsafeBufferPointer { output in
                    let frame = DetectorFrame(
                        index: i, start: Double(i) * hop, end: Double(i) * hop + 0.025, input: input, output: output)
                    detector.process(frame) { events.append((i, $0)) }
                }
            }
        }
        if finish { detector.finish(endSample: frames.count * 160) { events.append((frames.count, $0)) } }
        return events
    }

    static func zOptions(smoothMilliseconds: Double) -> AnomalyOptions {
        var options = AnomalyOptions()
        options.errorMean = -7  // ln of the ~1e-3 mean squared noise
        options.errorStd = 1
        options.threshold = 4
        options.smoothMilliseconds = smoothMilliseconds
        return options
    }

    @Test(arguments: [0.0, 30, 50, 100])
    func theOpenEventComesWithinTheSmoothingWindowPlusOneFrameOfTheCrossing(smoothMilliseconds: Double) throws {
        let frames = Self.signal()
        let raw = try AnomalyDetector(
            inputSize: 3, outputSize: 3, options: Self.zOptions(smoothMilliseconds: 0), hopSeconds: Self.hop)
        let crossing = try #require(Self.events(raw, frames).first { $0.event.phase == .open }).frame
        #expect(crossing == 300)
        let smoothed = try AnomalyDetector(
            inputSize: 3, outputSize: 3, options: Self.zOptions(smoothMilliseconds: smoothMilliseconds),
            hopSeconds: Self.hop)
        let events = Self.events(smoothed, frames)
        #expect(events.map(\.event.phase) == [.open, .close], "\(events)")
        let open = try #require(events.first)
        let windowFrames = Int((smoothMilliseconds / 1000 / Self.hop).rounded())
        #expect(open.frame >= crossing && open.frame <= crossing + windowFrames + 1, "open at \(open.frame)")
        #expect(open.frame < 340, "the alert must come while the fault lasts")
        #expect(abs(open.event.start - Double(open.frame) * Self.hop) < 1e-12, "the span starts at the open frame")
        #expect(open.event.score > 4)
    }

    @Test(arguments: [10.0, 50, 100])
    func onTheLikelihoodScaleTheOpenEventComesWithinTheShortWindowPlusOneFrame(shortMilliseconds: Double) throws {
        var options = AnomalyOptions()
        options.scale = .likelihood
        options.threshold = 0.9999
        options.likelihoodShortMilliseconds = shortMilliseconds
        options.likelihoodLongMilliseconds = 2000
        options.likelihoodLearnMilliseconds = 1000
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        let events = Self.events(detector, Self.signal(jump: 0.5))
        let open = try #require(events.first { $0.event.phase == .open }, "\(events)")
        let windowFrames = Int((shortMilliseconds / 1000 / Self.hop).rounded())
        #expect(open.frame >= 300 && open.frame <= 300 + windowFrames + 1, "open at \(open.frame)")
        #expect(open.event.likelihood > 0.9999)
    }

    @Test func ongoingEventsComeEveryIntervalWithThePeakSoFar() throws {
        var options = Self.zOptions(smoothMilliseconds: 30)
        options.alertIntervalMilliseconds = 100
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        let events = Self.events(detector, Self.signal(fault: 300..<400))
        let phases = events.map(\.event.phase)
        #expect(phases.first == .open && phases.last == .close)
        let ongoing = events.filter { $0.event.phase == .ongoing }
        #expect(ongoing.count >= 8, "\(phases)")
        let emitted = [events[0].frame] + ongoing.map(\.frame)
        #expect(zip(emitted, emitted.dropFirst()).allSatisfy { $1 - $0 == 10 }, "\(emitted)")
        #expect(events.allSatisfy { $0.event.start == events[0].event.start })
        let peaks = events.map(\.event.score)
        #expect(zip(peaks, peaks.dropFirst()).allSatisfy { $0 <= $1 }, "peaks \(peaks)")
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.event.end <= $1.event.end })
    }

    @Test func aMinimumSpanDelaysTheOpenEventAndDropsShortSpans() throws {
        var options = Self.zOptions(smoothMilliseconds: 0)
        options.minimumSpanMilliseconds = 100
        let short = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        #expect(Self.events(short, Self.signal(fault: 300..<305)).isEmpty)
        let long = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        let events = Self.events(long, Self.signal(fault: 300..<340))
        #expect(events.map(\.event.phase) == [.open, .close])
        #expect(events.first?.frame == 310)
    }

    @Test func anOpenSpanSurvivesARestartThroughTheStateFile() throws {
        var options = AnomalyOptions()
        options.scale = .likelihood
        options.threshold = 0.999
        options.likelihoodShortMilliseconds = 50
        options.likelihoodLongMilliseconds = 2000
        options.likelihoodLearnMilliseconds = 1000
        options.alertIntervalMilliseconds = 50
        let frames = Self.signal(fault: 300..<360)
        let whole = Self.events(
            try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop), frames)
        #expect(whole.map(\.event.phase).first == .open && whole.map(\.event.phase).last == .close, "\(whole)")
        let first = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        let split = 330
        var events = Self.events(first, frames, range: 0..<split, finish: false)
        #expect(events.last?.event.phase != .close, "the span must be open at the split")
        let state = StateFile(
            pipeline: "p", model: "m", modelHash: "h",
            streams: [
                StreamStateSnapshot(
                    stream: "s", gru: GRUState(hidden: Tensor(zeros: [1, 1])), labels: [],
                    detector: first.snapshot(nextFrame: split, nextTime: Double(split) * Self.hop))
            ])
        let restored = try StateFile.decode(state.encode(), name: "x")
        let second = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        try second.restore(
            try #require(restored.streams.first?.detector), nextFrame: split, nextTime: Double(split) * Self.hop)
        events += Self.events(second, frames, range: split..<frames.count)
        #expect(events.map(\.frame) == whole.map(\.frame))
        #expect(events.map(\.event) == whole.map(\.event))
    }

    /// SCORES values of every frame: score, likelihood, log_likelihood, peak.
    static func scores(_ detector: AnomalyDetector, _ frames: [([Float], [Float])]) -> [[Float]] {
        var rows: [[Float]] = []
        for i in frames.indices {
            frames[i].0.withUnsafeBufferPointer { input in
                frames[i].1.withUnsafeBufferPointer { output in
                    let frame = DetectorFrame(
                        index: i, start: Double(i) * hop, end: Double(i) * hop + 0.025, input: input, output: output)
                    detector.process(frame) { _ in }
                    rows.append(detector.withScores { Array($0) })
                }
            }
        }
        return rows
    }

    @Test func aLevelNeverSeenHasLikelihoodOneAndThePeakCountsARiseOnce() throws {
        var options = AnomalyOptions()
        options.scale = .logLikelihood
        options.threshold = 0.5
        options.likelihoodShortMilliseconds = 50
        options.likelihoodLongMilliseconds = 3000
        options.likelihoodLearnMilliseconds = 1000
        options.rangeNovelty = true
        options.rangeTolerance = 0.1
        options.peakWindowMilliseconds = 200
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        // The outputs predict the jump perfectly: only the range says the level at 300… is new.
        var frames = Self.signal(fault: 300..<340, jump: 2)
        for i in 299..<339 { frames[i].1 = frames[i + 1].0 }
        let rows = Self.scores(detector, frames)
        #expect(detector.scoreFields == ["score", "likelihood", "log_likelihood", "peak", "error"])
        #expect(rows[300][1] == 1 && rows[300][2] == 1, "\(rows[300])")
        #expect(rows[300][4] == 0 && rows[200][4] > 0, "the raw error: 0 where the prediction is exact")
        #expect(rows[200..<300].allSatisfy { $0[1] < 1 }, "normal data never leaves the range")
        #expect(rows[300][3] == 1, "the first frame of the rise is a peak")
        #expect(rows[301..<320].allSatisfy { $0[3] == 0 }, "\(rows[301..<320].map { $0[3] })")
        var without = options
        without.rangeNovelty = false
        let plain = Self.scores(
            try AnomalyDetector(inputSize: 3, outputSize: 3, options: without, hopSeconds: Self.hop), frames)
        #expect(plain[300][1] < 0.99, "without range_novelty a perfectly predicted jump is not anomalous")
    }

    @Test func aNonFiniteFrameIsSkippedAndLeavesTheScoresUsable() throws {
        var options = Self.zOptions(smoothMilliseconds: 30)
        options.likelihoodShortMilliseconds = 50
        options.likelihoodLongMilliseconds = 2000
        options.likelihoodLearnMilliseconds = 1000
        var frames = Self.signal()
        frames[150].1 = [.nan, 0, 0]
        frames[151].0 = [.infinity, 0, 0]
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        let rows = Self.scores(detector, frames)
        #expect(rows.allSatisfy { $0.allSatisfy(\.isFinite) }, "\(rows[150..<155])")
        let clean = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop)
        #expect(Self.events(clean, Self.signal()).map(\.event.phase) == [.open, .close])
        let events = Self.events(
            try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: Self.hop), frames)
        #expect(events.map(\.event.phase) == [.open, .close], "the fault at 300 is still found: \(events)")
    }

    @Test func aLikelihoodThresholdOutsideZeroOneIsRefused() {
        var options = AnomalyOptions()
        options.scale = .likelihood
        options.threshold = 4
        #expect(throws: PipelineConfigError.self) {
            try AnomalyDetector(inputSize: 1, outputSize: 1, options: options, hopSeconds: 0.01)
        }
    }
}
