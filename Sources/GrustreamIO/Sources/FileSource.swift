#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads any readable file descriptor: stdin (`--source -`), a file, a FIFO. Raw samples (any
/// `SampleEncoding`, rate and channels from the options), WAV (header first), CSV or JSON Lines, in any
/// chunking. One stream, opened when the format is known (after the WAV header).
///
/// Back-pressure, not loss: a file can wait, so when the ring is full the reader waits for the processing
/// thread (`OverflowPolicy.waitForSpace`) and every sample is delivered. Without `realtime` the processing thread
/// is woken when the ring is a quarter full, when a write might have to wait, or before the reader itself waits
/// for input (a pipe with nothing more to read now: `arecord | grustream` is not delayed) — not after every read:
/// a file read faster than it is processed is handed over in big pieces, not in thread switches per read.
/// With `realtime`, samples are delivered no faster than the sample rate (monotonic clock, ~10 ms steps), like a
/// capture device: a 1 s file takes ≥ 1 s. End of input closes the stream after its last sample; `stop()` closes
/// it early.
public final class FileSource: FrameSource, @unchecked Sendable {
    public var kind: FrameSourceKind { .recorded }
    public struct Options: Sendable, Equatable {
        /// Byte format of the input.
        public var format: InputFormat = .wav
        /// Frames per second (Hz) for raw, CSV and JSON Lines input (WAV: from the header).
        public var sampleRate: Int = 16000
        /// Channels for raw and JSON Lines input (CSV: its options; WAV: the header).
        public var channels: Int = 1
        /// Deliver no faster than `sampleRate` (replaying a recording as if live).
        public var realtime: Bool = false
        /// Bad sensor frames (CSV, JSON Lines, float NaN/Inf, a frame cut at the end).
        public var badFramePolicy: BadFramePolicy = .skip
        /// Ring size in frames (nil: `SourceHub.defaultRingSeconds` at the stream's rate).
        public var ringCapacityFrames: Int? = nil
        /// Bytes per `read(2)`.
        public var readBytes: Int = 16384
        /// Stream name in events (nil: the source name, `stdin` or the path).
        public var streamName: String? = nil
        /// The sample limit, and the format a WAV header must give.
        public var limits = InputLimits()

        public init(
            format: InputFormat = .wav, sampleRate: Int = 16000, channels: Int = 1, realtime: Bool = false,
            badFramePolicy: BadFramePolicy = .skip, ringCapacityFrames: Int? = nil
        ) {
            self.format = format
            self.sampleRate = sampleRate
            self.channels = channels
            self.realtime = realtime
            self.badFramePolicy = badFramePolicy
            self.ringCapacityFrames = ringCapacityFrames
        }
    }

    public let name: String
    public let options: Options
    /// An input whose first `unusablePrefixFrames` frames or lines (blank lines, comments and a header not
    /// counted) are all bad, or that ends with bad ones only, is refused with its first problem: it is in the
    /// wrong shape (other columns, separator or format), not a good stream with a few bad frames.
    public static let unusablePrefixFrames = 16
    private let path: String?
    private var descriptor: Int32
    private let ownsDescriptor: Bool
    private let stopSignal: StopSignal
    private let lock = ConditionLock()
    private var stream: SourceStream?
    private var started = false

    /// Read an open descriptor (not closed at the end). `name`: `stdin`, or what the user gave.
    public init(fileDescriptor: Int32, name: String = "stdin", options: Options) throws {
        self.name = name
        self.options = options
        self.path = nil
        self.descriptor = fileDescriptor
        self.ownsDescriptor = false
        self.stopSignal = try Self.makeStopSignal(name)
    }

    /// Read the file at `path` (opened by `open()`, closed at the end).
    public init(path: String, options: Options) throws {
        self.name = path
        self.options = options
        self.path = path
        self.descriptor = -1
        self.ownsDescriptor = true
        self.stopSignal = try Self.makeStopSignal(path)
    }

    /// Standard input (`--source -`).
    public static func standardInput(options: Options) throws -> FileSource {
        try FileSource(fileDescriptor: STDIN_FILENO, name: "stdin", options: options)
    }

