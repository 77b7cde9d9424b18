/// What a writer does when the ring has no room for the samples it brings.
public enum OverflowPolicy: String, Sendable, Equatable {
    /// Live capture (ALSA, sockets): never block; drop the oldest whole frames and count them.
    case dropOldest
    /// Files and pipes (stdin): wait until the reader makes room, so nothing is lost. The input can
    /// wait; a microphone cannot.
    case waitForSpace
}

/// Where the frames handed out by one `SampleRing.read(into:)` belong in the stream.
public struct RingRead: Sendable, Equatable {
    /// Interleaved samples written to the caller's buffer (a whole number of frames).
    public var sampleCount: Int
    /// Stream index of the first frame returned (frames since the stream opened, dropped ones
    /// included): stream time is `firstFrame / sampleRate`. A jump since the previous read means
    /// that `firstFrame − (previous firstFrame + previous frames)` frames were dropped.
    public var firstFrame: Int

    public init(sampleCount: Int, firstFrame: Int) {
        self.sampleCount = sampleCount
        self.firstFrame = firstFrame
    }
}

/// Bounded single-producer/single-consumer buffer of interleaved Float samples between a capture
/// thread and the processing thread. Fixed capacity, allocated once; `write` and `read` only copy
/// under a mutex (no allocation, no system call unless a thread waits).
///
/// Positions are absolute sample counts since the stream opened, so frame boundaries survive any
/// write size (a writer may hand over half a frame; the reader only ever sees whole frames) and
/// drops are whole frames from the oldest end.
///
/// A ring made `timestamped` keeps one `Double` per frame beside the samples (the input row's timestamp, see
/// `Timestamp`), written and read with its frame under the same lock, in storage allocated with the ring.
public final class SampleRing: @unchecked Sendable {
    /// Interleaved channels per frame.
    public let channels: Int
    /// Capacity in frames.
    public let capacityFrames: Int
    private let capacity: Int  // samples
    private let storage: UnsafeMutablePointer<Float>
    /// `[capacityFrames]` the timestamp of each frame slot (timestamped rings only).
    private let stamps: UnsafeMutablePointer<Double>?
    private let lock = ConditionLock()
    private var writePosition = 0  // absolute samples written (including dropped ones)
    private var readPosition = 0  // absolute samples consumed or dropped; always a whole frame
    private var dropped = 0  // frames
    /// A writer blocked in `.waitForSpace` waits until this much room (samples, half the ring) is free.
    private let writerWakeRoom: Int
    private var writerWaiting = false
    private var cancelled = false

    public init(capacityFrames: Int, channels: Int, timestamped: Bool = false) {
        precondition(capacityFrames > 0 && channels > 0, "ring capacity and channels must be positive")
        self.channels = channels
        self.capacityFrames = capacityFrames
        self.capacity = capacityFrames * channels
        self.writerWakeRoom = max(1, capacityFrames * channels / 2)
        self.storage = .allocate(capacity: capacityFrames * channels)
        storage.initialize(repeating: 0, count: capacityFrames * channels)
        stamps = timestamped ? .allocate(capacity: capacityFrames) : nil
        stamps?.initialize(repeating: .nan, count: capacityFrames)
    }

    deinit {
        storage.deallocate()
        stamps?.deallocate()
    }

    /// Whether frames keep a timestamp each (`write(_:timestamps:policy:)`, `read(into:timestamps:)`).
    public var isTimestamped: Bool { stamps != nil }

    /// Frames dropped by `dropOldest` overflow (one frame = one sample of every channel).
    public var droppedFrames: Int { lock.withLock { dropped } }
    /// Whole frames waiting to be read.
    public var availableFrames: Int { lock.withLock { (writePosition - readPosition) / channels } }
    /// Frames written so far (dropped ones included; a trailing partial frame not counted).
    public var framesWritten: Int { lock.withLock { writePosition / channels } }

