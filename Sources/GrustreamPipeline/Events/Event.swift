import Glibc

/// One event of the events contract (README "Events"): a `class`, the stream it belongs to, the wall clock,
/// the stream time, and the kind's fields in the order they are printed. `EventEncoder` writes it as one
/// JSON line.
public struct Event: Sendable, Equatable {
    /// The `"class"` of an event; raw values are what is printed.
    public enum Kind: String, Sendable, CaseIterable, Hashable {
        /// First line to every socket client: `release`, `proto_major`, `proto_minor`, `pipeline`.
        case version = "VERSION"
        /// A class crossed its trigger: `label`, `score`, `start`, `end`.
        case detection = "DETECTION"
        /// An anomaly span opened, is still open, or closed: `phase` (`open`, `ongoing`, `close`), `score` (peak
        /// z-score so far), `likelihood` (peak so far), `threshold`, `start`, `end` (so far).
        case anomaly = "ANOMALY"
        /// Per frame, only when asked for: `scores` (label → value) or `score`, then `frame`, then `ts` (the input
        /// row's timestamp, epoch seconds) when the input has timestamps. `DETECTION` and `ANOMALY` end with it too.
        case scores = "SCORES"
        /// Periodically and at exit: counters and latency percentiles.
        case stats = "STATS"
        /// A recoverable runtime problem: `message`.
        case error = "ERROR"
        /// The acknowledgement of a runtime command (`ControlRequest`): `command`, `streams` (how many it applied
        /// to), `paused`, `paused_s`, and for THRESHOLD `label` and `threshold`.
        case control = "CONTROL"
    }

    /// A field value. Numbers print shortest-round-trip; non-finite numbers print as `null`.
    public indirect enum Value: Sendable, Equatable {
        case string(String)
        case double(Double)
        case float(Float)
        case integer(Int)
        case bool(Bool)
        case null
        /// A nested object, keys in print order.
        case object([Field])
        /// An array of numbers (the attention weights of a window).
        case floats([Float])
    }

    /// One `"name": value` pair.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: Value
        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }
    }

    public var kind: Kind
    /// The stream's name (the pipeline's, unless it names its streams).
    public var stream: String
    /// Seconds of stream time: `Double(sampleIndex) / Double(sampleRate)`, see `Event.seconds(sample:rate:)`.
    public var t: Double
    /// The wall clock when the event was made, printed as RFC 3339 UTC with milliseconds.
    public var time: WallTime
    /// The kind's fields, in print order (after `class`, `stream`, `time`, `t`).
    public var fields: [Field]

    public init(kind: Kind, stream: String, t: Double, time: WallTime = .now(), fields: [Field]) {
        self.kind = kind
        self.stream = stream
        self.t = t
        self.time = time
        self.fields = fields
    }

    /// Stream time of a sample: exact for the sample count, the same on every run and machine.
    @inlinable
    public static func seconds(sample: Int64, rate: Int) -> Double { Double(sample) / Double(rate) }

    /// `proto_major`: bumped when an existing field changes meaning or disappears.
    public static let protocolMajor = 1
    /// `proto_minor`: bumped when fields or classes are added.
    public static let protocolMinor = 5
    /// `release`: the grustream version printed in `VERSION`.
    public static let release = "0.1.0"
}

/// Wall-clock time in whole milliseconds since the Unix epoch (UTC).
public struct WallTime: Sendable, Equatable, Hashable, Comparable {
    public var millisecondsSinceEpoch: Int64
    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    /// `CLOCK_REALTIME`, truncated to milliseconds. No allocation.
    public static func now() -> WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }
}

extension Event {
    /// `VERSION`: the first line every socket client receives.
    public static func version(stream: String, pipeline: String, t: Double = 0, time: WallTime = .now()) -> Event {
        Event(
            kind: .version, stream: stream, t: t, time: time,
            fields: [
                Field("release", .string(release)), Field("proto_major", .integer(protocolMajor)),
                Field("proto_minor", .integer(protocolMinor)), Field("pipeline", .string(pipeline)),
            ])
    }

    /// `DETECTION`: `label` crossed its trigger over `[start, end]` seconds of stream time.
    public static func detection(
        stream: String, t: Double, label: String, score: Double, start: Double, end: Double, time: WallTime = .now()
    ) -> Event {
        Event(
            kind: .detection, stream: stream, t: t, time: time,
            fields: [
                Field("label", .string(label)), Field("score", .double(score)), Field("start", .double(start)),
                Field("end", .double(end)),
            ])
    }

    /// `ANOMALY`: a span `[start, end]` (the end so far unless `phase` is `close`) whose score is above
    /// `threshold`; `score` and `likelihood` are the span's peaks so far.
    public static func anomaly(
        stream: String, t: Double, phase: String = "close", score: Double, likelihood: Double = 0, threshold: Double,
        start: Double, end: Double, time: WallTime = .now()
    ) -> Event {
        Event(
            kind: .anomaly, stream: stream, t: t, time: time,
            fields: [
                Field("phase", .string(phase)), Field("score", .double(score)),
                Field("likelihood", .double(likelihood)), Field("threshold", .double(threshold)),
                Field("start", .double(start)), Field("end", .double(end)),
            ])
    }

