#if canImport(Glibc)
    import Glibc
#endif

/// `alsa:DEVICE`: live capture through libasound. One capture thread does blocking `snd_pcm_readi` of one
/// period at a time into the stream's ring; it never waits for the processing thread (a full ring drops
/// the oldest frames, counted). Overruns and suspends are recovered with `snd_pcm_recover` and counted as
/// xruns. A device that fails or vanishes ends the stream with an error, or, with `retry`, is reopened
/// with exponential backoff while the stream stays open (`reconnects` counts the successes).
public final class AlsaSource: FrameSource, @unchecked Sendable {
    public var kind: FrameSourceKind { .live }
    public struct Options: Sendable, Equatable {
        /// ALSA PCM name, as `arecord -D` takes it: `default`, `plughw:1,0`, `hw:CARD=Mic`, ...
        public var device: String = "default"
        /// Frames per second (Hz) asked of the device; without `convert` it must give exactly this (a `plug`
        /// device resamples), with `convert` the nearest rate it offers is taken and resampled.
        public var sampleRate: Int = 16000
        public var channels: Int = 1
        /// Sample format: `.s16le` (S16_LE), `.s32le` (S32_LE), `.f32le` (FLOAT_LE); also u8, s24le (S24_3LE), f64le.
        public var encoding: SampleEncoding = .s16le
        /// Frames per period, the size of one read (nil: `defaultPeriodMilliseconds`).
        public var periodFrames: Int? = nil
        /// Frames of device buffer (nil: `defaultBufferMilliseconds`, at least two periods): how long the capture
        /// thread may stall without an xrun.
        public var bufferFrames: Int? = nil
        /// Reopen a missing or vanished device with backoff instead of failing (nil: fail).
        public var retry: RetryPolicy? = nil
        /// Ring size in frames (nil: `SourceHub.defaultRingSeconds`).
        public var ringCapacityFrames: Int? = nil
        /// Finish the stream after this many frames (like `arecord -s`; nil: until stopped).
        public var frameLimit: Int? = nil
        /// Stream name in events (nil: the source name, `alsa:DEVICE`).
        public var streamName: String? = nil
        /// ALSA configuration text loaded in-process instead of the system configuration (tests, custom
        /// PCMs without touching `~/.asoundrc` or `ALSA_CONFIG_PATH`).
        public var configuration: String? = nil
        /// The stream's rate and channels: captured audio at another rate (whatever the device gives) or channel
        /// count is resampled and mixed down to it (`AudioConverter`). nil: the stream is what is captured.
        public var convert: AudioTarget? = nil

        public init(
            device: String = "default", sampleRate: Int = 16000, channels: Int = 1, encoding: SampleEncoding = .s16le
        ) {
            self.device = device
            self.sampleRate = sampleRate
            self.channels = channels
            self.encoding = encoding
        }

        var format: PCMFormat { PCMFormat(sampleRate: sampleRate, channels: channels, encoding: encoding) }
        /// The period and buffer a pipeline file gets when it sets neither (`period_ms`, `buffer_ms`).
        public static let defaultPeriodMilliseconds = 10.0
        public static let defaultBufferMilliseconds = 200.0

        var period: Int { periodFrames ?? Self.frames(Self.defaultPeriodMilliseconds, sampleRate) }
        var buffer: Int { bufferFrames ?? max(2 * period, Self.frames(Self.defaultBufferMilliseconds, sampleRate)) }

        /// `milliseconds` of audio at `sampleRate`, rounded, at least one frame.
        public static func frames(_ milliseconds: Double, _ sampleRate: Int) -> Int {
            max(1, Int((milliseconds / 1000 * Double(sampleRate)).rounded()))
        }
    }

    /// Exponential backoff between attempts to (re)open a device.
    public struct RetryPolicy: Sendable, Equatable {
        /// Wait after the first failure.
        public var initialDelay: Duration = .milliseconds(500)
        /// The wait doubles up to this.
        public var maximumDelay: Duration = .seconds(30)

        public init(initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(30)) {
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
        }
    }

    public let options: Options
    public var name: String { "alsa:\(options.device)" }
    private let lock = ConditionLock()
    private var pcm: AlsaPCM?
    private var openError: InputError?
    private var started = false
    private let stopSignal: StopSignal

    public init(options: Options) throws {
        self.options = options
        do { stopSignal = try StopSignal() } catch let failure as POSIXFailure {
            throw InputError("alsa:\(options.device): cannot create a wake-up pipe: \(POSIX.message(failure.code))")
        }
    }

