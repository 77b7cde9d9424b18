/// Something the processing thread must know besides new samples.
public enum SourceEvent: Sendable {
    /// A stream opened: set up its hidden state. Its samples follow in `stream.ring`.
    case opened(SourceStream)
    /// No more samples will be written to the stream: read what is left, then forget it.
    /// `stream.error` says why it ended if it was not a clean end of input.
    case closed(SourceStream)
    /// A source-level problem (device vanished, socket failure). `retryIn` is set when the source
    /// keeps trying by itself (ALSA with retry); otherwise the source has given up.
    case sourceError(source: String, error: InputError, retryIn: Duration?)
}

/// The processing thread's view of every running source: the streams, their opening and closing,
/// and one condition that capture threads signal after writing.
///
///     let hub = SourceHub()
///     try source.open()
///     try source.start(hub: hub)
///     var buffer = [Float](repeating: 0, count: 4096)   // allocated once
///     while !hub.isFinished {
///         hub.wait(timeout: .milliseconds(500))          // new data, an event, or time to pet the watchdog
///         for event in hub.takeEvents() { ... }          // .opened / .closed(drain it) / .sourceError
///         for stream in hub.streams {
///             buffer.withUnsafeMutableBufferPointer { out in
///                 while case let r = stream.read(into: out), r.sampleCount > 0 { /* frames */ }
///             }
///         }
///     }
public final class SourceHub: @unchecked Sendable {
    /// Frames of ring per stream when a source does not say otherwise: 2 s at the stream's rate, and at least
    /// `minimumRingFrames`.
    public static let defaultRingSeconds = 2.0
    /// The smallest ring sized from seconds (here and from `[source] buffer_seconds`): at slow rates (a row per
    /// second or per hour) seconds × rate would be a handful of frames, and a file would be handed over a few
    /// rows per thread switch. 4096 frames: one whole read of the processing thread (`PipelineRunner` reads up to
    /// 4096 frames at a time), 16 batches of a text decoder; at the 64-channel maximum, 1 MiB.
    public static let minimumRingFrames = 4096

    private let lock = ConditionLock()
    private var pending = false
    private var events: [SourceEvent] = []
    private var open: [SourceStream] = []  // as the capture side sees them
    private var closedCounters = SourceCounters()
    private var visible: [SourceStream] = []  // as the processing side has been told
    private var nextID = 1
    private var runningSources = 0
    private var startedSources = 0

    public init() {}

    // MARK: processing side

    /// Block until a capture thread has signalled (new samples, a stream opened or closed, a source
    /// ended) since the last call, or until `timeout`. Returns false on timeout. Does not allocate.
    @discardableResult
    public func wait(timeout: Duration) -> Bool { wait(timeoutNanoseconds: timeout.nanoseconds) }

    /// `wait(timeout:)` with the timeout in nanoseconds.
    @discardableResult
    public func wait(timeoutNanoseconds timeout: UInt64) -> Bool {
        let deadline = MonotonicClock.nanoseconds() + timeout
        return lock.withLock {
            while !pending {
                if !lock.wait(untilMonotonic: deadline) && !pending { return false }
            }
            pending = false
            return true
        }
    }

    /// Events since the last call, in order. Returns an empty array (no allocation) when there are none.
    /// Also updates `streams` to match the events returned.
    public func takeEvents() -> [SourceEvent] {
        lock.withLock {
            if events.isEmpty { return [] }
            for event in events {
                switch event {
                case .opened(let stream): visible.append(stream)
                case .closed(let stream): visible.removeAll { $0 === stream }
                case .sourceError: break
                }
            }
            defer { events = [] }
            return events
        }
    }

    /// The open streams as of the last `takeEvents()` (opened, not closed), in opening order: every stream
    /// here has been announced by an `.opened` event, and a stream in a `.closed` event has left the list
    /// (drain it from the event).
    public var streams: [SourceStream] { lock.withLock { visible } }

    /// True once every started source has ended (stopped or end of input), all of their streams are closed
    /// and every event has been taken: the streams of the `.closed` events taken so far are all that is
    /// left to drain, then the pipeline is done.
    public var isFinished: Bool {
        lock.withLock { startedSources > 0 && runningSources == 0 && open.isEmpty && events.isEmpty }
    }

    /// Counters summed over every stream so far: the closed ones (final at closing) and the open ones.
    public var totalCounters: SourceCounters {
        let (closed, streams) = lock.withLock { (closedCounters, open) }
        return streams.reduce(closed) { $0 + $1.counters }
    }

    /// Sources started and not yet ended.
    public var runningSourceCount: Int { lock.withLock { runningSources } }

    // MARK: capture side

    /// Wake the processing thread (after writing samples). Cheap when it is already awake.
    package func signal() {
        lock.lock()
        let wasPending = pending
        pending = true
        lock.unlock()
        if !wasPending { lock.signal() }
    }

    /// Register a new stream and tell the processing thread.
    package func openStream(
        name: String, sampleRate: Int, channels: Int, capacityFrames: Int? = nil,
        overflowPolicy: OverflowPolicy, hasStableName: Bool = true, timestamped: Bool = false
    ) -> SourceStream {
        let frames = capacityFrames ?? max(Self.minimumRingFrames, Int(Double(sampleRate) * Self.defaultRingSeconds))
        let stream = lock.withLock {
            defer { nextID += 1 }
            let stream = SourceStream(
                id: nextID, name: name, sampleRate: sampleRate, channels: channels, capacityFrames: frames,
                overflowPolicy: overflowPolicy, hasStableName: hasStableName, timestamped: timestamped)
            open.append(stream)
            events.append(.opened(stream))
            return stream
        }
        signal()
        return stream
    }

    /// The stream's last sample has been written.
    package func closeStream(_ stream: SourceStream, error: InputError? = nil) {
        stream.markFinished(error: error)
        lock.withLock {
            guard let index = open.firstIndex(where: { $0 === stream }) else { return }
            open.remove(at: index)
            closedCounters = closedCounters + stream.counters
            events.append(.closed(stream))
        }
        signal()
    }

    package func report(source: String, error: InputError, retryIn: Duration? = nil) {
        lock.withLock { events.append(.sourceError(source: source, error: error, retryIn: retryIn)) }
        signal()
    }

    /// A source's capture thread(s) start; call `sourceEnded` exactly once later.
    package func sourceStarted() {
        lock.withLock {
            runningSources += 1
            startedSources += 1
        }
    }

    package func sourceEnded() {
        lock.withLock { runningSources -= 1 }
        signal()
    }
}
