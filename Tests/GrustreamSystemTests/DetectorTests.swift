import Foundation
import GrustreamPipeline
import Testing

/// Feed per-frame outputs (and inputs) to a detector at a 10 ms hop; collect its events.
func run(
    _ detector: Detector, outputs: [[Float]], inputs: [[Float]]? = nil, hop: Double = 0.01, frameLength: Double = 0.025
)
    -> [DetectorEvent]
{
    var events: [DetectorEvent] = []
    for (i, output) in outputs.enumerated() {
        let input = inputs?[i] ?? output
        output.withUnsafeBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                let frame = DetectorFrame(
                    index: i, start: Double(i) * hop, end: Double(i) * hop + frameLength, input: inp, output: out)
                detector.process(frame) { events.append($0) }
            }
        }
    }
    detector.finish(endSample: Int((Double(outputs.count) * hop + frameLength) * 16000)) { events.append($0) }
    return events
}

@Suite("classify detector")
struct ClassifyDetectorTests {
    let labels = ["_silence_", "yes", "no"]

    /// Silence, then "yes" at 0.9 for `frames` frames from frame 50, then silence.
    func utterance(at start: Int = 50, frames: Int = 40, total: Int = 200, label: Int = 1, p: Float = 0.9) -> [[Float]]
    {
        (0..<total).map { i in
            var v: [Float] = [1, 0, 0]
            if i >= start && i < start + frames { v = [1 - p, 0, 0]; v[label] = p }
            return v
        }
    }

    @Test func oneUtteranceGivesOneDetectionAfterTheSmoothingWindow() throws {
        var options = ClassifyOptions()
        options.threshold = 0.8
        options.smoothMilliseconds = 100  // 10 frames
        let detector = try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        let events = run(detector, outputs: utterance())
        #expect(events.count == 1)
        let e = try #require(events.first)
        // The 10-frame mean of 0.9s reaches 0.8 once 9 of them are in: frame 58.
        #expect(e.label == 1)
        #expect(e.kind == .detection)
        #expect(abs(e.end - (0.58 + 0.025)) < 1e-9, "end \(e.end)")
        #expect(abs(e.start - 0.50) < 1e-9, "start \(e.start)")
        #expect(e.score >= 0.8 && e.score <= 0.9)
    }

    /// At the start of a stream the window is not averaged over the few frames seen so far (which let a
    /// posterior of 0.95 on the first syllable trigger at t = 0.045 s with 300 ms smoothing) but over the
    /// whole window with zeros before the first frame: a label needs threshold × window frames of evidence.
    @Test func aTriggerNeedsAFullSmoothingWindowAtStreamStart() throws {
        var options = ClassifyOptions()
        options.threshold = 0.8
        options.smoothMilliseconds = 300  // 30 frames
        // "yes" at 0.95 for the first 20 frames: 19 / 30 of the window, below 0.8 — no detection.
        let short = try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        #expect(run(short, outputs: utterance(at: 0, frames: 20, p: 0.95)).isEmpty)
        // 40 frames at 0.95 from the first frame: the window's mean reaches 0.8 at frame 25 (26 × 0.95 / 30).
        let long = try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        let events = run(long, outputs: utterance(at: 0, frames: 40, p: 0.95))
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(abs(e.end - (0.25 + 0.025)) < 1e-9, "end \(e.end)")
        #expect(abs(e.start - 0) < 1e-9, "start \(e.start)")
        #expect(e.score >= 0.8)
    }

    @Test func refractoryPeriodSuppressesRepeatsButNotLaterUtterances() throws {
        var options = ClassifyOptions()
        options.smoothMilliseconds = 0
        options.refractoryMilliseconds = 500
        let detector = try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        // Two bursts 20 frames apart (inside 500 ms), then one 80 frames later.
        var outputs = utterance(at: 10, frames: 5)
        for i in 30..<35 { outputs[i] = [0.1, 0.9, 0] }
        for i in 120..<125 { outputs[i] = [0.1, 0.9, 0] }
        let events = run(detector, outputs: outputs)
        let triggerFrames: [Int] = events.map { (e: DetectorEvent) -> Int in Int(((e.end - 0.025) * 100).rounded()) }
        #expect(triggerFrames == [10, 120])
    }

