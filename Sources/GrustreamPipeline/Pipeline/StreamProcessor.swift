import GrustreamDSP
import GrustreamIO
import GrustreamNeural
import Logging

/// One stream's hot path: samples → features → normalisation → GRU step → activation → detector → events.
/// Holds the stream's state (feature ring, hidden state, detector state) apart from the shared model.
/// This file holds the state and the input side (samples → normalised feature rows); the rest is split by concern:
/// `+Network` (rows → GRU, gate and pre-roll), `+Events` (outputs → detector → events and scores), `+State`
/// (pause, reset, snapshot and restore), `+Lanes` (several models on one input), `+Online` (online learning).
/// The frames completed by one `accept` (one of a live 10 ms read, up to hundreds of a file or socket read) go
/// through the GRU together, up to `batchFrames` at a time: `GRURunner.run` computes a chunk layer-major with the
/// input projections as one product, with the same results, bit for bit, as frame by frame. Nothing is allocated
/// per frame.
///
/// Numeric health: a feature vector holding a NaN or ±Inf is a bad frame (counted in `badFeatureFrames`; skipped,
/// or replaced by the last good vector when `source.bad_frames = "hold"`): the GRU never sees it. A frame whose
/// GRU output is not finite, or a hidden state that is not, resets the state to zeros (`stateResets`, an `ERROR`
/// event at most every `healthReportInterval` per stream) and the frames after it are run again from there.
///
/// Input timestamps (a CSV timestamp column, JSON Lines' `"t"`) arrive beside the samples (`accept(_:firstFrame:
/// timestamps:)`) and are kept in a ring keyed by stream frame index, allocated once when the first ones arrive;
/// each feature frame's events carry the timestamp of its last input row as `"ts"`.
public final class StreamProcessor {
    public let name: String
    public let pipeline: ResolvedPipeline
    let extractor: FeatureExtractor
    let runner: GRURunner
    /// With `[model] online_learning`: the stream's own copy of the model and its training (nil: the shared model).
    let learner: OnlineLearner?
    package let detector: Detector
    let bus: PublisherGroup
    /// Publish a `SCORES` line per frame to every sink (`[detector] scores`); without it, only to the socket clients
    /// that asked for them (`PublisherGroup.scoresWatched`).
    let scoresEnabled: Bool
    /// The detector's `scoreFields`, kept so the per-frame path builds no array.
    let scoreFields: [String]
    /// Frames run through the GRU in one call, at most.
    static let batchFrames = GRURunner.chunkCapacity
    /// `[batchFrames, input]` the normalised feature vectors the GRU reads; the first `pending` rows are waiting.
    let inputs: UnsafeMutableBufferPointer<Float>
    /// `[batchFrames, output]` the head's outputs, after the activation.
    let outputs: UnsafeMutableBufferPointer<Float>
    /// With `detector.scores_attention`: `[batchFrames, window]` each pending frame's attention weights.
    let attentionRows: UnsafeMutableBufferPointer<Float>?
    /// The frames of the model's window (the width of an `attentionRows` row).
    let attentionWidth: Int
    var pending = 0
    /// Listed for the batch of the current pass (`PipelineRunner`).
    package var awaitingBatch = false
    /// Frames extracted and normalised, waiting for the GRU (see `extract`).
    var pendingFrames: Int { pending }
    /// Row `k` < `pendingFrames` of the waiting frames [input] and of their outputs [output].
    func pendingInput(_ k: Int) -> UnsafePointer<Float> { UnsafePointer(inputs.baseAddress! + k * input) }
    func pendingOutput(_ k: Int) -> UnsafeMutablePointer<Float> { outputs.baseAddress! + k * output }
    var input: Int { pipeline.model.inputSize }
    var output: Int { pipeline.model.outputSize }
    /// The decomposition's period as last seen by `enqueue`: when a searched period is found, the anomaly
    /// detector's range of the remainders restarts from what they would have been (`restartDetectorRange`).
    private var seenSeasonalPeriod: Int
    /// The frame before which the detector's range restarts (-1: none due), and the range, as model inputs.
    var rangeRestartFrame = -1
    var rangeRestart: (low: [Float], high: [Float]) = ([], [])
    /// The model's input normalisation (nil: the model has none).
    private let normalisation: InputNormalisation?
    let sampleRate: Double
    let frameLength: Int
    /// Feature frames processed in this stream.
    public internal(set) var frames = 0
    /// Durable NATS input: the JetStream sequence of the message that carried an input frame (0-based, this
    /// stream's count), printed as `"seq"` in `DETECTION` and `ANOMALY` events.
    public var frameSequence: ((Int) -> UInt64?)?
    /// `DETECTION`/`ANOMALY` events published for this stream.
    public internal(set) var events = 0
    /// The last `DETECTION`/`ANOMALY`: its label (empty for anomalies) and stream time (for `STATUS=`).
    public internal(set) var lastEvent: (label: String, t: Double)?
    /// Whether `[runtime] state_file` saves and restores this stream: only when its name is stable (see
    /// `SourceStream.hasStableName`). Carried over by `replacing:`.
    public var keepsState = true {
        didSet { for lane in lanes { lane.keepsState = keepsState } }
    }
    /// Feature vectors that held a NaN or ±Inf (bad frames: the GRU is not stepped with them).
    public private(set) var badFeatureFrames = 0
    /// Times the hidden state (or the output made from it) was found non-finite and reset to the zero state.
    public internal(set) var stateResets = 0
    /// Where state resets are logged (their `ERROR` events go to `bus`).
    public var logger: Logger? {
        didSet { for lane in lanes { lane.logger = logger } }
    }
    /// At most one `ERROR` event per stream for state resets in this interval (nanoseconds); the others are counted.
    package static let healthReportInterval: UInt64 = 10_000_000_000
    var resetReports = RateLimitedReport(intervalNanoseconds: healthReportInterval)
    /// Feature frames skipped as bad: the extractor's frame of this stream's frame `f` is
    /// `f - extractorFirstFrame + skippedFeatureFrames`.
    var skippedFeatureFrames = 0
    /// `[input]` the last good normalised feature vector, held in place of a bad one (`hold`).
    private let lastGoodInput: UnsafeMutableBufferPointer<Float>
    private var haveLastGoodInput = false
    private let holdBadFeatures: Bool
    /// Whether the GRU / detector state of the replaced processor was carried over (`replacing:`).
    public private(set) var carriedHiddenState = false
    public private(set) var carriedDetectorState = false
    /// The extractor's frame 0 is this stream's frame `extractorFirstFrame`, starting at `extractorFirstSample`
    /// (both 0 unless a reload changed the features mid-stream).
    let extractorFirstFrame: Int
    let extractorFirstSample: Int
    private let channels: Int
    /// The input timestamps of the frames that can be waiting for their feature frame: a read of up to
    /// `readFrames`, a frame, a batch of frames and the deltas' lookahead.
    private var inputTimestamps: InputTimestamps
    /// Input frames of one read of the processing thread, at most (`PipelineRunner`).
    package static let readFrames = 4096
    /// Called with every frame the detector processed (its output after the activation; the pointers live for
    /// the call) and with every detector event, for evaluations that record a stream (`WakeWordEvaluation`).
    /// nil in the daemon.
    package var frameObserver: ((DetectorFrame) -> Void)?
    package var eventObserver: ((DetectorEvent) -> Void)?
    /// `[[sink]] kind = "clips"`: each gets the stream's samples and its detections (every model's).
    package var clipRecorders: [ClipRecorder] = [] {
        didSet { for lane in lanes { lane.clipRecorders = clipRecorders } }
    }
    /// Several models on one input (`[[models]]`), on the first model's processor: the stream's other models, each
    /// a processor of its own (`isLane`) fed by this one: it reads the input, runs each distinct feature extractor
    /// once and hands every frame to the models that read those features (`featureGroups`, its own first).
    private(set) var lanes: [StreamProcessor] = []
    var featureGroups: [(features: FeatureOptions, extractor: FeatureExtractor, lanes: [StreamProcessor])] = []
    /// A model of another processor's stream (which feeds it).
    public private(set) var isLane = false
    /// The stream's voice-activity gate (`[gate]`): fed by the first model's processor; `gate` is set on the
    /// models that obey it (`gated = true`).
    private(set) var streamGate: EnergyGate?
    private(set) var gate: EnergyGate?
    /// `[batchFrames]` whether the gate was open at each pending frame.
    let gateOpen: UnsafeMutableBufferPointer<Bool>
    /// Whether the last frame run was open (a closed one before an open one: the model starts from its pre-roll).
    var gateWasOpen = true
    var preRoll: PreRollRows?
    /// Frames this model skipped (gate closed): no GRU step, zero posteriors to the detector.
    public internal(set) var gatedFrames = 0
    /// `[model] ensemble`: the other models whose posteriors are averaged with this one's.
    let ensembleRunners: EnsembleRunners?