    private static func makeStopSignal(_ name: String) throws -> StopSignal {
        do { return try StopSignal() } catch let failure as POSIXFailure {
            throw InputError("\(name): cannot create a wake-up pipe: \(POSIX.message(failure.code))")
        }
    }

    deinit {
        if ownsDescriptor && descriptor >= 0 { close(descriptor) }
    }

    public func open() throws {
        try validate()
        guard let path, descriptor < 0 else { return }
        do {
            descriptor = try POSIX.call("open", context: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        } catch let failure as POSIXFailure {
            let hint = failure.code == ENOENT ? "; check the path, or use --source - to read stdin" : ""
            throw InputError("\(path): cannot open input: \(POSIX.message(failure.code))\(hint)")
        }
    }

    private func validate() throws {
        guard options.sampleRate > 0 else {
            throw InputError("\(name): sample rate \(options.sampleRate) Hz, expected > 0")
        }
        guard options.channels > 0 else { throw InputError("\(name): \(options.channels) channels, expected ≥ 1") }
        if case .csv(let csv) = options.format, csv.channels <= 0 {
            throw InputError("\(name): CSV with \(csv.channels) value columns, expected ≥ 1")
        }
    }

    public func start(hub: SourceHub) throws {
        guard descriptor >= 0 else { throw InputError("\(name): start() before open()") }
        let first = lock.withLock {
            defer { started = true }
            return !started
        }
        guard first else { throw InputError("\(name): started twice") }
        hub.sourceStarted()
        CaptureThread.spawn(name: "src-\(name)") { [self] in
            run(hub: hub)
            hub.sourceEnded()
        }
    }

    public func stop() {
        stopSignal.stop()
        lock.withLock { self.stream }?.ring.cancelWaiting()
    }

    /// The capture thread.
    private func run(hub: SourceHub) {
        let decoder = InputDecoder(
            format: options.format, channels: options.channels, policy: options.badFramePolicy, name: name,
            limits: options.limits, sampleRate: options.sampleRate)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, options.readBytes), alignment: 16)
        defer { buffer.deallocate() }
        var pacer = Pacer(realtime: options.realtime)
        var failure: InputError?
        var bytesRead = 0
        var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let deliver: (UnsafeBufferPointer<Float>) -> Void = { [self] samples in
            guard let stream = openStreamIfNeeded(decoder: decoder, hub: hub) else { return }
            pacer.deliver(samples, timestamps: decoder.emittedTimestamps, to: stream, hub: hub, stop: stopSignal)
        }
        reading: while !stopSignal.isStopped {
            fds[0].revents = 0
            fds[1].revents = 0
            // Samples not announced yet and nothing more to read right now: wake the processing thread first.
            if pacer.signalPending && poll(&fds, 2, 0) == 0 { pacer.signalNow(hub) }
            if fds[0].revents == 0 && fds[1].revents == 0 && poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                failure = InputError("\(name): poll failed: \(POSIX.message(errno))")
                break
            }
            if fds[1].revents != 0 { break }
            let count = POSIX.retrying { read(descriptor, buffer.baseAddress, buffer.count) }
            if count < 0 {
                if errno == EAGAIN { continue }
                failure = InputError("\(name): read failed: \(POSIX.message(errno))")
                break
            }
            if count == 0 {
                failure = captureErrors { try decoder.finish(partialLineIsBad: false, emit: deliver) }
                if failure == nil && decoder.framesDecoded == 0 && decoder.badFrames.count > 0 {
                    failure = unusable(decoder.badFrames, "the input has no good \(decoder.badFrames.unit)")
                }
                break reading
            }
            bytesRead += count
            failure = captureErrors {
                try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), emit: deliver)
            }
            if failure == nil && decoder.framesDecoded == 0 && decoder.badFrames.count >= Self.unusablePrefixFrames {
                let unit = decoder.badFrames.unit
                failure = unusable(decoder.badFrames, "the first \(Self.unusablePrefixFrames) \(unit)s are all bad")
            }
            if failure != nil { break }
            if let stream = lock.withLock({ self.stream }) {
                stream.setBytesReceived(bytesRead)
                stream.setBadFrames(decoder.badFrames.count, last: decoder.badFrames.last)
            }
        }
        if ownsDescriptor {
            close(descriptor)
            descriptor = -1
        }
        if let stream = lock.withLock({ self.stream }) {
            stream.setBytesReceived(bytesRead)
            stream.setBadFrames(decoder.badFrames.count, last: decoder.badFrames.last)
            hub.closeStream(stream, error: failure)
        } else if let failure {
            hub.report(source: name, error: failure)
        }
    }

    /// The error of an input in the wrong shape: its first bad frame, where it is, and why the run stops.
    private func unusable(_ log: BadFrameLog, _ why: String) -> InputError {
        let reason = log.firstReason ?? "bad frame"
        let line = log.firstLine ?? 1
        let place = log.unit == "line" ? "\(name):\(line): " : "\(name): frame \(line): "
        return InputError(place + reason + " (\(why); expected \(options.format) input)")
    }

    /// Run `body`; its error as a `InputError` naming this source, or nil.
    private func captureErrors(_ body: () throws -> Void) -> InputError? {
        do {
            try body()
            return nil
        } catch let error as InputError {
            return error
        } catch {
            return InputError("\(name): \(error)")
        }
    }

    private func openStreamIfNeeded(decoder: InputDecoder, hub: SourceHub) -> SourceStream? {
        if let stream = lock.withLock({ self.stream }) { return stream }
        let rate = decoder.streamRate ?? options.sampleRate
        guard let channels = decoder.channels else { return nil }
        let stream = hub.openStream(
            name: options.streamName ?? name, sampleRate: rate, channels: channels,
            capacityFrames: options.ringCapacityFrames, overflowPolicy: .waitForSpace,
            timestamped: options.format.carriesTimestamps)
        lock.withLock { self.stream = stream }
        if stopSignal.isStopped { stream.ring.cancelWaiting() }
        return stream
    }
}

