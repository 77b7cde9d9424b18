/// The streaming feature extractor: interleaved samples in, feature vectors out as soon as they are complete.
///
/// Samples are copied into one ring buffer per channel; frame t (per channel: samples
/// [t·hop − pad, t·hop − pad + frameLength), pad = frameLength/2 with `edges = "center"`, else 0; samples before
/// the stream start are zeros) is computed from the ring only once its last sample has arrived, so every frame
/// sees the same samples in the same order whatever the chunking: the output is bit-identical for any split of
/// the input. Then deltas (latency `latencyFrames`) and normalisation. Nothing is allocated per frame.
///
/// `finish` ends the stream: with `center`, the frames overlapping frameLength/2 zeros after the end are produced
/// (librosa `center=True, pad_mode="constant"`); a trailing partial multi-channel sample is dropped; the delta
/// lookahead is flushed. Afterwards the extractor is ready for a new stream (as after `reset()`, except that
/// `framesEmitted` keeps counting).
public final class FeatureExtractor {
    public let options: FeatureOptions
    /// Values per output frame.
    public var dimension: Int { deltas.outputDimension }
    /// Frames of lookahead (deltas): a frame is emitted once `latencyFrames` later frames exist.
    public var latencyFrames: Int { deltas.latency }
    /// Interleaved input channels.
    public var channels: Int { options.channels }
    /// Frames emitted since construction or `reset()`.
    public private(set) var framesEmitted = 0

    /// First input sample (per channel, counted from the stream start; negative = centre padding) of output
    /// frame `frame` of the current stream; the frame spans `options.frameLength` samples. For event times:
    /// frame t is centred on sample `firstSample(ofFrame: t) + frameLength / 2`.
    public func firstSample(ofFrame frame: Int) -> Int { frame * hop - startPad }

    private let frameLength: Int
    private let hop: Int
    private let startPad: Int
    private let ringMask: Int
    private let ringSize: Int
    /// [channels][ringSize] raw input samples.
    private let ring: UnsafeMutableBufferPointer<Float>
    /// [frameLength] the frame being analysed.
    private let frame: UnsafeMutableBufferPointer<Float>
    /// [channels · base dimension per channel] the current frame's base features.
    private let base: UnsafeMutableBufferPointer<Float>
    private let analyzer: FrameAnalyzer
    private let deltas: DeltaStage
    private let normaliser: Normaliser
    /// Complete multi-channel samples received in this stream.
    private var samplesReceived = 0
    /// Channel of the next incoming value.
    private var nextChannel = 0
    /// Index of the next frame to compute.
    private var nextFrame = 0

    /// Validates `options` and plans the FFT (once, under a global lock).
    public init(options: FeatureOptions) throws {
        try options.validate()
        self.options = options
        frameLength = options.frameLength
        hop = options.hopLength
        startPad = options.kind != .raw && options.frame.edges == .center ? frameLength / 2 : 0
        var size = 1
        while size < frameLength { size <<= 1 }
        ringSize = size
        ringMask = size - 1
        ring = .copy([Float](repeating: 0, count: options.channels * size))
        frame = .copy([Float](repeating: 0, count: frameLength))
        analyzer = try FrameAnalyzer(options: options)
        base = .copy([Float](repeating: 0, count: options.channels * analyzer.outputCount))
        deltas = DeltaStage(
            baseDimension: options.channels * analyzer.outputCount, order: options.delta.order,
            window: options.delta.window)
        normaliser = Normaliser(options: options.normalisation, dimension: options.dimension)
        precondition(deltas.outputDimension == options.dimension)
    }

    deinit {
        ring.deallocate()
        frame.deallocate()
        base.deallocate()
    }

    /// Interleaved samples (count a multiple of `channels` is NOT required: partial frames are kept across calls).
    public func accept(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        let ringBase = ring.baseAddress!
        for value in samples {
            ringBase[nextChannel * ringSize + (samplesReceived & ringMask)] = value
            nextChannel += 1
            if nextChannel == channels {
                nextChannel = 0
                samplesReceived += 1
                while nextFrame * hop - startPad + frameLength <= samplesReceived {
                    computeFrame(emit: emit)
                }
            }
        }
    }

    /// Convenience for arrays.
    public func accept(_ samples: [Float], emit: (UnsafeBufferPointer<Float>) -> Void) {
        samples.withUnsafeBufferPointer { accept($0, emit: emit) }
    }

    /// End of stream: produce trailing frames (centre padding, delta lookahead), then start a new stream.
    public func finish(emit: (UnsafeBufferPointer<Float>) -> Void) {
        if startPad > 0 && samplesReceived > 0 {
            while nextFrame * hop - startPad + frameLength <= samplesReceived + startPad {
                computeFrame(emit: emit)
            }
        }
        deltas.finish { out in deliver(out, emit: emit) }
        resetStream()
    }

    /// Forget the stream: samples, pending frames, delta history, running normalisation; `framesEmitted` = 0.
    public func reset() {
        resetStream()
        framesEmitted = 0
    }

    private func resetStream() {
        samplesReceived = 0
        nextChannel = 0
        nextFrame = 0
        deltas.reset()
        normaliser.reset()
    }

    /// Whole signal → [frames, dimension] row-major (for tests and the `features` command).
    public static func extract(_ samples: [Float], options: FeatureOptions) throws -> (
        frames: Int, dimension: Int, values: [Float]
    ) {
        let extractor = try FeatureExtractor(options: options)
        var values: [Float] = []
        extractor.accept(samples) { values.append(contentsOf: $0) }
        extractor.finish { values.append(contentsOf: $0) }
        return (values.count / extractor.dimension, extractor.dimension, values)
    }

    private func computeFrame(emit: (UnsafeBufferPointer<Float>) -> Void) {
        let t = nextFrame
        nextFrame += 1
        let start = t * hop - startPad
        let scale = options.frame.inputScale
        let x = frame.baseAddress!
        let per = analyzer.outputCount
        for c in 0..<channels {
            let channelRing = ring.baseAddress! + c * ringSize
            for i in 0..<frameLength {
                let index = start + i
                x[i] = index < 0 || index >= samplesReceived ? 0 : channelRing[index & ringMask] * scale
            }
            analyzer.analyze(x, frame: t, channel: c, into: base.baseAddress! + c * per)
        }
        deltas.push(base.baseAddress!) { out in deliver(out, emit: emit) }
    }

    @inline(__always)
    private func deliver(_ out: UnsafeMutableBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        normaliser.apply(out.baseAddress!)
        framesEmitted += 1
        emit(UnsafeBufferPointer(out))
    }
}
