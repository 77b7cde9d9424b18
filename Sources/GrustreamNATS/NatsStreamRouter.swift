import GrustreamIO
import Synchronization

/// The stream names of a NATS source, shared by its reader threads: each name is held by one router at a time,
/// and at most `limit` are held in all (a publisher inventing subjects cannot make the daemon open streams
/// without end).
package final class NatsStreamRegistry: Sendable {
    package let limit: Int
    private let names = Mutex<Set<String>>([])

    package init(limit: Int) { self.limit = limit }

    /// Take `name`: false when another router holds it or `limit` names are held.
    package func claim(_ name: String) -> Bool {
        names.withLock { held in
            guard held.count < limit || held.contains(name) else { return false }
            return held.insert(name).inserted
        }
    }

    package func release(_ name: String) { _ = names.withLock { $0.remove(name) } }
    package var count: Int { names.withLock { $0.count } }
}

/// Turns the messages of one NATS subscription into frames of streams: the last token of a message's subject
/// (`sensors.pump1`, `part.2.sensors.pump1` → `pump1`) names its stream, opened in the hub with its first good
/// message; the payload is decoded by the stream's own `InputDecoder` (the Unix-socket source's decoders: CSV,
/// JSON Lines or raw samples), and must hold whole frames: a text message may leave out its last newline, a
/// raw one must be a whole number of frames. Every message is hostile: one beyond `maximumMessageBytes`, with a
/// stream id that is not 1–64 of `A–Z a–z 0–9 _ -`, beyond the registry's stream limit, or a raw message cut
/// inside a frame is counted in `malformedMessages` and skipped; bad frames inside a good message are the
/// decoder's (counted per stream, `bad_frames` policy). Used by one reader thread.
package final class NatsStreamRouter: @unchecked Sendable {
    package struct Options: Sendable {
        package var format: InputFormat
        package var sampleRate: Int
        package var channels: Int
        package var badFramePolicy: BadFramePolicy
        package var ringCapacityFrames: Int?
        package var limits: InputLimits
        package var maximumMessageBytes: Int
        /// Live input drops the oldest frames of a full ring; durable input waits for room (nothing is lost).
        package var overflowPolicy: OverflowPolicy = .dropOldest

        package init(
            format: InputFormat, sampleRate: Int, channels: Int, badFramePolicy: BadFramePolicy,
            ringCapacityFrames: Int?, limits: InputLimits, maximumMessageBytes: Int
        ) {
            self.format = format
            self.sampleRate = sampleRate
            self.channels = channels
            self.badFramePolicy = badFramePolicy
            self.ringCapacityFrames = ringCapacityFrames
            self.limits = limits
            self.maximumMessageBytes = maximumMessageBytes
        }
    }

    /// Longest stream id taken from a subject.
    package static let maximumStreamIDBytes = 64

    private struct Entry {
        let decoder: InputDecoder
        let stream: SourceStream
        var bytes = 0
    }

    let options: Options
    private let hub: SourceHub
    private let registry: NatsStreamRegistry
    private var entries: [String: Entry] = [:]
    /// Messages skipped whole (see the type's description), and why the last one was.
    package private(set) var malformedMessages = 0
    package private(set) var lastMalformed: String?
    /// Messages that gave frames to a stream.
    package private(set) var messages = 0

    package init(options: Options, hub: SourceHub, registry: NatsStreamRegistry) {
        self.options = options
        self.hub = hub
        self.registry = registry
    }

    /// The stream id of a subject: its last token, when it is 1–64 bytes of `A–Z a–z 0–9 _ -`; nil otherwise.
    package static func streamID(subject: String) -> String? {
        let utf8 = subject.utf8
        let start = utf8.lastIndex(of: UInt8(ascii: ".")).map { utf8.index(after: $0) } ?? utf8.startIndex
        let token = utf8[start...]
        guard !token.isEmpty, token.count <= maximumStreamIDBytes,
            token.allSatisfy({ isIDByte($0) })
        else { return nil }
        return String(Substring(token))
    }

    @inline(__always)
    static func isIDByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// Frames per message of a raw format, or nil for text formats.
    private var rawFrameBytes: Int? {
        if case .raw(let encoding) = options.format { return encoding.bytesPerSample * options.channels }
        return nil
    }

    /// Called with every stream this router opens (from its reader thread).
    package var onOpen: ((SourceStream) -> Void)?
    /// Frames the last `receive` delivered.
    package private(set) var lastFrames = 0

    /// Route one message, leaving out its first `skipFrames` frames (already covered by saved state). Returns the
    /// stream it went to, or nil when it was skipped as malformed.
    @discardableResult
    package func receive(subject: String, payload: UnsafeRawBufferPointer, skipFrames: Int = 0) -> SourceStream? {
        lastFrames = 0
        guard payload.count <= options.maximumMessageBytes else {
            return malformed(
                "\(subject): message of \(payload.count) bytes, expected at most \(options.maximumMessageBytes)")
        }
        guard let id = Self.streamID(subject: subject) else {
            return malformed(
                "\(subject.prefix(200)): the subject's last token is not a stream id (1–\(Self.maximumStreamIDBytes) of A–Z a–z 0–9 _ -)"
            )
        }
        if let frameBytes = rawFrameBytes, payload.count % frameBytes != 0 {
            return malformed(
                "\(id): message of \(payload.count) bytes is not a whole number of \(frameBytes)-byte frames")
        }
        guard var entry = entries[id] ?? open(id) else {
            return malformed(
                "\(id): stream refused: \(registry.limit) streams are open, or another subscription of this source has it"
            )
        }
        let decoder = entry.decoder
        let stream = entry.stream
        let channels = stream.channels
        var skip = skipFrames
        var frames = 0
        let hub = self.hub
        let deliver: (UnsafeBufferPointer<Float>) -> Void = { samples in
            var samples = samples
            var stamps = decoder.emittedTimestamps
            if skip > 0 {
                let dropped = min(skip, samples.count / channels)
                skip -= dropped
                samples = UnsafeBufferPointer(rebasing: samples[(dropped * channels)...])
                stamps = stamps.map { UnsafeBufferPointer(rebasing: $0[min(dropped, $0.count)...]) }
            }
            guard !samples.isEmpty else { return }
            frames += samples.count / channels
            // A write that may wait for room (durable input) first wakes the processing thread that makes it.
            let ring = stream.ring
            if ring.availableFrames + samples.count / channels + 1 >= ring.capacityFrames { hub.signal() }
            stream.write(samples, timestamps: stamps)
        }
        do {
            try decoder.decode(payload, emit: deliver)
            if rawFrameBytes == nil { try decoder.finish(partialLineIsBad: false, emit: deliver) }
        } catch {
            return malformed("\(id): \(error)")
        }
        entry.bytes = entry.bytes &+ payload.count
        entries[id] = entry
        stream.setBytesReceived(entry.bytes)
        stream.setBadFrames(decoder.badFrames.count, last: decoder.badFrames.last)
        messages += 1
        lastFrames = frames
        return stream
    }

    private func open(_ id: String) -> Entry? {
        guard registry.claim(id) else { return nil }
        let decoder = InputDecoder(
            format: options.format, channels: options.channels, policy: options.badFramePolicy, name: id,
            limits: options.limits, sampleRate: options.sampleRate)
        let stream = hub.openStream(
            name: id, sampleRate: decoder.streamRate ?? options.sampleRate,
            channels: decoder.channels ?? options.channels, capacityFrames: options.ringCapacityFrames,
            overflowPolicy: options.overflowPolicy, hasStableName: true,
            timestamped: options.format.carriesTimestamps)
        onOpen?(stream)
        let entry = Entry(decoder: decoder, stream: stream)
        entries[id] = entry
        return entry
    }

    private func malformed(_ reason: String) -> SourceStream? {
        malformedMessages += 1
        lastMalformed = reason
        return nil
    }

    /// The stream a name belongs to, if it is open here.
    package func stream(named id: String) -> SourceStream? { entries[id]?.stream }

    /// Close every stream (after the last message): the pipeline drains them.
    package func closeAll() {
        for (id, entry) in entries {
            hub.closeStream(entry.stream)
            registry.release(id)
        }
        entries.removeAll()
    }
}