    /// - previous: the stream's processor under the pipeline being replaced (a reload). The stream goes on: with
    ///   the same features the feature extractor (and its partial frame) is kept, else a new one starts at the
    ///   next sample; the hidden state is kept when the network has the same shape, the detector state when it
    ///   fits (`carriedHiddenState`, `carriedDetectorState` tell).
    /// - primary: for a model of a `[[models]]` pipeline other than the first, the first one's processor (being made
    ///   for the same stream), which feeds it.
    public init(
        name: String, pipeline: ResolvedPipeline, bus: PublisherGroup, replacing previous: StreamProcessor? = nil,
        laneOf primary: StreamProcessor? = nil
    ) throws {
        self.name = name
        self.pipeline = pipeline
        self.bus = bus
        scoresEnabled = pipeline.detector.scores
        isLane = primary != nil
        let leader = primary?.featureGroups.first { $0.features == pipeline.features }?.lanes.first
        let origin = primary ?? previous
        if let leader {
            extractor = leader.extractor
            extractorFirstFrame = leader.extractorFirstFrame
            extractorFirstSample = leader.extractorFirstSample
            skippedFeatureFrames = leader.skippedFeatureFrames
        } else if let previous, previous.pipeline.features == pipeline.features {
            extractor = previous.extractor
            extractorFirstFrame = previous.extractorFirstFrame
            extractorFirstSample = previous.extractorFirstSample
            skippedFeatureFrames = previous.skippedFeatureFrames
        } else {
            extractor = try FeatureExtractor(options: pipeline.features)
            extractorFirstFrame = leader?.frames ?? previous?.frames ?? 0
            extractorFirstSample = origin?.receivedInputFrames ?? 0
        }
        frames = leader?.frames ?? previous?.frames ?? 0
        seenSeasonalPeriod = extractor.seasonalPeriod
        keepsState = previous?.keepsState ?? true
        events = previous?.events ?? 0
        receivedInputFrames = origin?.receivedInputFrames ?? 0
        skippedInputFrames = origin?.skippedInputFrames ?? 0
        lastEvent = previous?.lastEvent
        badFeatureFrames = previous?.badFeatureFrames ?? 0
        stateResets = previous?.stateResets ?? 0
        paused = previous?.paused ?? false
        pausedFrames = previous?.pausedFrames ?? 0
        pauseStartFrames = previous?.pauseStartFrames ?? 0
        logger = previous?.logger
        holdBadFeatures = pipeline.config.source.badFrames == .hold
        lastGoodInput = .allocate(capacity: pipeline.model.inputSize)
        lastGoodInput.initialize(repeating: 0)
        learner =
            pipeline.config.model.onlineLearning
            ? try OnlineLearner(shared: pipeline.model, options: pipeline.config.model) : nil
        runner = try GRURunner(model: learner?.model ?? pipeline.model, mode: pipeline.mode)
        detector = try pipeline.makeDetector()
        scoreFields = detector.scoreFields
        inputs = .allocate(capacity: Self.batchFrames * pipeline.model.inputSize)
        inputs.initialize(repeating: 0)
        gateOpen = .allocate(capacity: Self.batchFrames)
        gateOpen.initialize(repeating: true)
        let preRollFrames =
            pipeline.gated
            ? Int(
                ((primary?.pipeline.gate ?? pipeline.gate)?.preRollMilliseconds ?? 0) / 1000
                    * pipeline.features.sampleRate / Double(max(1, pipeline.features.hopLength))) : nil
        ensembleRunners =
            pipeline.ensemble.isEmpty
            ? nil
            : try EnsembleRunners(
                members: pipeline.ensemble, mode: pipeline.mode, rows: Self.batchFrames, preRollRows: preRollFrames)
        if let old = previous?.preRoll, old.capacity == preRollFrames, old.width == pipeline.model.inputSize,
            old.outputWidth == pipeline.model.outputSize
        {
            preRoll = old
        } else {
            preRoll = preRollFrames.map {
                PreRollRows(capacity: $0, width: pipeline.model.inputSize, outputWidth: pipeline.model.outputSize)
            }
        }
        gateWasOpen = previous?.gateWasOpen ?? true
        outputs = .allocate(capacity: Self.batchFrames * pipeline.model.outputSize)
        outputs.initialize(repeating: 0)
        if pipeline.detector.scoresAttention, case .window(let n) = pipeline.mode {
            attentionWidth = n
            attentionRows = .allocate(capacity: Self.batchFrames * n)
            attentionRows!.initialize(repeating: 0)
        } else {
            attentionWidth = 0
            attentionRows = nil
        }
        normalisation = pipeline.model.normalisation
        sampleRate = pipeline.features.sampleRate
        frameLength = pipeline.features.frameLength
        channels = max(1, pipeline.features.channels)
        let hop = max(1, pipeline.features.hopLength)
        inputTimestamps = InputTimestamps(
            waitingFrames: Self.readFrames + frameLength + hop * (Self.batchFrames + extractor.latencyFrames + 2))
        if let previous {
            let old = previous.pipeline.model
            let new = pipeline.model
            if old.inputSize == new.inputSize && old.hiddenSize == new.hiddenSize && old.layerCount == new.layerCount
                && old.bidirectional == new.bidirectional && previous.pipeline.mode == pipeline.mode
            {
                carriedHiddenState = (try? runner.restore(previous.runner.state)) != nil
            }
            if previous.detector.labels == detector.labels, let old = previous.detector as? SnapshottableDetector,
                let new = detector as? SnapshottableDetector
            {
                let snapshot = old.snapshot(nextFrame: frames, nextTime: nextFrameTime)
                carriedDetectorState = (try? new.restore(snapshot, nextFrame: frames, nextTime: nextFrameTime)) != nil
            }
        }
        if let origin { inputTimestamps.continueFrom(origin.inputTimestamps) }
        if carriedHiddenState, let old = previous?.ensembleRunners, let new = ensembleRunners,
            old.runners.count == new.runners.count
        {
            for (a, b) in zip(old.runners, new.runners) { try? b.restore(a.state) }
        }
        if primary == nil && (!pipeline.companions.isEmpty || pipeline.gate != nil) {
            try makeLanes(replacing: previous)
        } else if let primary, pipeline.gated {
            gate = primary.streamGate
        }
    }

