import GrustreamIO

/// The audio format of a Wyoming `audio-start` / `audio-chunk`: rate (Hz), width (bytes per sample), channels.
public struct WyomingAudioFormat: Sendable, Equatable, CustomStringConvertible {
    public var rate: Int
    public var width: Int
    public var channels: Int

    public init(rate: Int, width: Int, channels: Int) {
        self.rate = rate
        self.width = width
        self.channels = channels
    }

    public var description: String { "\(rate) Hz, \(width * 8)-bit, \(channels) channel\(channels == 1 ? "" : "s")" }

    /// The format fields of an event's data; a missing or malformed field is an error naming it.
    static func from(_ event: WyomingEvent) throws(WyomingSession.Refusal) -> WyomingAudioFormat {
        func field(_ key: String, _ range: ClosedRange<Int>) throws(WyomingSession.Refusal) -> Int {
            guard let n = event[key]?.integer, range.contains(n) else {
                throw WyomingSession.Refusal(
                    code: "bad-audio-format",
                    "\(event.type): \"\(key)\" is \(event[key]?.literal ?? "missing"); expected a whole number from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            return n
        }
        return WyomingAudioFormat(
            rate: try field("rate", 1...768_000), width: try field("width", 1...4),
            channels: try field("channels", 1...64))
    }
}

/// Turns a client's audio chunks into the samples the pipelines read: mono Float in [-1, 1) at their rate.
/// Signed little-endian PCM of 16 or 32 bits, 1 to 256 channels (averaged to mono), at any rate libsoxr converts
/// (`AudioConverter`: 1–384 kHz, HQ, its state kept for the whole stream, so the split into chunks changes no
/// sample). Audio already at the pipelines' rate and mono passes through untouched. One per client stream: `start`
/// at `audio-start`, `convert` each chunk, `finish` at `audio-stop` (the resampler's last samples).
public final class WyomingAudioInput {
    /// The pipelines' rate (Hz).
    public let rate: Int
    private var format: WyomingAudioFormat?
    private var converter: AudioConverter?
    private var decoded: [Float] = []

    public init(rate: Int) {
        self.rate = rate
        decoded.reserveCapacity(8192)
    }

    /// nil when `format` can be converted; else why not (sent to the client in an `error` event).
    public func refusal(of format: WyomingAudioFormat) -> String? {
        var problems: [String] = []
        if format.width != 2 && format.width != 4 { problems.append("\(format.width * 8)-bit samples") }
        if !(1...AudioConverter.maximumInputChannels).contains(format.channels) {
            problems.append("\(format.channels) channels")
        }
        if format.rate != rate && !AudioConverter.supportedRates.contains(format.rate) {
            problems.append("\(format.rate) Hz")
        }
        guard !problems.isEmpty else { return nil }
        let rates = AudioConverter.supportedRates
        return
            "unsupported audio: \(problems.joined(separator: ", ")); this server takes signed 16- or 32-bit PCM, 1 to \(AudioConverter.maximumInputChannels) channels, \(rates.lowerBound)–\(rates.upperBound) Hz (converted to \(rate) Hz mono)"
    }

    /// A new stream in `format` (accepted by `refusal`).
    public func start(_ format: WyomingAudioFormat) throws(InputError) {
        self.format = format
        converter = try AudioConverter.make(
            inputRate: format.rate, inputChannels: format.channels, target: AudioTarget(sampleRate: rate, channels: 1),
            name: "wyoming audio (\(format))")
    }

    /// The samples of one chunk's payload (whole sample frames), written into `samples` (replaced; capacity reused).
    public func convert(_ payload: [UInt8], into samples: inout [Float]) {
        samples.removeAll(keepingCapacity: true)
        guard let format else { return }
        /// Whole samples of the payload through the decoders' own PCM conversion (`refusal` admits 2 or 4 bytes).
        func decode(into out: inout [Float]) {
            let encoding: SampleEncoding = format.width == 2 ? .s16le : .s32le
            let count = payload.count / encoding.bytesPerSample
            out.removeAll(keepingCapacity: true)
            guard count > 0 else { return }
            out.append(contentsOf: repeatElement(0, count: count))
            payload.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer {
                    encoding.decode(raw.baseAddress!, count: count, into: $0.baseAddress!)
                }
            }
        }
        guard let converter else { return decode(into: &samples) }
        decode(into: &decoded)
        decoded.withUnsafeBufferPointer { input in converter.process(input) { samples.append(contentsOf: $0) } }
    }

    /// End of the stream: the resampler's last samples into `samples` (replaced).
    public func finish(into samples: inout [Float]) {
        samples.removeAll(keepingCapacity: true)
        try? converter?.finish { samples.append(contentsOf: $0) }
        converter = nil
        format = nil
    }
}
