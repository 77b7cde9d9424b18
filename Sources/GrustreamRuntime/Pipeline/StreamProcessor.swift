import GrustreamDSP
import GrustreamNeural

/// One stream's hot path: samples → features → normalisation → GRU step → activation → detector → events.
/// Holds the stream's state (feature ring, hidden state, detector state) apart from the shared model.
/// Nothing is allocated per frame.
public final class StreamProcessor {
    public let name: String
    public let pipeline: ResolvedPipeline
    let extractor: FeatureExtractor
    let runner: GRURunner
    let detector: Detector
    let bus: PublisherGroup
    /// Publish a `SCORES` line per frame.
    let scoresEnabled: Bool
    /// `[input]` the normalised feature vector the GRU reads.
    private let input: UnsafeMutableBufferPointer<Float>
    /// `[output]` the head's output after the activation.
    private let output: UnsafeMutableBufferPointer<Float>
    /// `[input]` model normalisation: mean and 1/std (empty: none).
    private let mean: [Float]
    private let inverseStd: [Float]
    private let sampleRate: Double
    private let frameLength: Int
    /// Feature frames processed in this stream.
    public private(set) var frames = 0
    /// `DETECTION`/`ANOMALY` events published for this stream.
    public private(set) var events = 0

    public init(name: String, pipeline: ResolvedPipeline, bus: PublisherGroup) throws {
        self.name = name
        self.pipeline = pipeline
        self.bus = bus
        scoresEnabled = pipeline.detector.scores
        extractor = try FeatureExtractor(options: pipeline.features)
        runner = try GRURunner(model: pipeline.model, mode: pipeline.mode)
        detector = try pipeline.makeDetector()
        input = .allocate(capacity: pipeline.model.inputSize)
        input.initialize(repeating: 0)
        output = .allocate(capacity: pipeline.model.outputSize)
        output.initialize(repeating: 0)
        if let norm = pipeline.model.normalisation {
            mean = norm.mean
            inverseStd = norm.std.map { 1 / $0 }
        } else {
            mean = []
            inverseStd = []
        }
        sampleRate = pipeline.features.sampleRate
        frameLength = pipeline.features.frameLength
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Input frames (samples per channel) the source skipped: dropped by a live source whose ring overflowed.
    /// The features continue across the gap as if the audio were spliced; event times include it.
    public private(set) var skippedInputFrames = 0
    /// Input frames received (the next expected `firstFrame`).
    private var receivedInputFrames = 0

    /// Interleaved samples of this stream, any count. `firstFrame`: the stream index of the first sample frame
    /// (from the ring; a jump means the source dropped frames), nil when the input is known to be contiguous.
    public func accept(_ samples: UnsafeBufferPointer<Float>, firstFrame: Int? = nil) {
        if let firstFrame, firstFrame > receivedInputFrames + skippedInputFrames {
            skippedInputFrames = firstFrame - receivedInputFrames
        }
        receivedInputFrames += samples.count / max(1, pipeline.features.channels)
        extractor.accept(samples) { frame in process(frame) }
    }

    /// End of the stream: trailing frames (centre padding, delta lookahead), then the detector closes open spans.
    public func finish() {
        extractor.finish { frame in process(frame) }
        let endSample = receivedInputFrames + skippedInputFrames
        detector.finish(endSample: endSample) { event in publish(event, at: Double(endSample) / sampleRate) }
    }

    private func process(_ features: UnsafeBufferPointer<Float>) {
        let n = input.count
        if mean.isEmpty {
            for i in 0..<n { input[i] = features[i] }
        } else {
            for i in 0..<n { input[i] = (features[i] - mean[i]) * inverseStd[i] }
        }
        runner.step(UnsafeBufferPointer(input), output: output)
        pipeline.outputActivation.apply(output.baseAddress!, output.count)
        let first = extractor.firstSample(ofFrame: frames) + skippedInputFrames
        let start = Double(max(0, first)) / sampleRate
        let end = Double(max(0, first + frameLength)) / sampleRate
        let frame = DetectorFrame(
            index: frames, start: start, end: end, input: UnsafeBufferPointer(input), output: UnsafeBufferPointer(output))
        detector.process(frame) { event in publish(event, at: end) }
        if scoresEnabled {
            detector.withScores { scores in
                bus.publishScores(stream: name, t: end, frame: frames, labels: detector.labels, scores: scores)
            }
        }
        frames += 1
    }

    private func publish(_ event: DetectorEvent, at t: Double) {
        events += 1
        switch event.kind {
        case .detection:
            bus.publish(
                .detection(
                    stream: name, t: t, label: detector.labels[event.label], score: Double(event.score), start: event.start,
                    end: event.end))
        case .anomaly:
            bus.publish(
                .anomaly(
                    stream: name, t: t, score: Double(event.score), threshold: Double(event.threshold), start: event.start,
                    end: event.end))
        }
    }
}