    /// The first model's processor of a `[[models]]` pipeline: the gate, then a processor per other model, each
    /// sharing the extractor of the first model with the same features (or its own).
    private func makeLanes(replacing previous: StreamProcessor?) throws {
        featureGroups = [(pipeline.features, extractor, [self])]
        if let options = pipeline.gate {
            let hop = max(1, pipeline.features.hopLength)
            if let old = previous?.streamGate, old.options == options, old.sampleRate == pipeline.features.sampleRate {
                streamGate = old
            } else {
                streamGate = EnergyGate(
                    options: options, sampleRate: pipeline.features.sampleRate, channels: channels,
                    waitingSamples: Self.readFrames + frameLength + hop
                        * (Self.batchFrames + extractor.latencyFrames + 2))
            }
            if pipeline.gated { gate = streamGate }
        }
        for companion in pipeline.companions {
            let old = previous.flatMap { p in
                ([p] + p.lanes).first { $0.pipeline.modelName == companion.modelName }
            }
            let lane = try StreamProcessor(
                name: name, pipeline: companion, bus: bus, replacing: old, laneOf: self)
            lane.logger = logger
            lanes.append(lane)
            if let i = featureGroups.firstIndex(where: { $0.features == companion.features }) {
                featureGroups[i].lanes.append(lane)
            } else {
                featureGroups.append((companion.features, lane.extractor, [lane]))
            }
        }
    }

