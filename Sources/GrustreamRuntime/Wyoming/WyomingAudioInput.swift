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

/// Turns a client's audio chunks into the samples the pipelines read (mono Float in [-1, 1) at their rate). The
/// session asks `accepts` at `audio-start` (and for each chunk's format), then `convert`s each chunk's payload.
/// A converter that resamples or downmixes other formats plugs in here.
public protocol WyomingAudioInput {
    /// nil when `format` can be converted; else why not (sent to the client in an `error` event).
    func refusal(of format: WyomingAudioFormat) -> String?
    /// The samples of one payload in `format` (accepted), written into `samples` (replaced; its capacity reused).
    mutating func convert(_ payload: [UInt8], format: WyomingAudioFormat, into samples: inout [Float])
}

/// Signed 16-bit little-endian mono at the pipelines' rate, as Home Assistant sends it (16 kHz): passed through,
/// scaled to [-1, 1) as every 16-bit source of grustream is. Any other format is refused with a message saying
/// what this server takes.
public struct PCM16MonoInput: WyomingAudioInput {
    public let rate: Int
    public init(rate: Int) { self.rate = rate }

    public func refusal(of format: WyomingAudioFormat) -> String? {
        guard format != WyomingAudioFormat(rate: rate, width: 2, channels: 1) else { return nil }
        return
            "unsupported audio: \(format); this server takes \(rate) Hz 16-bit mono (no resampling or downmixing here: convert on the client, e.g. Home Assistant's default \(rate) Hz 16-bit mono)"
    }

    public func convert(_ payload: [UInt8], format: WyomingAudioFormat, into samples: inout [Float]) {
        samples.removeAll(keepingCapacity: true)
        let count = payload.count / 2
        payload.withUnsafeBytes { raw in
            for i in 0..<count {
                let value = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                samples.append(Float(value) * (1 / 32768))
            }
        }
    }
}
