import Foundation
import GrustreamIO
import GrustreamPipeline
import Logging
import Synchronization

/// Runs a resolved pipeline: opens the source, processes every stream on the calling thread (the processing
/// thread), publishes events, pets the systemd watchdog, and drains on stop. One instance per run.
/// Streams of a multi-stream source (Unix socket producers) in carry mode go through the GRU together: each pass
/// extracts the frames of every stream with input, then steps them as one batch (`StreamBatch`).
/// SIGHUP swaps in a re-read pipeline between frames (`reload(using:)`); `[runtime] state_file` keeps the
/// streams' state across restarts (`StateKeeper`).
public final class PipelineRunner: @unchecked Sendable {
    /// The pipeline in force (replaced by a reload, on the processing thread).
    public internal(set) var pipeline: ResolvedPipeline
    public let source: FrameSource
    public let bus: PublisherGroup
    let notifier: SystemdNotifier
    let logger: Logger
    /// `WATCHDOG_USEC` in seconds (nil: no watchdog).
    let watchdogInterval: Double?
    private let hub = SourceHub()
    let stopRequested = Atomic<Bool>(false)
    var processors: [Int: StreamProcessor] = [:]
    let reloads = ReloadMailbox()
    let status = StatusReporter()
    var stateKeeper: StateKeeper?
    /// Pipeline-wide settings of runtime commands (`applyControls`).
    var controls = RuntimeControlState()
    /// What `watchSinks` has reported so far.
    var sinkReports = SinkReports()
    /// Streams refused at open (wrong rate/channels): read and discarded so their source is not blocked.
    private var refused: Set<Int> = []
    /// Interleaved samples read from a ring at a time (allocated once).
    private let buffer: UnsafeMutableBufferPointer<Float>
    /// `[StreamProcessor.readFrames]` the input timestamps of the frames in `buffer` (timestamped streams).
    private let timestamps: UnsafeMutableBufferPointer<Double>
    private var latency = LatencyHistogram()
    /// Multi-stream sources in carry mode: the batch the streams' frames go through (nil: each stream alone).
    var batch: StreamBatch?
    /// With a batch: when each read of this pass started (its latency ends when the batch has run).
    private var readStarts: [UInt64] = []
    /// With a batch: the streams that received input in this pass (each once).
    private var waiting: [StreamProcessor] = []
    private var framesOfClosedStreams = 0
    private var eventsOfClosedStreams = 0
    private var gatedFramesOfClosedStreams = 0
    private var badFeatureFramesOfClosedStreams = 0
    private var stateResetsOfClosedStreams = 0
    /// Live streams with bad frames: how many were reported, and the limiter of their `ERROR` events.
    private var badFrameReports: [Int: (reported: Int, limiter: RateLimitedReport)] = [:]
    /// The first stream-level problem that makes the run fail (stdin/file input that cannot be used).
    public private(set) var inputError: Error?

    public init(
        pipeline: ResolvedPipeline, source: FrameSource, publishers: [EventPublisher], notifier: SystemdNotifier,
        logger: Logger,
        watchdogInterval: Double? = SystemdNotifier.watchdogInterval()
    ) {
        self.pipeline = pipeline
        self.watchdogInterval = watchdogInterval
        self.source = source
        self.bus = PublisherGroup(publishers)
        self.notifier = notifier
        self.logger = logger
        buffer = .allocate(capacity: StreamProcessor.readFrames * max(1, pipeline.features.channels))
        timestamps = .allocate(capacity: StreamProcessor.readFrames)
    }

    deinit {
        buffer.deallocate()
        timestamps.deallocate()
    }

    /// From any thread (a signal handler's queue): stop reading; the run drains and returns.
    public func requestStop() {
        if !stopRequested.exchange(true, ordering: .relaxed) {
            notifier.stopping()
            source.stop()
        }
    }