    deinit {
        gateOpen.deallocate()
        inputs.deallocate()
        outputs.deallocate()
        attentionRows?.deallocate()
        lastGoodInput.deallocate()
    }

    /// The timestamp of feature frame `frame`: its last input row's (the last row received for a padded frame).
    func timestamp(ofFrame frame: Int) -> Double? {
        guard !inputTimestamps.isEmpty else { return nil }
        return inputTimestamps.value(at: min(firstSample(ofFrame: frame) + frameLength - 1, inputTimestamps.end - 1))
    }

    /// Input frames (samples per channel) the source skipped: dropped by a live source whose ring overflowed.
    /// The features continue across the gap as if the audio were spliced; event times include it.
    public private(set) var skippedInputFrames = 0
    /// Input frames received (the next expected `firstFrame`).
    public private(set) var receivedInputFrames = 0

    /// Interleaved samples of this stream, any count. `firstFrame`: the stream index of the first sample frame
    /// (from the ring; a jump means the source dropped frames), nil when the input is known to be contiguous.
    /// `timestamps`: the input timestamps of the sample frames (seconds since the epoch, NaN where unknown).
    public func accept(
        _ samples: UnsafeBufferPointer<Float>, firstFrame: Int? = nil, timestamps: UnsafeBufferPointer<Double>? = nil
    ) {
        extract(samples, firstFrame: firstFrame, timestamps: timestamps)
        flush()
        for lane in lanes { lane.flush() }
    }

