import GrustreamIO

/// `[source]`: where samples or sensor frames come from.
public struct SourceOptions: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case alsa, stdin, file, unix }
    public enum Format: String, Sendable, CaseIterable { case s16le, s32le, f32le, wav, csv, jsonl }
    public enum BadFramePolicy: String, Sendable, CaseIterable { case skip, hold }
    /// Source kind: a capture device, standard input, a file, or a Unix socket that producers connect to.
    public var kind: Kind = .stdin
    /// ALSA device name (`kind = "alsa"`), as `arecord -D` takes it.
    public var device: String = "default"
    /// File path (`kind = "file"`) or socket path (`kind = "unix"`); relative paths are from the pipeline file.
    public var path: String = ""
    /// Samples (or sensor frames) per second per channel (Hz). WAV input takes it from the header and must agree.
    public var rate: Int = 16000
    /// Interleaved channels per frame (1 for a microphone, 3 for a 3-axis accelerometer).
    public var channels: Int = 1
    /// Encoding of the bytes: PCM (`s16le`, `s32le`, `f32le`), `wav` (header then PCM), or text sensor frames
    /// (`csv`: one frame per line; `jsonl`: `{"t": …, "v": [ … ]}` per line).
    public var format: Format = .s16le
    /// Deliver file input no faster than real time (`--realtime`).
    public var realtime: Bool = false
    /// ALSA period (milliseconds): how much audio one blocking read returns.
    public var periodMilliseconds: Double = AlsaSource.Options.defaultPeriodMilliseconds
    /// ALSA buffer (milliseconds): how much the device holds before an overrun (xrun).
    public var bufferMilliseconds: Double = AlsaSource.Options.defaultBufferMilliseconds
    /// Keep retrying to open a capture device that is absent or fails (with backoff) instead of exiting.
    public var retry: Bool = false
    /// CSV: the first column is a timestamp (epoch seconds or ISO 8601 / RFC 3339), not a channel; carried into
    /// events as `"ts"`.
    public var timestampColumn: Bool = false
    /// CSV: a first line of column names: `"auto"` (skipped when none of its fields is a value), `true`, `false`.
    public var header: CSVOptions.Header = .auto
    /// Bad sensor frames (wrong column count, non-numeric, NaN/Inf): `skip` them, or `hold` the last good frame.
    public var badFrames: BadFramePolicy = .skip
    /// Capacity of the capture → processing ring buffer (seconds of input); live capture drops the oldest beyond it.
    public var bufferSeconds: Double = 2
    /// Stream name in events (`"stream"`); empty: the pipeline name (socket connections name themselves).
    public var stream: String = ""
    /// Stop capturing after this much input (seconds; like `arecord -d`); 0: until stopped or the input ends.
    public var durationSeconds: Double = 0
    /// Socket file permissions, octal (`kind = "unix"`): who may connect as a producer.
    public var mode: String = "0660"
    /// Group owning the socket file (`kind = "unix"`; empty: the process's group).
    public var group: String = ""

    public init() {}
}

/// `[model]`: the network and how to run it.
public struct ModelOptions: Sendable, Equatable {
    public enum Mode: Sendable, Equatable { case fromModel, carry, window(Int) }
    public enum Activation: String, Sendable, CaseIterable { case fromModel = "model", none, sigmoid, softmax }
    /// safetensors file; relative paths are from the pipeline file's folder.
    public var path: String = ""
    /// `carry` (state carried forever) or `window:N` (re-run the last N frames from the initial state at every frame);
    /// `model`: what the model's metadata says (default `carry`).
    public var mode: Mode = .fromModel
    /// Activation applied to the head outputs before the detector; `model`: the metadata's choice.
    public var outputActivation: Activation = .fromModel
    /// Labels for the outputs, overriding the model's.
    public var labels: [String] = []
    /// More models trained for the same labels (relative paths: from the pipeline file): each runs beside `path`
    /// on the same features, and the detector reads the mean of their posteriors.
    public var ensemble: [String] = []
    /// Keep training a next-frame predictor on the stream itself (each stream its own copy of the weights).
    public var onlineLearning = false
    /// Adam's learning rate of the online steps.
    public var onlineLearningRate: Float = 0.001
    /// Frames of the truncated-BPTT window each step trains on (the most recent ones).
    public var onlineWindowFrames = 64
    /// One optimiser step every this many frames of the stream.
    public var onlineEveryFrames = 64

    public init() {}
}

/// `[detector]`: how outputs become events.
public struct DetectorOptions: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case classify, anomaly, precise }
    public var kind: Kind = .classify
    /// Publish a `SCORES` event for every frame (clients still opt in with WATCH).
    public var scores: Bool = false
    /// With an attention-pooling model: every `SCORES` event also carries `attention`, the weights of the frame's
    /// window (oldest frame first), i.e. which frames the decision rests on.
    public var scoresAttention: Bool = false
    public var classify = ClassifyOptions()
    public var anomaly = AnomalyOptions()
    public var precise = PreciseOptions()

    public init() {}
}

/// One `[[sink]]`: where events go.
public struct SinkOptions: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case stdout, unix, clips }
    public var kind: Kind = .stdout
    /// Socket path (`kind = "unix"`).
    public var path: String = ""
    /// Socket file permissions, octal.
    public var mode: String = "0660"
    /// Group owning the socket file (empty: the process's group).
    public var group: String = ""
    /// A subscriber whose unsent events exceed this many bytes is dropped (~4000 typical events).
    public var clientQueueBytes: Int = SinkOptions.defaultClientQueueBytes
    /// The default of `clientQueueBytes`, also the event socket's when no pipeline file sets it.
    public static let defaultClientQueueBytes = 1 << 20
    /// Clients may send runtime commands (pause, resume, reset, threshold); false: a read-only events socket.
    public var control = true
    /// `kind = "clips"` (`path`: the folder): audio kept before a detection's start and after its end.
    public var preRollMs: Int = 1000
    public var postRollMs: Int = 500
    /// Retention of the clip folder: the oldest clips are removed beyond this many files or bytes.
    public var maxClips: Int = 1000
    public var maxBytes: Int = 100_000_000
    /// Clips of near misses too: spans whose detector score reached this without a detection (0: off).
    public var nearMiss: Double = 0

    public init() {}
}

/// `[runtime]`: the process around the pipeline.
public struct RuntimeOptions: Sendable, Equatable {
    /// Seconds between periodic `STATS` events (0: only at exit).
    public var statsIntervalSeconds: Double = 60
    /// Log level on stderr: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// Opt-in file (under the state directory) where hidden and detector state survive restarts; empty: off.
    public var stateFile: String = ""
    /// Seconds between saves of the state file while running (it is always saved at exit); 0: only at exit.
    public var stateIntervalSeconds: Double = 60

    public init() {}
}