/// Hands decoded samples to a stream, optionally no faster than its sample rate, and wakes the processing thread:
/// in real time after every piece (as a device would); otherwise when the ring is a quarter full, before a write
/// that may have to wait for room, or — `signalPending`, done by the reader — before the reader waits for input.
struct Pacer {
    let realtime: Bool
    private var startNanoseconds: UInt64 = 0
    private var samplesDelivered = 0
    /// Samples were written that the processing thread has not been told about.
    private(set) var signalPending = false

    init(realtime: Bool) { self.realtime = realtime }

    mutating func signalNow(_ hub: SourceHub) {
        hub.signal()
        signalPending = false
    }

    /// `timestamps`: one per frame of `samples` (text formats), kept with them in a timestamped ring.
    mutating func deliver(
        _ samples: UnsafeBufferPointer<Float>, timestamps: UnsafeBufferPointer<Double>? = nil, to stream: SourceStream,
        hub: SourceHub, stop: StopSignal
    ) {
        guard realtime, let base = samples.baseAddress else {
            let ring = stream.ring
            // The write may have to wait for room (+ 1: a partial frame already in the ring, or in `samples`).
            let frames = samples.count / ring.channels + 1
            if ring.availableFrames + frames >= ring.capacityFrames { signalNow(hub) }
            stream.write(samples, timestamps: timestamps)
            if 4 * ring.availableFrames >= ring.capacityFrames { signalNow(hub) } else { signalPending = true }
            return
        }
        if startNanoseconds == 0 { startNanoseconds = MonotonicClock.nanoseconds() }
        let channels = stream.channels
        let step = max(1, stream.sampleRate / 100) * channels  // 10 ms
        var offset = 0
        while offset < samples.count {
            let count = min(step, samples.count - offset)
            let frames = (samplesDelivered + count) / channels
            // A piece is delivered once its last frame "has been recorded", as a device would.
            let due = startNanoseconds + UInt64(frames) * 1_000_000_000 / UInt64(stream.sampleRate)
            if stop.sleep(untilMonotonic: due) { return }
            let frame = offset / channels
            let pieceTimestamps = timestamps.map {
                UnsafeBufferPointer(rebasing: $0[min(frame, $0.count)..<min(frame + count / channels, $0.count)])
            }
            stream.write(UnsafeBufferPointer(start: base + offset, count: count), timestamps: pieceTimestamps)
            hub.signal()
            offset += count
            samplesDelivered += count
        }
    }
}