    /// `accept` without the GRU: the completed frames wait (`pendingFrames`) for a `StreamBatch` to step them
    /// with other streams' frames, then `publishPending()`; 32 waiting frames run at once on this stream's runner.
    package func extract(
        _ samples: UnsafeBufferPointer<Float>, firstFrame: Int? = nil, timestamps: UnsafeBufferPointer<Double>? = nil
    ) {
        if let firstFrame, firstFrame > receivedInputFrames + skippedInputFrames {
            skippedInputFrames = firstFrame - receivedInputFrames
        }
        let count = samples.count / channels
        if let timestamps {
            inputTimestamps.store(timestamps, from: receivedInputFrames + skippedInputFrames, count: count)
        }
        for recorder in clipRecorders { recorder.append(samples, first: receivedInputFrames + skippedInputFrames) }
        streamGate?.append(samples)
        let first = receivedInputFrames + skippedInputFrames
        receivedInputFrames += count
        guard !lanes.isEmpty else { return extractor.accept(samples) { frame in enqueue(frame) } }
        for lane in lanes {
            lane.follow(count: count, first: first, skipped: skippedInputFrames, timestamps: timestamps)
        }
        for group in featureGroups {
            group.extractor.accept(samples) { frame in for lane in group.lanes { lane.enqueue(frame) } }
        }
    }

    /// A lane: the stream's input moved on by `count` frames from stream index `first` (its primary read them).
    private func follow(count: Int, first: Int, skipped: Int, timestamps: UnsafeBufferPointer<Double>?) {
        skippedInputFrames = skipped
        if let timestamps { inputTimestamps.store(timestamps, from: first, count: count) }
        receivedInputFrames += count
    }