    /// Open the source, process until the input ends or `requestStop()`, drain, publish the final `STATS`,
    /// close the publishers. Throws when the source cannot be opened or the input could not be used.
    /// Readiness (`READY=1`) is sent once the model is loaded (the `ResolvedPipeline`), the publishers listen
    /// (made before), the saved state is read and the source is open.
    public func run() throws {
        stateKeeper = try StateKeeper(pipeline: pipeline, logger: logger)
        if let problem = stateKeeper?.load() { reportStateProblem(problem) }
        for case let socket as UnixSocketPublisher in bus.publishers { socket.onControl { [hub] in hub.signal() } }
        try source.open()
        try source.start(hub: hub)
        notifier.ready(status: "running \(pipeline.config.name): \(source.name)")
        logger.info("running \(pipeline.config.name): \(source.name) → \(pipeline.model.summary)")
        // Timers in MonotonicClock nanoseconds: integer arithmetic on every wake-up (100 per second live).
        let watchdog = watchdogInterval
        let start = MonotonicClock.nanoseconds()
        var lastPet = start
        var lastStats = start
        var lastStateSave = start
        var lastSinkCheck = start
        func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds * 1e9)) }
        let waitTimeout = nanoseconds(min(0.5, (watchdog ?? 1) * 0.25))
        let petInterval = nanoseconds((watchdog ?? 1) * 0.4)
        while true {
            hub.wait(timeoutNanoseconds: waitTimeout)
            applyPendingReload()
            applyControls()
            for event in hub.takeEvents() { handle(event) }
            for stream in hub.streams { drain(stream) }
            if let batch {
                batch.run(waiting)
                for processor in waiting { processor.awaitingBatch = false }
                waiting.removeAll(keepingCapacity: true)
                let done = MonotonicClock.nanoseconds()
                for started in readStarts { latency.record(nanoseconds: done - started) }
                readStarts.removeAll(keepingCapacity: true)
            }
            let now = MonotonicClock.nanoseconds()
            if source.kind == .producers { reportBadFrames(now: now) }
            if watchdog != nil && now - lastPet >= petInterval {
                notifier.watchdog()
                lastPet = now
            }
            let statsInterval = pipeline.config.runtime.statsIntervalSeconds
            if statsInterval > 0 && now - lastStats >= nanoseconds(statsInterval) {
                bus.publish(.stats(stream: pipeline.config.name, t: streamTime, stats()))
                lastStats = now
            }
            if notifier.isActive && status.due(now: now, frames: frameCount) {
                notifier.status(
                    status.line(pipeline: pipeline.config.name, clients: bus.clientCount, lastEvent: lastEvent))
            }
            if now - lastSinkCheck >= 100_000_000 {
                lastSinkCheck = now
                watchSinks(now: now)
            }
            if let keeper = stateKeeper, keeper.interval > 0,
                now - lastStateSave >= nanoseconds(keeper.interval)
            {
                keeper.save(open: processors.values.flatMap(\.allLanes), wait: false)
                lastStateSave = now
            }
            if hub.isFinished { break }
        }
        for event in hub.takeEvents() { handle(event) }
        if !stopRequested.load(ordering: .relaxed) { notifier.stopping() }
        stateKeeper?.save(open: processors.values.flatMap(\.allLanes), wait: true)
        bus.publish(.stats(stream: pipeline.config.name, t: streamTime, stats()))
        bus.close()
        if let inputError { throw inputError }
    }

    /// Frames processed so far, all streams.
    private var frameCount: Int { framesOfClosedStreams + processors.values.reduce(0) { $0 + $1.frames } }

    /// The most recent event of the open streams (for `STATUS=`).
    var lastEvent: (label: String, t: Double)? {
        processors.values.compactMap(\.lastEventOfAllModels).max { $0.t < $1.t } ?? lastEventOfClosedStreams
    }
    private var lastEventOfClosedStreams: (label: String, t: Double)?

    /// A state file that cannot be used: logged, published as an `ERROR` event, shown in `STATUS=`.
    func reportStateProblem(_ message: String) {
        logger.warning("\(message)")
        bus.publish(.error(stream: pipeline.config.name, t: streamTime, message: message))
        status.problem = "state file ignored"
    }

    /// Frames of the longest stream closed so far.
    private var longestClosedStream = 0

    /// Stream time of the longest-running stream (for `STATS`).
    var streamTime: Double {
        let frames = max(longestClosedStream, processors.values.map(\.frames).max() ?? 0)
        return Double(frames * pipeline.features.hopLength) / pipeline.features.sampleRate
    }

    private func handle(_ event: SourceEvent) {
        switch event {
        case .opened(let stream):
            let features = pipeline.features
            var problem: String?
            if stream.sampleRate != Int(features.sampleRate) {
                problem =
                    "\(stream.name): \(stream.sampleRate) Hz input, but the features expect \(Int(features.sampleRate)) Hz (features.sample_rate)"
            } else if stream.channels != features.channels {
                problem =
                    "\(stream.name): \(stream.channels)-channel input, but the features expect \(features.channels) (features.channels)"
            }
            do {
                if let problem { throw InputError(problem) }
                let processor = try StreamProcessor(name: stream.name, pipeline: pipeline, bus: bus)
                processor.keepsState = stream.hasStableName
                processor.logger = logger
                processor.clipRecorders = makeClipRecorders(stream: stream.name)
                applyControlState(to: processor)
                processors[stream.id] = processor
                try prepareBatch()
                for lane in processor.allLanes {
                    if let problem = stateKeeper?.restore(into: lane) { reportStateProblem(problem) }
                }
                logger.debug("stream opened: \(stream)")
            } catch {
                refused.insert(stream.id)
                logger.error("\(error)")
                bus.publish(.error(stream: stream.name, t: 0, message: "\(error)"))
                if source.kind == .recorded {
                    inputError = inputError ?? error
                    requestStop()
                }
            }
        case .closed(let stream):
            drain(stream)
            if let processor = processors.removeValue(forKey: stream.id) {
                processor.finish()
                for lane in processor.allLanes { stateKeeper?.remember(lane) }
                if let event = processor.lastEventOfAllModels { lastEventOfClosedStreams = event }
                framesOfClosedStreams += processor.frames
                eventsOfClosedStreams += processor.eventsOfAllModels
                gatedFramesOfClosedStreams += processor.gatedFramesOfAllModels
                badFeatureFramesOfClosedStreams += processor.badFeatureFrames
                stateResetsOfClosedStreams += processor.stateResets
                controls.pausedSecondsOfClosedStreams += processor.seconds(frames: processor.pausedFrames)
                if processor.badFeatureFrames > 0 {
                    logger.warning("\(stream.name): \(processor.badFeatureFrames) non-finite feature vectors skipped")
                }
                longestClosedStream = max(longestClosedStream, processor.frames)
            }
            refused.remove(stream.id)
            badFrameReports[stream.id] = nil
            if let error = stream.error {
                logger.error("\(error)")
                bus.publish(.error(stream: stream.name, t: 0, message: "\(error)"))
                if source.kind == .recorded { inputError = inputError ?? error }
            } else {
                logger.debug("stream closed: \(stream)")
            }
            if let bad = stream.lastBadFrame {
                logger.warning("\(stream.name): \(stream.badFrames) bad frames, last: \(bad)")
            }
        case .sourceError(let name, let error, let retryIn):
            logger.error("\(error)\(retryIn.map { " (retrying in \($0))" } ?? "")")
            bus.publish(.error(stream: name, t: 0, message: "\(error)"))
            if retryIn == nil && source.kind != .producers { inputError = inputError ?? error }
        }
    }

    /// Bad frames of live streams (lines that do not decode, values out of range, non-finite features): a log line
    /// and an `ERROR` event per stream at most every `StreamProcessor.healthReportInterval`, with the count since
    /// the last one; the pipeline goes on.
    private func reportBadFrames(now: UInt64) {
        for stream in hub.streams {
            let total = stream.badFrames + (processors[stream.id]?.badFeatureFrames ?? 0)
            var report =
                badFrameReports[stream.id]
                ?? (0, RateLimitedReport(intervalNanoseconds: StreamProcessor.healthReportInterval))
            guard total > report.reported else { continue }
            if let count = report.limiter.note(now: now, count: total - report.reported) {
                let last = stream.lastBadFrame.map { "last: \($0)" } ?? "non-finite feature vectors"
                let message =
                    "\(stream.name): \(count) bad frame\(count == 1 ? "" : "s") (\(total) since it opened), \(last)"
                logger.warning("\(message)")
                bus.publish(.error(stream: stream.name, t: streamTime, message: message))
            }
            report.reported = total
            badFrameReports[stream.id] = report
        }
    }

    /// Process everything waiting in the stream's ring.
    private func drain(_ stream: SourceStream) {
        let processor = processors[stream.id]
        while true {
            let timestamped = stream.isTimestamped
            let read = stream.read(into: buffer, timestamps: timestamped ? timestamps : nil)
            guard read.sampleCount > 0 else { return }
            guard let processor else { continue }  // refused stream: discard
            let started = MonotonicClock.nanoseconds()
            let samples = UnsafeBufferPointer(rebasing: buffer[0..<read.sampleCount])
            let stamps =
                timestamped ? UnsafeBufferPointer(rebasing: timestamps[0..<(read.sampleCount / stream.channels)]) : nil
            if batch != nil {
                processor.extract(samples, firstFrame: read.firstFrame, timestamps: stamps)
                if !processor.awaitingBatch {
                    processor.awaitingBatch = true
                    waiting.append(processor)
                }
                if readStarts.count < readStarts.capacity { readStarts.append(started) }
            } else {
                processor.accept(samples, firstFrame: read.firstFrame, timestamps: stamps)
                latency.record(nanoseconds: MonotonicClock.nanoseconds() - started)
            }
        }
    }

    /// With a multi-stream source and a carry-mode pipeline: a batch for the current model with room for every
    /// open stream (made or grown here, when a stream opens or the pipeline is reloaded: never per frame).
    func prepareBatch() throws {
        guard source.kind == .producers, pipeline.mode == .carry, !pipeline.config.model.onlineLearning,
            pipeline.companions.isEmpty, pipeline.gate == nil, pipeline.ensemble.isEmpty
        else {
            batch = nil
            return
        }
        if let batch, batch.model === pipeline.model {
            try batch.reserve(processors.count)
        } else {
            batch = try StreamBatch(model: pipeline.model, capacity: max(16, processors.count))
        }
        if readStarts.capacity < 4 * batch!.capacity { readStarts.reserveCapacity(4 * batch!.capacity) }
        if waiting.capacity < batch!.capacity { waiting.reserveCapacity(batch!.capacity) }
    }

    /// Counters for `STATS`.
    public func stats() -> Event.Stats {
        var s = Event.Stats()
        s.frames = framesOfClosedStreams + processors.values.reduce(0) { $0 + $1.frames }
        s.events = eventsOfClosedStreams + processors.values.reduce(0) { $0 + $1.eventsOfAllModels }
        if pipeline.gate != nil {
            s.gatedFrames = gatedFramesOfClosedStreams + processors.values.reduce(0) { $0 + $1.gatedFramesOfAllModels }
        }
        let counters = hub.totalCounters
        s.droppedSamples = counters.droppedFrames * pipeline.features.channels
        s.xruns = counters.xruns
        s.badFrames =
            counters.badFrames + badFeatureFramesOfClosedStreams
            + processors.values.reduce(0) { $0 + $1.badFeatureFrames }
        s.stateResets = stateResetsOfClosedStreams + processors.values.reduce(0) { $0 + $1.stateResets }
        s.badRequests = bus.publishers.reduce(0) { $0 + (($1 as? UnixSocketPublisher)?.badRequests ?? 0) }
        s.refusedProducers = source.connectionsRefused
        s.clients = bus.clientCount
        s.droppedClients = bus.droppedClients
        s.latencyP50Microseconds = latency.percentile(50)
        s.latencyP99Microseconds = latency.percentile(99)
        s.pausedSeconds = pausedSeconds
        return s
    }
}
