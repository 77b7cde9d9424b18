/// Options of the `precise` detector (`[detector]` with `kind = "precise"`): precise-runner's `TriggerDetector`.
public struct PreciseOptions: Sendable, Equatable {
    public enum Score: String, Sendable, CaseIterable {
        /// Precise's ThresholdDecoder output (what Precise's engine prints and precise-runner reads).
        case decoded
        /// The network's sigmoid.
        case raw
    }
    /// A chunk is hot when its score > 1 − sensitivity (0…1; precise-runner's default 0.5).
    public var sensitivity: Double = 0.5
    /// Hot chunks (counted up, cold chunks count down to 0) needed before the count exceeds it and fires.
    public var triggerLevel: Int = 3
    /// Bytes of 16-bit audio per chunk: the trigger is updated once per chunk, with the score of the window as it
    /// stands at the chunk's end (precise-runner: 2048 = 1024 samples = 64 ms at 16 kHz).
    public var chunkBytes: Int = 2048
    /// Which score the trigger reads.
    public var score: Score = .decoded

    public init() {}
}

/// Mycroft Precise wake-word triggering (precise-runner's `TriggerDetector`, see `PreciseTrigger`) on the per-frame
/// raw scores of a Precise model run in `window:29` mode.
///
/// Precise evaluates once per chunk of `chunk_bytes` bytes, with the window as it stands at the chunk's end: the
/// score of the last feature frame complete by then (before the first frame: the all-zero window's score,
/// `initialRawScore`). Frame t (0-based) is complete after sample t·hop + frameLength, so a frame arriving tells the
/// detector that every chunk ending before that sample saw the previous frame's score; those chunks are evaluated
/// then (events come at most one hop late, stamped with the chunk's end). `flush(throughSample:)` evaluates the
/// chunks up to a known stream end. `DETECTION`: `end` = end of the firing chunk, `start` = start of the first hot
/// chunk of the run that led to it; `score` = the firing chunk's score; `threshold` = 1 − sensitivity.
/// `withScores` lends [raw, decoded] of the newest frame, the `SCORES` fields `raw` and `decoded` (`scoreFields`).
public final class PreciseDetector: Detector {
    public let labels: [String]
    public private(set) var options: PreciseOptions
    public let decoder: PreciseThresholdDecoder
    public let sampleRate: Double
    public let hopSamples: Int
    public let frameSamples: Int
    public let initialRawScore: Float
    /// Names of the values `withScores` lends: `SCORES` carries them as top-level fields.
    public let scoreFields = ["raw", "decoded"]
    private var trigger: PreciseTrigger
    private let chunkSamples: Int
    /// [raw, decoded] of the newest frame.
    private var scores: [Float]
    private var currentScore: Double
    private var nextChunkEnd: Int
    private var runStartSample = -1

    public init(
        labels: [String], options: PreciseOptions, decoder: PreciseThresholdDecoder, sampleRate: Double,
        hopSamples: Int,
        frameSamples: Int, initialRawScore: Float
    ) throws {
        guard options.chunkBytes >= 2, options.chunkBytes % 2 == 0 else {
            throw PipelineConfigError(
                "detector.chunk_bytes = \(options.chunkBytes): expected an even number ≥ 2 (16-bit samples)")
        }
        self.labels = labels.isEmpty ? ["wake-word"] : labels
        self.options = options
        self.decoder = decoder
        self.sampleRate = sampleRate
        self.hopSamples = hopSamples
        self.frameSamples = frameSamples
        self.initialRawScore = initialRawScore
        trigger = PreciseTrigger(
            sensitivity: options.sensitivity, triggerLevel: options.triggerLevel, chunkBytes: options.chunkBytes)
        chunkSamples = options.chunkBytes / 2
        scores = [initialRawScore, Float(decoder.decode(Double(initialRawScore)))]
        nextChunkEnd = chunkSamples
        currentScore = options.score == .raw ? Double(initialRawScore) : decoder.decode(Double(initialRawScore))
    }

    private func score(raw: Float) -> Double {
        options.score == .raw ? Double(raw) : decoder.decode(Double(raw))
    }

    public func withScores<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { scores.withUnsafeBufferPointer(body) }

