import Synchronization

/// One stream of interleaved frames from a source: the microphone of an ALSA source, the input of a
/// file/stdin source, or one connection of a socket source. Downstream keeps one hidden state per
/// stream. The capture side writes into `ring`; the processing thread reads it with `read(into:)`.
public final class SourceStream: Sendable, CustomStringConvertible {
    /// Unique within its hub, in opening order (1, 2, ...).
    public let id: Int
    /// Shown in events (`"stream"`): `alsa:default`, `stdin`, a file name, `pump-3` or `PATH#N`.
    public let name: String
    /// The name identifies the producer across connections and restarts (a device, a file, stdin, a socket
    /// producer that named its stream); false for a socket producer's per-connection `PATH#N`.
    public let hasStableName: Bool
    /// Frames per second (Hz).
    public let sampleRate: Int
    /// Interleaved channels per frame.
    public let channels: Int
    /// What the capture side does when the processing side falls behind.
    public let overflowPolicy: OverflowPolicy
    /// The capture → processing buffer.
    public let ring: SampleRing

    private let finishedFlag = Atomic<Bool>(false)
    private let xrunCount = Atomic<Int>(0)
    private let badFrameCount = Atomic<Int>(0)
    private let byteCount = Atomic<Int>(0)
    private let reconnectCount = Atomic<Int>(0)
    private let details = Mutex<Details>(Details())

    private struct Details {
        var lastBadFrame: String?
        var error: InputError?
    }

    public init(
        id: Int, name: String, sampleRate: Int, channels: Int, capacityFrames: Int,
        overflowPolicy: OverflowPolicy, hasStableName: Bool = true, timestamped: Bool = false
    ) {
        self.id = id
        self.name = name
        self.hasStableName = hasStableName
        self.sampleRate = sampleRate
        self.channels = channels
        self.overflowPolicy = overflowPolicy
        self.ring = SampleRing(capacityFrames: capacityFrames, channels: channels, timestamped: timestamped)
    }

    public var description: String { "\(name) (\(sampleRate) Hz, \(channels) ch)" }

    // MARK: processing side

    /// Copy the waiting whole frames that fit into `buffer` (no allocation, never blocks); `timestamps`: see
    /// `SampleRing.read(into:timestamps:)`.
    @inline(__always)
    public func read(
        into buffer: UnsafeMutableBufferPointer<Float>, timestamps: UnsafeMutableBufferPointer<Double>? = nil
    ) -> RingRead { ring.read(into: buffer, timestamps: timestamps) }

    /// Whether the stream's frames carry input timestamps (`SampleRing.isTimestamped`).
    public var isTimestamped: Bool { ring.isTimestamped }

    /// True once the capture side has written its last sample (what is still in the ring remains readable).
    public var isFinished: Bool { finishedFlag.load(ordering: .acquiring) }
    /// True when finished and everything has been read.
    public var isDrained: Bool { isFinished && ring.availableFrames == 0 }

    /// Frames dropped because the processing side fell behind (live sources only).
    public var droppedFrames: Int { ring.droppedFrames }
    /// ALSA overruns/suspends recovered with `snd_pcm_recover`.
    public var xruns: Int { xrunCount.load(ordering: .relaxed) }
    /// Frames rejected by a sensor decoder (see `BadFramePolicy`).
    public var badFrames: Int { badFrameCount.load(ordering: .relaxed) }
    /// Input bytes received (socket/file/stdin) or captured (ALSA).
    public var bytesReceived: Int { byteCount.load(ordering: .relaxed) }
    /// Times the device was reopened after it vanished (ALSA with retry).
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }
    /// The last bad frame: line number and reason, for logs (allocates; not for every frame).
    public var lastBadFrame: String? { details.withLock { $0.lastBadFrame } }
    /// Why the stream ended early (device unplugged, truncated input, ...), nil for a clean end.
    public var error: InputError? { details.withLock { $0.error } }

    // MARK: capture side

    /// Hand samples to the processing side with the stream's overflow policy. Returns frames dropped.
    @discardableResult
    package func write(_ samples: UnsafeBufferPointer<Float>, timestamps: UnsafeBufferPointer<Double>? = nil) -> Int {
        ring.write(samples, timestamps: timestamps, policy: overflowPolicy)
    }

    package func addBytes(_ count: Int) { byteCount.add(count, ordering: .relaxed) }
    package func setBytesReceived(_ count: Int) { byteCount.store(count, ordering: .relaxed) }
    package func addXrun() { xrunCount.add(1, ordering: .relaxed) }
    package func addReconnect() { reconnectCount.add(1, ordering: .relaxed) }
    package func setBadFrames(_ total: Int, last: String?) {
        let previous = badFrameCount.exchange(total, ordering: .relaxed)
        if previous != total, let last { details.withLock { $0.lastBadFrame = last } }
    }

    /// Called once, after the last write, by the hub (`SourceHub.close`).
    package func markFinished(error: InputError?) {
        if let error { details.withLock { $0.error = error } }
        ring.cancelWaiting()
        finishedFlag.store(true, ordering: .releasing)
    }
}
