import GrustreamIO
import GrustreamDSP

/// `[source]` options → the `FrameSource` that reads them.
public enum SourceFactory {
    /// The source of a resolved pipeline: its decoders refuse samples beyond the features' `sampleLimit`. Audio
    /// features (`mfcc`, `fbank`, `spectrum`) take audio — WAV, raw PCM, ALSA capture — at any rate and channel
    /// count, resampled and mixed down to the features' (`audioTarget`); sensor features (`bands`, `raw`) refuse
    /// a WAV header that does not give their channels and rate (before anything is sized from it).
    public static func make(_ resolved: ResolvedPipeline) throws -> FrameSource {
        let features = resolved.features
        let limits = InputLimits(
            sampleLimit: features.sampleLimit, wavChannels: features.channels, wavSampleRate: Int(features.sampleRate),
            convert: audioTarget(features))
        return try make(resolved.config, limits: limits)
    }

    /// The rate and channels audio input is converted to for these features; nil for sensor features.
    public static func audioTarget(_ features: FeatureOptions) -> AudioTarget? {
        guard features.kind != .bands && features.kind != .raw else { return nil }
        return AudioTarget(sampleRate: Int(features.sampleRate), channels: features.channels)
    }

    /// The byte format `[source]` describes (`run`, `train` and `eval` decode through it alike).
    public static func inputFormat(_ s: SourceOptions) -> InputFormat {
        switch s.format {
        case .s16le: .raw(.s16le)
        case .s32le: .raw(.s32le)
        case .f32le: .raw(.f32le)
        case .wav: .wav
        case .csv: .csv(CSVOptions(channels: s.channels, timestampColumn: s.timestampColumn, header: s.header))
        case .jsonl: .jsonLines
        }
    }

    public static func badFramePolicy(_ s: SourceOptions) -> BadFramePolicy { s.badFrames == .hold ? .hold : .skip }

    /// The ring: `buffer_seconds` × rate frames, at least `SourceHub.minimumRingFrames` (at a row per hour, seconds
    /// × rate is a frame or two, and file input would crawl), at most what an `Int` holds.
    public static func ringFrames(_ s: SourceOptions) -> Int {
        let frames = (s.bufferSeconds * Double(s.rate)).rounded()
        guard frames.isFinite, frames < Double(Int.max / 64) else { return Int.max / 64 }
        return max(SourceHub.minimumRingFrames, Int(frames))
    }

    /// The source of a pipeline whose limits hold (checked again here: the sizes below are derived from them).
    public static func make(_ config: PipelineConfig, limits: InputLimits = InputLimits()) throws -> FrameSource {
        try config.checkLimits()
        let s = config.source
        let file = config.file?.path ?? config.name
        let ring = ringFrames(s)
        let streamName = s.stream.isEmpty ? config.name : s.stream
        func inputFormat() -> InputFormat { Self.inputFormat(s) }
        let policy = badFramePolicy(s)
        switch s.kind {
        case .alsa:
            let encoding: SampleEncoding
            switch s.format {
            case .s16le: encoding = .s16le
            case .s32le: encoding = .s32le
            case .f32le: encoding = .f32le
            default:
                throw PipelineConfigError(
                    "\(file): source.format = \"\(s.format.rawValue)\" cannot be captured from ALSA; expected s16le, s32le or f32le"
                )
            }
            var options = AlsaSource.Options(
                device: s.device, sampleRate: s.rate, channels: s.channels, encoding: encoding)
            options.periodFrames = AlsaSource.Options.frames(s.periodMilliseconds, s.rate)
            options.bufferFrames = max(
                options.periodFrames! * 2, AlsaSource.Options.frames(s.bufferMilliseconds, s.rate))
            options.retry = s.retry ? AlsaSource.RetryPolicy() : nil
            options.ringCapacityFrames = ring
            options.streamName = streamName
            options.convert = limits.convert
            if s.durationSeconds > 0 { options.frameLimit = Int((s.durationSeconds * Double(s.rate)).rounded()) }
            return try AlsaSource(options: options)
        case .stdin, .file:
            var options = FileSource.Options(
                format: inputFormat(), sampleRate: s.rate, channels: s.channels, realtime: s.realtime,
                badFramePolicy: policy,
                ringCapacityFrames: ring)
            options.streamName = streamName
            options.limits = limits
            if s.kind == .stdin { return try FileSource.standardInput(options: options) }
            guard !s.path.isEmpty else { throw PipelineConfigError("\(file): source.path: a file source needs a path") }
            return try FileSource(path: config.resolve(s.path).path, options: options)
        case .unix:
            var options = UnixSocketSource.Options(
                format: inputFormat(), sampleRate: s.rate, channels: s.channels, badFramePolicy: policy,
                ringCapacityFrames: ring)
            options.limits = limits
            let location = SocketLocation.current()
            let path = config.sourceSocketPath(location: location)
            let socket = try PipelineValidation.socketSettings(
                config, key: "source", path: path, mode: s.mode, group: s.group)
            options.mode = UInt32(socket.mode)
            options.group = socket.group.map { UInt32($0) }
            if s.path.isEmpty { try location.prepare() }
            return try UnixSocketSource(path: path, options: options)
        }
    }
}
