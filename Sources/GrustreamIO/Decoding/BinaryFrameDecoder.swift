/// Streaming interleaved binary frames (`f32le`, `s16le`, any `SampleEncoding`) with a declared channel
/// count, for any chunking. Frames with a NaN or ±Inf value, or a value beyond ±`sampleLimit` (float
/// encodings: integers are within ±1), are bad frames, handled by `policy`; a frame cut by the end of the
/// input is a bad frame too (`finish`). `take` filters samples another decoder produced (a float WAV's).
public final class BinaryFrameDecoder {
    public let encoding: SampleEncoding
    public let channels: Int
    public let policy: BadFramePolicy
    /// Largest magnitude a sample may have (see `SampleLimit`).
    public let sampleLimit: Float
    public private(set) var badFrames = BadFrameLog()
    /// Frames emitted so far (held repeats included).
    public private(set) var framesDecoded = 0
    private var pcm: PCMDecoder
    private let batchFrames = 256
    private let output: UnsafeMutablePointer<Float>
    private var outputSamples = 0  // may end inside a frame
    private let lastGood: UnsafeMutablePointer<Float>
    private var haveLastGood = false
    private var frameIndex = 0  // frames seen, good or bad
    private let checksFinite: Bool

    public init(
        encoding: SampleEncoding, channels: Int, policy: BadFramePolicy = .skip,
        sampleLimit: Float = .greatestFiniteMagnitude
    ) {
        self.encoding = encoding
        self.channels = max(1, channels)
        self.policy = policy
        self.sampleLimit = sampleLimit
        pcm = PCMDecoder(format: PCMFormat(sampleRate: 1, channels: max(1, channels), encoding: encoding))
        output = .allocate(capacity: batchFrames * max(1, channels))
        lastGood = .allocate(capacity: max(1, channels))
        checksFinite = encoding == .f32le || encoding == .f64le
    }

    deinit {
        output.deallocate()
        lastGood.deallocate()
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        pcm.decode(bytes) { samples in collect(samples, emit: emit) }
        flush(emit: emit)
    }

    /// Interleaved samples already decoded (any count), checked and framed as `decode` does.
    public func take(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        collect(samples, emit: emit)
        flush(emit: emit)
    }

    private func collect(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        for sample in samples {
            output[outputSamples] = sample
            outputSamples += 1
            if outputSamples % channels == 0 { endFrame(emit: emit) }
        }
    }

    /// End of input: a partial frame left over is a bad frame.
    public func finish(emit: (UnsafeBufferPointer<Float>) -> Void) {
        let partialSamples = outputSamples % channels
        let partialBytes = partialSamples * encoding.bytesPerSample + pcm.pendingBytes
        if partialBytes > 0 {
            outputSamples -= partialSamples
            frameIndex += 1
            badFrames.record(
                line: frameIndex,
                reason: "input ends inside a frame (\(partialBytes) of \(channels * encoding.bytesPerSample) bytes)",
                unit: "frame")
        }
        flush(emit: emit)
    }

    private func endFrame(emit: (UnsafeBufferPointer<Float>) -> Void) {
        frameIndex += 1
        let start = output + outputSamples - channels
        if checksFinite, let c = (0..<channels).first(where: { !(abs(start[$0]) <= sampleLimit) }) {  // NaN too
            let reason =
                start[c].isFinite
                ? "channel \(c) is \(start[c]), beyond the sample limit ±\(sampleLimit)"
                : "channel \(c) is \(start[c])"
            badFrames.record(line: frameIndex, reason: reason, unit: "frame")
            guard policy == .hold && haveLastGood else {
                outputSamples -= channels
                return
            }
            start.update(from: lastGood, count: channels)
        } else {
            lastGood.update(from: start, count: channels)
            haveLastGood = true
        }
        // A held frame fills the batch as a good one does: the buffer holds `batchFrames` frames, no more.
        if outputSamples == batchFrames * channels { flush(emit: emit) }
    }

    private func flush(emit: (UnsafeBufferPointer<Float>) -> Void) {
        let whole = outputSamples / channels * channels
        guard whole > 0 else { return }
        emit(UnsafeBufferPointer(start: output, count: whole))
        framesDecoded += whole / channels
        let rest = outputSamples - whole
        output.update(from: output + whole, count: rest)
        outputSamples = rest
    }
}