    /// `SCORES` for one frame: `"scores": {label: value}`, or, with `fields` (one name per value), each value as
    /// a top-level field (`"score": value` when there are no labels and one value). Labels missing for an index are
    /// printed as the index. `EventEncoder.encodeScores` writes the same bytes without building an `Event`.
    public static func scores(
        stream: String, t: Double, frame: Int, labels: [String], fields names: [String] = [], scores: [Float],
        ts: Double? = nil, model: String? = nil, attention: [Float]? = nil,
        time: WallTime = .now()
    ) -> Event {
        var fields: [Field] = []
        if names.count == scores.count && !names.isEmpty {
            fields = zip(names, scores).map { Field($0, .float($1)) }
        } else if labels.isEmpty && scores.count == 1 {
            fields.append(Field("score", .float(scores[0])))
        } else {
            let pairs = scores.indices.map { Field($0 < labels.count ? labels[$0] : String($0), .float(scores[$0])) }
            fields.append(Field("scores", .object(pairs)))
        }
        fields.append(Field("frame", .integer(frame)))
        if let attention { fields.append(Field("attention", .floats(attention))) }
        if let model { fields.append(Field("model", .string(model))) }
        if let ts { fields.append(Field("ts", .double(ts))) }
        return Event(kind: .scores, stream: stream, t: t, time: time, fields: fields)
    }

    /// Counters for a `STATS` event.
    public struct Stats: Sendable, Equatable {
        public var frames = 0
        public var events = 0
        public var droppedSamples = 0
        public var xruns = 0
        public var badFrames = 0
        /// Hidden states found non-finite and reset to the zero state.
        public var stateResets = 0
        /// Socket clients' request lines refused (each answered with an `ERROR` line).
        public var badRequests = 0
        /// Socket-source producers refused (a stream name in use, a WAV header of another format, too many).
        public var refusedProducers = 0
        public var clients = 0
        public var droppedClients = 0
        /// Median processing latency of a frame, in microseconds.
        public var latencyP50Microseconds = 0.0
        /// 99th percentile processing latency of a frame, in microseconds.
        public var latencyP99Microseconds = 0.0
        /// Seconds of stream time during which detection was paused (`PAUSE`), all streams together.
        public var pausedSeconds = 0.0
        /// Frames the gated models skipped while the voice-activity gate was closed (pipelines with a `[gate]`).
        public var gatedFrames: Int?
        public init() {}
    }

    /// `STATS`: `frames`, `events`, `dropped_samples`, `xruns`, `bad_frames`, `state_resets`, `bad_requests`,
    /// `refused_producers`, `clients`, `dropped_clients`, `latency_p50_us`, `latency_p99_us`, `paused_s`, and with a
    /// voice-activity gate `gated_frames`.
    public static func stats(stream: String, t: Double, _ s: Stats, time: WallTime = .now()) -> Event {
        var event = Event(
            kind: .stats, stream: stream, t: t, time: time,
            fields: [
                Field("frames", .integer(s.frames)), Field("events", .integer(s.events)),
                Field("dropped_samples", .integer(s.droppedSamples)), Field("xruns", .integer(s.xruns)),
                Field("bad_frames", .integer(s.badFrames)), Field("state_resets", .integer(s.stateResets)),
                Field("bad_requests", .integer(s.badRequests)),
                Field("refused_producers", .integer(s.refusedProducers)), Field("clients", .integer(s.clients)),
                Field("dropped_clients", .integer(s.droppedClients)),
                Field("latency_p50_us", .double(s.latencyP50Microseconds)),
                Field("latency_p99_us", .double(s.latencyP99Microseconds)),
                Field("paused_s", .double(s.pausedSeconds)),
            ])
        if let gated = s.gatedFrames { event.fields.append(Field("gated_frames", .integer(gated))) }
        return event
    }

    /// `CONTROL`: a runtime command was carried out. `streams`: how many open streams it applied to; `paused`:
    /// whether detection is paused afterwards (of the stream named, or of the pipeline); `paused_s`: stream time
    /// paused so far (RESUME: the pause it ends); THRESHOLD adds `label` (null: every label) and `threshold`.
    public static func control(
        stream: String, t: Double, command: String, streams: Int, paused: Bool, pausedSeconds: Double,
        label: String? = nil, threshold: Double? = nil, time: WallTime = .now()
    ) -> Event {
        var fields = [
            Field("command", .string(command)), Field("streams", .integer(streams)), Field("paused", .bool(paused)),
            Field("paused_s", .double(pausedSeconds)),
        ]
        if let threshold {
            fields.append(Field("label", label.map { .string($0) } ?? .null))
            fields.append(Field("threshold", .double(threshold)))
        }
        return Event(kind: .control, stream: stream, t: t, time: time, fields: fields)
    }

    /// `ERROR`: a recoverable problem, one line of text.
    public static func error(stream: String, t: Double, message: String, time: WallTime = .now()) -> Event {
        Event(kind: .error, stream: stream, t: t, time: time, fields: [Field("message", .string(message))])
    }
}