    @Test func backgroundLabelsNeverTriggerAndPerLabelThresholdsApply() throws {
        var options = ClassifyOptions()
        options.smoothMilliseconds = 0
        options.labelThresholds = ["no": 0.95]
        let detector = try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        #expect(run(detector, outputs: utterance(label: 2, p: 0.9)).isEmpty)  // 0.9 < 0.95; silence at 1.0 never counts
        detector.reset()
        #expect(run(detector, outputs: utterance(label: 2, p: 0.97)).count == 1)
    }

    @Test func unknownLabelInThresholdsIsRefused() {
        var options = ClassifyOptions()
        options.labelThresholds = ["maybe": 0.5]
        #expect(throws: PipelineConfigError.self) {
            try ClassifyDetector(labels: labels, options: options, hopSeconds: 0.01)
        }
    }
}

@Suite("anomaly detector")
struct AnomalyDetectorTests {
    /// A perfect next-frame predictor with small deterministic noise, broken between frames 300 and 340.
    func signal(total: Int = 600, faultStart: Int = 300, faultEnd: Int = 340) -> (inputs: [[Float]], outputs: [[Float]])
    {
        var inputs: [[Float]] = []
        var outputs: [[Float]] = []
        var seed: UInt32 = 1
        func noise() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return (Float(seed >> 8) / Float(1 << 24) - 0.5) * 0.1
        }
        for i in 0..<total {
            let x: [Float] = [sin(Float(i) * 0.1), cos(Float(i) * 0.1), 0.5]
            inputs.append(x)
            // Output at i predicts input at i+1 (plus noise); inside the fault the input jumps instead.
            let next: [Float] = [sin(Float(i + 1) * 0.1), cos(Float(i + 1) * 0.1), 0.5]
            outputs.append(next.map { $0 + noise() })
        }
        for i in faultStart..<faultEnd { inputs[i] = inputs[i].map { $0 + 2 } }
        return (inputs, outputs)
    }

    @Test func aFaultGivesOneSpanCoveringIt() throws {
        var options = AnomalyOptions()
        options.warmupMilliseconds = 2000  // learn on the first 200 frames (normal)
        options.smoothMilliseconds = 30
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: 0.01)
        let (inputs, outputs) = signal()
        let events = run(detector, outputs: outputs, inputs: inputs)
        #expect(detector.isCalibrated)
        #expect(events.map(\.phase) == [.open, .close], "\(events)")
        let e = try #require(events.last)
        #expect(e.kind == .anomaly)
        #expect(events.first?.start == e.start)
        #expect(e.score > options.threshold)
        #expect(e.start >= 2.99 && e.start <= 3.02, "start \(e.start)")
        #expect(e.end >= 3.39 && e.end <= 3.50, "end \(e.end)")
    }

    @Test func noEventsDuringWarmUpOrOnNormalData() throws {
        var options = AnomalyOptions()
        options.warmupMilliseconds = 2000
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: 0.01)
        let (inputs, outputs) = signal(faultStart: 0, faultEnd: 0)
        #expect(run(detector, outputs: outputs, inputs: inputs).isEmpty)
    }

    @Test func aSpanStillOpenAtEndOfStreamIsReported() throws {
        var options = AnomalyOptions()
        options.errorMean = -7  // ln of the ~1e-3 mean squared noise
        options.errorStd = 1
        let detector = try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: 0.01)
        let (inputs, outputs) = signal(total: 100, faultStart: 80, faultEnd: 100)
        let events = run(detector, outputs: outputs, inputs: inputs)
        #expect(events.map(\.phase) == [.open, .close], "\(events)")
        let end = events.last?.end ?? 0
        #expect(abs(end - 1.015) < 1e-9, "end \(end)")
    }

    @Test func mismatchedSizesAreRefused() {
        #expect(throws: PipelineConfigError.self) {
            try AnomalyDetector(inputSize: 3, outputSize: 4, options: AnomalyOptions(), hopSeconds: 0.01)
        }
    }
}
