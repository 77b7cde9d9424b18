import GrustreamKernels

/// The streaming feature extractor: interleaved samples in, feature vectors out as soon as they are complete.
///
/// Samples are copied into one ring buffer per channel; frame t (per channel: samples
/// [t·hop − pad, t·hop − pad + frameLength), pad = frameLength/2 with `edges = "center"`, else 0; samples before
/// the stream start are zeros) is computed from the ring only once its last sample has arrived, so every frame
/// sees the same samples in the same order whatever the chunking: the output is bit-identical for any split of
/// the input. Then deltas (latency `latencyFrames`), the trend + seasonal decomposition (`SeasonalStage`) and
/// normalisation. Nothing is allocated per frame.
///
/// `finish` ends the stream: with `center`, the frames overlapping frameLength/2 zeros after the end are produced
/// (librosa `center=True, pad_mode="constant"`); a trailing partial multi-channel sample is dropped; the delta
/// lookahead is flushed. Afterwards the extractor is ready for a new stream (as after `reset()`, except that
/// `framesEmitted` keeps counting).
public final class FeatureExtractor {
    public let options: FeatureOptions
    /// Values per output frame.
    public var dimension: Int { options.dimension }
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
    private let seasonal: SeasonalStage
    /// [dimension] the vector and its remainders (`seasonal_keep_input`); empty otherwise.
    private let withRemainders: UnsafeMutableBufferPointer<Float>
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
        seasonal = SeasonalStage(
            dimension: options.decomposedDimension, period: options.seasonal.period,
            searchFrames: options.seasonal.searchFrames,
            smoothing: options.seasonal.smoothing, minCorrelation: options.seasonal.minCorrelation)
        normaliser = Normaliser(options: options.normalisation, dimension: options.dimension)
        precondition(deltas.outputDimension == options.decomposedDimension)
        let keepInput = options.seasonal.isActive && options.seasonal.keepInput
        withRemainders = .copy([Float](repeating: 0, count: keepInput ? options.dimension : 0))
    }

    deinit {
        ring.deallocate()
        frame.deallocate()
        base.deallocate()
        withRemainders.deallocate()
    }

    /// Interleaved samples (count a multiple of `channels` is NOT required: partial frames are kept across calls).
    public func accept(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        guard var source = samples.baseAddress else { return }
        if finishedSeasonal != nil { finishedSeasonal = nil }
        if channels != 1 {
            acceptInterleaved(samples, emit: emit)
            return
        }
        // Mono: copy runs that end where the next frame becomes complete, then compute the frames ready.
        var remaining = samples.count
        while remaining > 0 {
            let run = min(remaining, nextFrameEnd - samplesReceived)
            writeRing(source, count: run)
            samplesReceived += run
            source += run
            remaining -= run
            emitReadyFrames(emit: emit)
        }
    }

    /// Samples (per channel) that complete frame `nextFrame`.
    private var nextFrameEnd: Int { nextFrame * hop - startPad + frameLength }

    private func emitReadyFrames(emit: (UnsafeBufferPointer<Float>) -> Void) {
        while nextFrameEnd <= samplesReceived { computeFrame(emit: emit) }
    }

    /// Mono: `count` samples from `source` into the ring at positions `samplesReceived ...` (at most two copies;
    /// of a run longer than the ring only the last `ringSize` samples are kept).
    private func writeRing(_ source: UnsafePointer<Float>, count: Int) {
        let skip = max(0, count - ringSize)
        let n = count - skip
        let start = (samplesReceived + skip) & ringMask
        let first = min(n, ringSize - start)
        let ringBase = ring.baseAddress!
        (ringBase + start).update(from: source + skip, count: first)
        ringBase.update(from: source + skip + first, count: n - first)
    }

    /// Several channels: de-interleave value by value (state in locals), frames computed as they complete.
    private func acceptInterleaved(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        let ringBase = ring.baseAddress!
        var channel = nextChannel
        var received = samplesReceived
        var frameEnd = nextFrameEnd
        for value in samples {
            ringBase[channel &* ringSize &+ (received & ringMask)] = value
            channel &+= 1
            if channel == channels {
                channel = 0
                received &+= 1
                if received >= frameEnd {
                    samplesReceived = received
                    emitReadyFrames(emit: emit)
                    frameEnd = nextFrameEnd
                }
            }
        }
        samplesReceived = received
        nextChannel = channel
    }

    /// Convenience for arrays.
    public func accept(_ samples: [Float], emit: (UnsafeBufferPointer<Float>) -> Void) {
        samples.withUnsafeBufferPointer { accept($0, emit: emit) }
    }

    /// End of stream: produce trailing frames (centre padding, delta lookahead), then start a new stream.
    public func finish(emit: (UnsafeBufferPointer<Float>) -> Void) {
        if startPad > 0 && samplesReceived > 0 {
            while nextFrameEnd <= samplesReceived + startPad {
                computeFrame(emit: emit)
            }
        }
        deltas.finish { out in deliver(out, emit: emit) }
        finishedSeasonal = seasonal.isActive ? seasonal.snapshot() : nil
        resetStream()
    }

    /// Forget the stream: samples, pending frames, delta history, decomposition, running normalisation;
    /// `framesEmitted` = 0.
    public func reset() {
        resetStream()
        finishedSeasonal = nil
        framesEmitted = 0
    }

    /// The decomposition's period in frames: the one given, or the one found (0 while searching, or none found).
    public var seasonalPeriod: Int { seasonal.period }

    /// Starts the next stream with the decomposition's period already known (see `SeasonalStage.preset`): what
    /// `grustream train` does with the period it found in its data. Ignored when the decomposition is off.
    public func presetSeasonalPeriod(_ period: Int) {
        guard seasonal.isActive else { return }
        seasonal.preset(period: period)
        presetPeriod = period
    }
    private var presetPeriod: Int?

    /// Once a searched period is found: the range the remainders of the searched frames would have had (they
    /// passed through meanwhile), as output values — `[dimension]` smallest and largest, NaN for the values that
    /// are not remainders (the vector itself with `seasonal_keep_input`); nil before, without a search, or with
    /// sliding normalisation (no fixed map to output values). A detector that judges the range of values can
    /// start the remainders' range from it instead of the passed-through values.
    public func searchedRemainderRange() -> (low: [Float], high: [Float])? {
        guard let range = seasonal.searchedRemainderRange, normaliser.mode != .sliding else { return nil }
        let d = range.low.count
        let offset = withRemainders.count > 0 ? d : 0
        var low = [Float](repeating: .nan, count: dimension)
        var high = [Float](repeating: .nan, count: dimension)
        for i in 0..<d {
            low[offset + i] = range.low[i]
            high[offset + i] = range.high[i]
        }
        if normaliser.mode == .global {
            low.withUnsafeMutableBufferPointer { normaliser.apply($0.baseAddress!) }
            high.withUnsafeMutableBufferPointer { normaliser.apply($0.baseAddress!) }
        }
        return (low, high)
    }

    /// The decomposition's state (`SeasonalStage.snapshot`), for a state file; nil when the decomposition is off.
    /// After `finish`, until the next samples, the state the stream ended with.
    public func seasonalSnapshot() -> [String: [Double]]? {
        guard seasonal.isActive else { return nil }
        return finishedSeasonal ?? seasonal.snapshot()
    }

    /// Continue the decomposition from a saved state (at stream start; `SeasonalStage.restore`: no new period
    /// search once the saved one had ended). Throws, changing nothing, when it does not fit this decomposition.
    public func restoreSeasonal(_ values: [String: [Double]]) throws {
        guard seasonal.isActive else {
            throw SeasonalStateError("a decomposition state was saved, but this pipeline has no decomposition")
        }
        try seasonal.restore(values)
        finishedSeasonal = nil
    }
    /// The decomposition's state at the end of the last stream (`finish`), until new samples arrive.
    private var finishedSeasonal: [String: [Double]]?

    /// Undoes `presetSeasonalPeriod`: the next stream searches for its period again.
    public func clearSeasonalPreset() {
        presetPeriod = nil
        seasonal.reset()
    }

    private func resetStream() {
        samplesReceived = 0
        nextChannel = 0
        nextFrame = 0
        deltas.reset()
        if let presetPeriod { seasonal.preset(period: presetPeriod) } else { seasonal.reset() }
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
        let interior = start >= 0 && start + frameLength <= samplesReceived
        for c in 0..<channels {
            let channelRing = ring.baseAddress! + c * ringSize
            if interior {
                // At most two contiguous spans of the ring (wrap-around).
                let first = start & ringMask
                let head = min(frameLength, ringSize - first)
                analyzer.kernels.scaledCopy(channelRing + first, head, scale: scale, into: x)
                analyzer.kernels.scaledCopy(channelRing, frameLength - head, scale: scale, into: x + head)
            } else {
                // Stream start (centre padding) or end (`finish`): zeros outside the samples received.
                for i in 0..<frameLength {
                    let index = start + i
                    x[i] = index < 0 || index >= samplesReceived ? 0 : channelRing[index & ringMask] * scale
                }
            }
            analyzer.analyze(x, frame: t, channel: c, into: base.baseAddress! + c * per)
        }
        deltas.push(base.baseAddress!) { out in deliver(out, emit: emit) }
    }

    @inline(__always)
    private func deliver(_ out: UnsafeMutableBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        var vector = out
        if withRemainders.count > 0 {
            let d = out.count
            withRemainders.baseAddress!.update(from: out.baseAddress!, count: d)
            (withRemainders.baseAddress! + d).update(from: out.baseAddress!, count: d)
            seasonal.apply(withRemainders.baseAddress! + d)
            vector = withRemainders
        } else if seasonal.isActive {
            seasonal.apply(out.baseAddress!)
        }
        normaliser.apply(vector.baseAddress!)
        framesEmitted += 1
        emit(UnsafeBufferPointer(vector))
    }
}
