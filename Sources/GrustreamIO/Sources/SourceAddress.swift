/// Where input comes from, as `--source` spells it: `alsa:DEVICE`, `-` (stdin), `unix:PATH`, or a file path.
public enum SourceAddress: Sendable, Equatable, CustomStringConvertible {
    case alsa(device: String)
    case standardInput
    case unixSocket(path: String)
    case file(path: String)

    /// Parse `--source`. `alsa:` alone means the `default` device. Throws for an empty value.
    public init(parsing text: String) throws {
        if text == "-" || text == "stdin" {
            self = .standardInput
        } else if text.hasPrefix("alsa:") {
            let device = String(text.dropFirst(5))
            self = .alsa(device: device.isEmpty ? "default" : device)
        } else if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else {
                throw CaptureError("--source unix: needs a path, e.g. unix:/run/grustream/sensors.sock")
            }
            self = .unixSocket(path: path)
        } else if text.isEmpty {
            throw CaptureError("--source is empty; expected alsa:DEVICE, - (stdin), unix:PATH or a file path")
        } else {
            self = .file(path: text)
        }
    }

    public var description: String {
        switch self {
        case .alsa(let device): "alsa:\(device)"
        case .standardInput: "-"
        case .unixSocket(let path): "unix:\(path)"
        case .file(let path): path
        }
    }
}

/// The options every source kind understands, for building a source from a pipeline's `[source]` table.
public struct SourceSettings: Sendable, Equatable {
    /// Byte format for stdin, files and sockets (ALSA uses `alsaEncoding`).
    public var format: InputFormat = .wav
    /// Frames per second (Hz): the capture rate (ALSA), the rate of raw/CSV/JSONL input.
    public var sampleRate: Int = 16000
    public var channels: Int = 1
    /// ALSA sample format.
    public var alsaEncoding: SampleEncoding = .s16le
    /// Pace file/stdin input at `sampleRate`.
    public var realtime: Bool = false
    public var badFramePolicy: BadFramePolicy = .skip
    /// Reopen a vanished ALSA device with backoff (nil: fail).
    public var alsaRetry: AlsaSource.RetryPolicy? = nil
    /// Ring per stream in frames (nil: `SourceHub.defaultRingSeconds`).
    public var ringCapacityFrames: Int? = nil

    public init() {}
}

extension SourceAddress {
    /// The source for this address with `settings` (not opened yet).
    public func makeSource(_ settings: SourceSettings) throws -> any FrameSource {
        switch self {
        case .alsa(let device):
            var options = AlsaSource.Options(
                device: device, sampleRate: settings.sampleRate, channels: settings.channels,
                encoding: settings.alsaEncoding)
            options.retry = settings.alsaRetry
            options.ringCapacityFrames = settings.ringCapacityFrames
            return try AlsaSource(options: options)
        case .standardInput, .file:
            var options = StreamSource.Options(
                format: settings.format, sampleRate: settings.sampleRate, channels: settings.channels,
                realtime: settings.realtime, badFramePolicy: settings.badFramePolicy,
                ringCapacityFrames: settings.ringCapacityFrames)
            if case .file(let path) = self { return try StreamSource(path: path, options: options) }
            options.streamName = "stdin"
            return try StreamSource.standardInput(options: options)
        case .unixSocket(let path):
            var options = UnixSocketSource.Options(
                format: settings.format, sampleRate: settings.sampleRate, channels: settings.channels,
                badFramePolicy: settings.badFramePolicy, ringCapacityFrames: settings.ringCapacityFrames)
            return try UnixSocketSource(path: path, options: options)
        }
    }
}
