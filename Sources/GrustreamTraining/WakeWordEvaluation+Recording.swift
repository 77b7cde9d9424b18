import GrustreamNeural
import GrustreamPipeline

/// One stream through the daemon's `StreamProcessor`, recorded: the frames its detector saw (index, times, the
/// network's outputs after the activation) and the word's detections at the pipeline's threshold.
final class StreamRecorder {
    let name: String
    let processor: StreamProcessor
    private let label: Int
    private var indices: [Int] = []
    private var starts: [Double] = []
    private var ends: [Double] = []
    private var outputs: [Float] = []
    private var detections = 0
    private var samples = 0

    init(pipeline: ResolvedPipeline, name: String, label: Int) throws {
        self.name = name
        self.label = label
        processor = try StreamProcessor(name: name, pipeline: pipeline, bus: PublisherGroup([]))
        processor.frameObserver = { [unowned self] frame in
            indices.append(frame.index)
            starts.append(frame.start)
            ends.append(frame.end)
            outputs.append(contentsOf: frame.output)
        }
        processor.eventObserver = { [unowned self] event in
            if event.kind == .detection && event.label == self.label { detections += 1 }
        }
    }

    /// Feed `samples` (mono, at the features' rate) in pieces of `chunk`.
    func feed(_ samples: [Float], chunk: Int) {
        samples.withUnsafeBufferPointer { all in
            var offset = 0
            while offset < all.count {
                let end = min(all.count, offset + max(1, chunk))
                processor.accept(UnsafeBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        self.samples += samples.count
    }

    func finish() -> RecordedStream {
        processor.finish()
        processor.frameObserver = nil
        processor.eventObserver = nil
        return RecordedStream(
            name: name, label: label, indices: indices, starts: starts, ends: ends, outputs: outputs,
            endSample: samples, detections: detections)
    }
}

/// A recorded stream (see `StreamRecorder`).
struct RecordedStream {
    var name: String
    var label: Int
    var indices: [Int]
    var starts: [Double]
    var ends: [Double]
    /// [frames, outputs]
    var outputs: [Float]
    /// Samples fed (at the features' rate).
    var endSample: Int
    /// The word's detections in the live run.
    var detections: Int

    /// The word's detections of a fresh detector with `options` over the recorded frames.
    func replay(pipeline: ResolvedPipeline, options: DetectorOptions) throws -> Int {
        let detector = try pipeline.makeDetector(options: options)
        let o = pipeline.model.outputSize
        var count = 0
        let emit: (DetectorEvent) -> Void = { if $0.kind == .detection && $0.label == label { count += 1 } }
        let none = UnsafeBufferPointer<Float>(start: nil, count: 0)
        outputs.withUnsafeBufferPointer { y in
            for f in indices.indices {
                let frame = DetectorFrame(
                    index: indices[f], start: starts[f], end: ends[f], input: none,
                    output: UnsafeBufferPointer(rebasing: y[(f * o)..<((f + 1) * o)]))
                detector.process(frame, emit: emit)
            }
        }
        detector.finish(endSample: endSample, emit: emit)
        return count
    }
}