    /// End of the stream: trailing frames (centre padding, delta lookahead), then the detector closes open spans.
    public func finish() {
        if lanes.isEmpty {
            extractor.finish { frame in enqueue(frame) }
        } else {
            for group in featureGroups {
                group.extractor.finish { frame in for lane in group.lanes { lane.enqueue(frame) } }
            }
        }
        finishDetector()
        for lane in lanes { lane.finishDetector() }
        for recorder in clipRecorders { recorder.finish() }
    }

    /// The waiting frames through the network and the detector, then the detector closes what is open.
    private func finishDetector() {
        flush()
        let endSample = receivedInputFrames + skippedInputFrames
        let ts = inputTimestamps.value(at: endSample - 1)
        detector.finish(endSample: endSample) { event in publish(event, at: Double(endSample) / sampleRate, ts: ts) }
    }

    /// A completed feature frame: normalised into the next row of `inputs`; a full batch is run at once.
    fileprivate func enqueue(_ features: UnsafeBufferPointer<Float>) {
        if extractor.seasonalPeriod != seenSeasonalPeriod { restartDetectorRange() }
        let n = pipeline.model.inputSize
        let row = inputs.baseAddress! + pending * n
        if let normalisation {
            normalisation.apply(features.baseAddress!, into: row)
        } else {
            row.update(from: features.baseAddress!, count: n)
        }
        if !NumericHealth.allFinite(row, n) {
            badFeatureFrames += 1
            guard holdBadFeatures && haveLastGoodInput else {
                flush()  // the frames before it keep their times; the ones after it count the skip
                skippedFeatureFrames += 1
                return
            }
            row.update(from: lastGoodInput.baseAddress!, count: n)
        } else if holdBadFeatures {
            lastGoodInput.baseAddress!.update(from: row, count: n)
            haveLastGoodInput = true
        }
        if let gate {
            gateOpen[pending] = gate.isOpen(
                atSample: firstSample(ofFrame: frames + pending) + frameLength - 1 - skippedInputFrames)
        }
        ensembleRunners?.store(features, row: pending)
        pending += 1
        if pending == Self.batchFrames { flush() }
    }

    /// The decomposition found its period while passing this frame through: the frames after it are remainders.
    /// An anomaly detector judging the range of values (`range_novelty`) restarts the remainders' range from
    /// what the searched frames' remainders would have been, at the next frame; otherwise the first remainders
    /// would be judged against the passed-through values.
    private func restartDetectorRange() {
        seenSeasonalPeriod = extractor.seasonalPeriod
        guard seenSeasonalPeriod > 0, detector.judgesValueRange,
            var range = extractor.searchedRemainderRange(), range.low.count == pipeline.model.inputSize
        else { return }
        if let normalisation {
            normalisation.apply(frames: &range.low)
            normalisation.apply(frames: &range.high)
        }
        rangeRestart = range
        rangeRestartFrame = frames + pending + 1
    }

    /// The pending frames through the GRU, then, frame by frame, activation → detector → events.
    fileprivate func flush() {
        runGRU(from: 0)
        publishPending()
    }

    /// Detection paused (`PAUSE`): frames still run through the features, the network and the detector, whose
    /// events and scores are not published.
    public internal(set) var paused = false
    /// Frames processed while paused, in all.
    public internal(set) var pausedFrames = 0
    /// `pausedFrames` when the current pause began.
    var pauseStartFrames = 0

    /// First sample of the stream's frame `frame` (negative with centre padding), skipped input included.
    func firstSample(ofFrame frame: Int) -> Int {
        extractorFirstSample + extractor.firstSample(ofFrame: frame - extractorFirstFrame + skippedFeatureFrames)
            + skippedInputFrames
    }

    /// Stream time at which the next frame starts (the reference of detector snapshots).
    var nextFrameTime: Double { Double(max(0, firstSample(ofFrame: frames))) / sampleRate }

}