    /// Store `samples` (interleaved; need not be whole frames). With `.dropOldest` this never blocks:
    /// when full, the oldest whole frames are dropped (and counted) to make room, and if `samples` alone
    /// is larger than the ring only its newest frames are kept. With `.waitForSpace` it blocks until the
    /// reader has made room, or until `cancelWaiting()`: then the rest is dropped and counted. A blocked writer
    /// waits until half the ring is free — not for the first free sample, nor just for what it still has to
    /// write — so a file read faster than it is processed is handed over in big pieces: one wake-up per half ring,
    /// not two thread switches per `read` of the processing thread.
    /// Returns the number of frames dropped by this call.
    /// `timestamps`: one per whole frame of `samples` (which then start at a frame boundary), kept by a
    /// timestamped ring (NaN for frames beyond them), ignored by others.
    @discardableResult
    public func write(
        _ samples: UnsafeBufferPointer<Float>, timestamps: UnsafeBufferPointer<Double>? = nil,
        policy: OverflowPolicy = .dropOldest
    ) -> Int {
        guard let base = samples.baseAddress, samples.count > 0 else { return 0 }
        lock.lock()
        defer {
            incoming = nil
            lock.unlock()
        }
        incoming = timestamps
        incomingStart = writePosition
        if policy == .waitForSpace {
            var offset = 0
            while offset < samples.count {
                let room = capacity - (writePosition - readPosition)
                if room == 0 {
                    if cancelled { break }
                    writerWaiting = true
                    while capacity - (writePosition - readPosition) < writerWakeRoom && !cancelled { lock.wait() }
                    writerWaiting = false
                    continue
                }
                let n = min(room, samples.count - offset)
                copyIn(base + offset, count: n)
                offset += n
            }
            if offset == samples.count { return 0 }
            return dropLocked(base + offset, count: samples.count - offset)
        }
        return dropLocked(base, count: samples.count)
    }

    /// Write with drop-oldest semantics; lock held.
    private func dropLocked(_ base: UnsafePointer<Float>, count: Int) -> Int {
        let newWrite = writePosition + count
        var newRead = readPosition
        if newWrite - readPosition > capacity {
            let needed = newWrite - capacity
            newRead = (needed + channels - 1) / channels * channels  // round up to a whole frame
        }
        let droppedFrames = (newRead - readPosition) / channels
        dropped += droppedFrames
        readPosition = newRead
        let skip = max(0, newRead - writePosition)  // incoming samples that are dropped at once
        writePosition += skip
        copyIn(base + skip, count: count - skip)
        return droppedFrames
    }

    /// The timestamps of the `write` in progress and the ring position of its first sample; lock held.
    private var incoming: UnsafeBufferPointer<Double>?
    private var incomingStart = 0

    /// Copy `count` samples at the write position (and the timestamps of the frames starting among them); lock
    /// held, room checked by the caller.
    private func copyIn(_ source: UnsafePointer<Float>, count: Int) {
        var done = 0
        while done < count {
            let index = (writePosition + done) % capacity
            let n = min(count - done, capacity - index)
            (storage + index).update(from: source + done, count: n)
            done += n
        }
        if let stamps {
            var frame = (writePosition + channels - 1) / channels
            while frame * channels < writePosition + count {
                let k = (frame * channels - incomingStart) / channels
                let value = incoming.map { k >= 0 && k < $0.count ? $0[k] : .nan } ?? .nan
                stamps[frame % capacityFrames] = value
                frame += 1
            }
        }
        writePosition += count
    }

    /// Copy as many whole frames as are waiting and fit in `buffer`. Never blocks, never allocates.
    /// A writer waiting for room is woken after the lock is released (woken under it, on a shared core it would
    /// run at once and block on the lock again).
    /// `timestamps`: receives the timestamps of the frames returned (NaN for a ring without them); at most
    /// `timestamps.count` frames are returned.
    public func read(
        into buffer: UnsafeMutableBufferPointer<Float>, timestamps: UnsafeMutableBufferPointer<Double>? = nil
    ) -> RingRead {
        guard let base = buffer.baseAddress else { return RingRead(sampleCount: 0, firstFrame: 0) }
        lock.lock()
        let first = readPosition / channels
        var frames = min((writePosition - readPosition) / channels, buffer.count / channels)
        if let timestamps {
            frames = min(frames, timestamps.count)
            for k in 0..<frames { timestamps[k] = stamps?[(first + k) % capacityFrames] ?? .nan }
        }
        let count = frames * channels
        var done = 0
        while done < count {
            let index = (readPosition + done) % capacity
            let n = min(count - done, capacity - index)
            (base + done).update(from: storage + index, count: n)
            done += n
        }
        readPosition += count
        let wakeWriter = writerWaiting && count > 0 && capacity - (writePosition - readPosition) >= writerWakeRoom
        lock.unlock()
        if wakeWriter { lock.broadcast() }
        return RingRead(sampleCount: count, firstFrame: first)
    }

    /// Release a writer blocked in `.waitForSpace` (stop, shutdown); later waits do not block.
    public func cancelWaiting() {
        lock.withLock { cancelled = true }
        lock.broadcast()
    }
}