    /// A chunk is hot above `value` = 1 − sensitivity, in [0, 1].
    public func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError) {
        guard label == nil || label == labels[0] else {
            throw PipelineConfigError("no label \"\(label!)\"; the wake word is \(labels[0])")
        }
        guard value >= 0 && value <= 1 else {
            throw PipelineConfigError("threshold \(value) is out of range; expected ≥ 0 and ≤ 1 (1 − sensitivity)")
        }
        options.sensitivity = 1 - value
        trigger.sensitivity = 1 - value
    }

    public func process(_ frame: DetectorFrame, emit: (DetectorEvent) -> Void) {
        let complete = frame.index * hopSamples + frameSamples
        evaluateChunks(before: complete, emit: emit)
        let raw = frame.output[0]
        scores[0] = raw
        scores[1] = Float(decoder.decode(Double(raw)))
        currentScore = score(raw: raw)
    }

    /// Evaluate every chunk ending at or before `sample` (the stream's end, when known).
    public func flush(throughSample sample: Int, emit: (DetectorEvent) -> Void) {
        evaluateChunks(before: sample + 1, emit: emit)
    }

    private func evaluateChunks(before sample: Int, emit: (DetectorEvent) -> Void) {
        while nextChunkEnd < sample {
            let chunkStart = nextChunkEnd - chunkSamples
            if trigger.isHot(currentScore) {
                if runStartSample < 0 { runStartSample = chunkStart }
            } else if trigger.activation <= 0 {
                runStartSample = -1
            }
            if trigger.update(currentScore) {
                emit(
                    DetectorEvent(
                        kind: .detection, label: 0, score: Float(currentScore),
                        threshold: Float(1 - options.sensitivity),
                        start: Double(max(runStartSample, 0)) / sampleRate, end: Double(nextChunkEnd) / sampleRate))
                runStartSample = -1
            }
            nextChunkEnd += chunkSamples
        }
    }

    /// Precise scores the last partial chunk too: every chunk that starts before the end is evaluated.
    public func finish(endSample: Int, emit: (DetectorEvent) -> Void) {
        flush(throughSample: (endSample + chunkSamples - 1) / chunkSamples * chunkSamples, emit: emit)
    }

    public func reset() {
        trigger.reset()
        scores[0] = initialRawScore
        scores[1] = Float(decoder.decode(Double(initialRawScore)))
        currentScore = score(raw: initialRawScore)
        nextChunkEnd = chunkSamples
        runStartSample = -1
    }
}

extension PreciseDetector: SnapshottableDetector {
    /// Sample positions are kept relative to the first sample of the next frame (frame `nextFrame` starts at
    /// `nextFrame × hopSamples`), so the chunk grid and an open run continue in the next run's numbering.
    public func snapshot(nextFrame: Int, nextTime: Double) -> DetectorSnapshot {
        let origin = nextFrame * hopSamples
        return DetectorSnapshot(
            kind: "precise",
            values: [
                "chunk_samples": [Double(chunkSamples)],
                "hop_samples": [Double(hopSamples)],
                "activation": [Double(trigger.activation)],
                "scores": scores.map(Double.init),
                "current_score": [currentScore],
                "next_chunk_end": [Double(nextChunkEnd - origin)],
                // An open run as [1, its start]; none as [0, 0].
                "run": runStartSample < 0 ? [0, 0] : [1, Double(runStartSample - origin)],
            ])
    }

    public func restore(_ snapshot: DetectorSnapshot, nextFrame: Int, nextTime: Double) throws {
        guard snapshot.kind == "precise" else {
            throw StateFileError("the saved detector state is \(snapshot.kind), the detector is precise")
        }
        for (key, value) in [("chunk_samples", chunkSamples), ("hop_samples", hopSamples)] {
            let saved = try snapshot.scalar(key)
            guard saved == Double(value) else {
                throw StateFileError("the saved \(key) is \(Int(saved)), the detector's is \(value)")
            }
        }
        let activation = try snapshot.scalar("activation")
        let scores = try snapshot.array("scores", count: 2)
        let currentScore = try snapshot.scalar("current_score")
        let nextChunkEnd = try snapshot.scalar("next_chunk_end")
        let run = try snapshot.array("run", count: 2)
        let origin = nextFrame * hopSamples
        guard abs(activation) < 1e6, abs(nextChunkEnd) < 1e9, abs(run[1]) < 1e9, origin + Int(nextChunkEnd) > 0 else {
            throw StateFileError("detector state of kind precise is out of range")
        }
        trigger.restore(activation: Int(activation))
        self.scores = scores.map { Float($0) }
        self.currentScore = currentScore
        self.nextChunkEnd = origin + Int(nextChunkEnd)
        runStartSample = run[0] == 0 ? -1 : origin + Int(run[1])
    }
}
