import GrustreamDSP
import GrustreamNeural

/// The documented range of every numeric pipeline key outside `[features]` (those are in
/// `FeatureOptions.Limits`), chosen so one stream stays within a few hundred megabytes and the process starts in
/// seconds. The field tables check them as a file is decoded; `PipelineConfig.checkLimits()` checks them again
/// after command-line overrides. README "Configuration limits" lists them with their reasons.
public enum ConfigLimits {
    public static let rateHertz = NumberRange.within(1, FeatureOptions.Limits.maximumSampleRateHertz)
    public static let channels = NumberRange.within(1, 64)
    public static let alsaPeriodMilliseconds = NumberRange.positive(upTo: 1000)
    public static let alsaBufferMilliseconds = NumberRange.positive(upTo: 10_000)
    public static let bufferSeconds = NumberRange.positive(upTo: 600)
    /// `buffer_seconds` × rate × channels: 2^25 samples (128 MiB of f32) per stream.
    public static let maximumRingSamples = 1 << 25
    /// `duration_s`: a year.
    public static let durationSeconds = NumberRange.within(0, 365 * 86_400)
    /// `stats_interval_s`, `state_interval_s`: a day.
    public static let intervalSeconds = NumberRange.within(0, 86_400)
    /// `client_queue_bytes`: 4 KiB to 256 MiB per subscriber.
    public static let clientQueueBytes = NumberRange.within(4096, Double(1 << 28))
    /// Clip capture: pre-/post-roll up to a minute; retention up to a million clips and 1 TB.
    public static let clipRollMs = NumberRange.within(0, 60_000)
    public static let maxClips = NumberRange.within(1, 1_000_000)
    public static let maxClipBytes = NumberRange.within(1, 1e12)
    /// `smooth_ms` of both detectors: a minute.
    public static let smoothMilliseconds = NumberRange.within(0, 60_000)
    /// `refractory_ms`, `min_span_ms`: an hour.
    public static let spanMilliseconds = NumberRange.within(0, 3_600_000)
    /// `warmup_ms`: an hour.
    public static let warmupMilliseconds = NumberRange.positive(upTo: 3_600_000)
    /// Classify smoothing ring: frames × labels, 2^24 values (64 MiB).
    public static let maximumSmoothingValues = 1 << 24
    /// `chunk_bytes` of the precise detector: 2 B to 1 MiB.
    public static let chunkBytes = NumberRange.within(2, Double(1 << 20))
    public static let triggerLevel = NumberRange.within(0, 10_000)
    /// `window:N`, frames re-run at every frame.
    public static let maximumWindowFrames = InferenceMode.maximumWindowFrames
    /// `online_learning_rate`: above 0, at most 1.
    public static let onlineLearningRate = NumberRange.positive(upTo: 1)
    /// `online_window_frames`: 2 to 4096 frames trained per step (the BPTT graph keeps every intermediate).
    public static let onlineWindowFrames = NumberRange.within(2, 4096)
    /// `online_every_frames`: 1 frame to 10^7 frames between steps.
    public static let onlineEveryFrames = NumberRange.within(1, 10_000_000)
    /// What one stream's online learning may add to the state file (weights, Adam's two moments, the window of
    /// frames and the hidden states the next windows start from): the state file's 256 MiB over its 1000 streams.
    /// Models of one pipeline (`[[models]]`) and members of one ensemble (`model.ensemble`).
    public static let maximumModels = 32
    public static let maximumEnsembleMembers = 16
    public static let maximumOnlineStateBytes = StateFile.maximumFileBytes / StateKeeper.maximumSavedStreams
}

extension PipelineConfig {
    /// The ranges of `[source]`, `[[sink]]` and `[runtime]` on the values in force (after command-line overrides),
    /// and the sizes derived from them.
    public func checkLimits() throws {
        let file = self.file?.path ?? name
        func within(_ range: NumberRange, _ value: Double, _ key: String) throws {
            try range.check(value, path: key)
        }
        do {
            try ConfigLimits.rateHertz.check(source.rate, path: "source.rate")
            try ConfigLimits.channels.check(source.channels, path: "source.channels")
            try within(ConfigLimits.alsaPeriodMilliseconds, source.periodMilliseconds, "source.period_ms")
            try within(ConfigLimits.alsaBufferMilliseconds, source.bufferMilliseconds, "source.buffer_ms")
            try within(ConfigLimits.bufferSeconds, source.bufferSeconds, "source.buffer_seconds")
            try within(ConfigLimits.durationSeconds, source.durationSeconds, "source.duration_s")
            let ringFrames = (source.bufferSeconds * Double(source.rate)).rounded()
            let ringSamples = ringFrames * Double(source.channels)
            guard ringFrames >= 1, ringSamples <= Double(ConfigLimits.maximumRingSamples) else {
                throw PipelineConfigError(
                    "source.buffer_seconds = \(source.bufferSeconds) holds \(Int(ringFrames)) frames of \(source.channels) channel(s) at \(source.rate) Hz; expected 1 frame to \(ConfigLimits.maximumRingSamples) samples"
                )
            }
            for (index, sink) in sinks.enumerated() {
                try ConfigLimits.clientQueueBytes.check(
                    sink.clientQueueBytes, path: "sink[\(index)].client_queue_bytes")
            }
            try within(ConfigLimits.intervalSeconds, runtime.statsIntervalSeconds, "runtime.stats_interval_s")
            try within(ConfigLimits.intervalSeconds, runtime.stateIntervalSeconds, "runtime.state_interval_s")
        } catch let error as PipelineConfigError {
            throw PipelineConfigError("\(file): \(error)")
        }
    }
}