    /// Open the device. Without `retry`, failure throws a one-line `InputError`. With `retry`, a failure
    /// is kept and reported through the hub once started, and the capture thread keeps trying.
    public func open() throws {
        guard options.sampleRate > 0, options.channels > 0 else {
            throw InputError(
                "\(name): sample rate \(options.sampleRate) Hz and \(options.channels) channels, expected both > 0")
        }
        do {
            let pcm = try openDevice()
            lock.withLock { self.pcm = pcm }
        } catch {
            guard options.retry != nil else { throw error }
            lock.withLock { openError = error }
        }
    }

    private func openDevice() throws(InputError) -> AlsaPCM {
        do {
            return try AlsaPCM(
                device: options.device, format: options.format, periodFrames: options.period,
                bufferFrames: options.buffer, configuration: options.configuration, anyRate: options.convert != nil)
        } catch {
            throw AlsaMessages.openError(error, source: name, options: options)
        }
    }

    public func start(hub: SourceHub) throws {
        let (first, ready) = lock.withLock {
            defer { started = true }
            return (!started, pcm != nil || openError != nil)
        }
        guard ready else { throw InputError("\(name): start() before open()") }
        guard first else { throw InputError("\(name): started twice") }
        hub.sourceStarted()
        let stream = hub.openStream(
            name: options.streamName ?? name, sampleRate: options.convert?.sampleRate ?? options.sampleRate,
            channels: options.convert?.channels ?? options.channels,
            capacityFrames: options.ringCapacityFrames, overflowPolicy: .dropOldest)
        CaptureThread.spawn(name: "alsa-capture") { [self] in
            let error = run(stream: stream, hub: hub)
            lock.withLock { pcm = nil }
            hub.closeStream(stream, error: error)
            hub.sourceEnded()
        }
    }

    public func stop() { stopSignal.stop() }

    /// The capture thread; returns the error that ended the stream (nil: stopped or frame limit reached).
    private func run(stream: SourceStream, hub: SourceHub) -> InputError? {
        var delay = options.retry?.initialDelay ?? .zero
        var pending = lock.withLock { openError }
        var captured = 0
        // Per device opening: the rate it gave decides the conversion; the filter's tail is written at the end.
        var converter: AudioConverter?
        defer { try? converter?.finish { stream.write($0) } }
        while !stopSignal.isStopped {
            // (Re)open with backoff.
            if let error = pending {
                guard let retry = options.retry else { return error }
                hub.report(source: name, error: error, retryIn: delay)
                if stopSignal.sleep(for: delay) { return nil }
                delay = min(delay * 2, retry.maximumDelay)
                do {
                    let device = try openDevice()
                    lock.withLock { pcm = device }
                    if lock.withLock({ openError }) == nil { stream.addReconnect() }
                    lock.withLock { openError = nil }
                    pending = nil
                    delay = retry.initialDelay
                } catch {
                    pending = error
                    continue
                }
            }
            guard let device = lock.withLock({ pcm }) else { return nil }
            var format = options.format
            format.sampleRate = device.sampleRate
            try? converter?.finish { stream.write($0) }
            converter = nil
            if let target = options.convert {
                do {
                    converter = try AudioConverter.make(
                        inputRate: device.sampleRate, inputChannels: format.channels, target: target, name: name)
                } catch {
                    return error
                }
            }
            let frames = device.periodFrames
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: frames * format.bytesPerFrame, alignment: 16)
            defer { bytes.deallocate() }
            var decoder = PCMDecoder(format: format, maximumChunkSamples: frames * format.channels)
            // Capture until an error that needs the device reopened.
            capturing: while !stopSignal.isStopped {
                if !device.waitForData(milliseconds: 200) { continue }
                let wanted = options.frameLimit.map { min(frames, $0 - captured) } ?? frames
                if wanted <= 0 { return nil }
                let result = device.read(into: bytes, frames: wanted)
                if result > 0 {
                    captured += result
                    stream.addBytes(result * format.bytesPerFrame)
                    decoder.decode(UnsafeRawBufferPointer(start: bytes, count: result * format.bytesPerFrame)) {
                        if let converter { converter.process($0) { stream.write($0) } } else { stream.write($0) }
                    }
                    hub.signal()
                    continue
                }
                let code = Int32(truncatingIfNeeded: result)
                switch -code {
                case 0, EAGAIN, EINTR: continue
                case EPIPE, ESTRPIPE:  // overrun / suspend
                    stream.addXrun()
                    do { try device.recover(from: result) } catch {
                        pending = AlsaMessages.readError(error, source: name)
                        break capturing
                    }
                default:
                    pending = AlsaMessages.readError(
                        ALSAFailure(function: "snd_pcm_readi", code: code, detail: ALSA.takeMessages().first),
                        source: name)
                    break capturing
                }
            }
            lock.withLock { pcm = nil }  // closes the device
            if pending != nil && options.retry == nil { return pending }
        }
        return nil
    }
}
