import Foundation
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

/// `grustream eval --positives DIR --negatives DIR…`: a wake-word model on recordings, through the daemon's own
/// stream processor (features, GRU with carried state, the pipeline's detector), as Mycroft Precise evaluates.
///
/// - Positives: each clip is a fresh stream — the clip, then `silenceSeconds` of silence — fed in chunks of
///   `chunkSamples` samples; the clip is recalled when the word's label triggers at least once.
/// - Negatives: each clip likewise (false activations per clip), and all of them, in path order, concatenated
///   into one stream (false activations on long audio). Every trigger of the word's label counts as one false
///   activation; after a trigger the detector's own refractory period (`refractory_ms`, or Precise's trigger
///   level) applies. Hours are those of the negative audio itself (appended silence not counted).
/// - Threshold sweep: each stream's per-frame network outputs are kept, and a fresh detector with another
///   threshold (classify: the label's threshold; precise: 1 − sensitivity) is run over them — the detector's own
///   logic at every threshold from one pass through the network. At the pipeline's threshold the sweep repeats the
///   live run's counts exactly (tested).
public struct WakeWordEvaluation {
    public struct Options: Sendable {
        /// Samples per chunk fed to the processor (1024 = 2048 bytes of 16-bit audio, precise-runner's chunk).
        public var chunkSamples = 1024
        /// Silence appended to every clip (seconds).
        public var silenceSeconds = 1.0
        /// The operating point: the lowest swept threshold whose false activations per hour, per clip and on the
        /// concatenated stream, are both at most this.
        public var maximumFalseActivationsPerHour = 2.0
        /// Thresholds of the sweep (the pipeline's own is added).
        public var thresholds: [Float] = (1...99).map { Float($0) / 100 } + [0.995, 0.999]

        public init() {}
    }

    public let pipeline: ResolvedPipeline
    public let options: Options
    /// Index of the word's label in the detector's labels.
    public let label: Int
    public let labelName: String

    /// `labelName`: the word's label (nil: the model's only label that is not background).
    public init(pipeline: ResolvedPipeline, labelName: String?, options: Options = Options()) throws {
        self.pipeline = pipeline
        self.options = options
        let detector = try pipeline.makeDetector()
        let labels = detector.labels
        switch pipeline.detector.kind {
        case .anomaly:
            throw TrainingError(
                "a wake-word evaluation needs a classify or precise detector; the pipeline's is anomaly")
        case .precise:
            label = 0
        case .classify:
            if let labelName {
                guard let index = labels.firstIndex(where: { $0.lowercased() == labelName.lowercased() }) else {
                    throw TrainingError(
                        "--label \(labelName): no such label; labels are \(labels.joined(separator: ", "))")
                }
                label = index
            } else {
                let background = Set(pipeline.detector.classify.backgroundLabels.map { $0.lowercased() })
                let words = labels.indices.filter { !background.contains(labels[$0].lowercased()) }
                guard words.count == 1 else {
                    throw TrainingError(
                        "the model has \(words.count) labels that are not background (\(words.map { labels[$0] }.joined(separator: ", "))); choose the wake word with --label NAME"
                    )
                }
                label = words[0]
            }
        }
        self.labelName = labels[label]
    }

    /// The detector options with the word's threshold set to `threshold`.
    func detectorOptions(threshold: Float) -> DetectorOptions {
        var options = pipeline.detector
        switch options.kind {
        case .classify: options.classify.labelThresholds[labelName] = threshold
        case .precise: options.precise.sensitivity = 1 - Double(threshold)
        case .anomaly: break
        }
        return options
    }

    /// The word's threshold in the pipeline (precise: 1 − sensitivity).
    public var pipelineThreshold: Float {
        switch pipeline.detector.kind {
        case .classify: pipeline.detector.classify.labelThresholds[labelName] ?? pipeline.detector.classify.threshold
        case .precise: Float(1 - pipeline.detector.precise.sensitivity)
        case .anomaly: .nan
        }
    }

    /// How the streams were fed and what limits repeated triggers, for the JSON output.
    var protocolDescription: [String: Any] {
        var description: [String: Any] = [
            "chunk_samples": options.chunkSamples, "silence_after_clip_s": options.silenceSeconds,
            "sample_rate": pipeline.features.sampleRate,
        ]
        switch pipeline.detector.kind {
        case .classify:
            description["smooth_ms"] = pipeline.detector.classify.smoothMilliseconds
            description["refractory_ms"] = pipeline.detector.classify.refractoryMilliseconds
        case .precise:
            description["trigger_level"] = pipeline.detector.precise.triggerLevel
            description["chunk_bytes"] = pipeline.detector.precise.chunkBytes
        case .anomaly: break
        }
        return description
    }

    /// Every `.wav` file under `directory` (recursively), sorted by path.
    public static func audioFiles(in directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError("\(directory): no such folder")
        }
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw TrainingError("\(directory): cannot list")
        }
        let files = walker.compactMap { ($0 as? URL)?.path }.filter { $0.lowercased().hasSuffix(".wav") }.sorted()
        guard !files.isEmpty else { throw TrainingError("\(directory): no .wav files") }
        return files
    }

    /// A recording as the daemon would take it: any rate and channels, converted to the features' rate, mono.
    func readAudio(_ path: String) throws -> [Float] {
        let audio = try AudioFile.read(path: path, container: .wav)
        let target = AudioTarget(sampleRate: Int(pipeline.features.sampleRate), channels: 1)
        return try audio.converted(to: target, name: path).samples
    }

    public mutating func run(positives: [String], negatives: [String]) throws -> [String: Any] {
        let rate = pipeline.features.sampleRate
        let silence = [Float](repeating: 0, count: Int(options.silenceSeconds * rate))
        /// One clip as a fresh stream: the clip, then the silence; `also` sees the clip's samples.
        func clipStream(_ path: String, seconds: inout Double, also: ([Float]) -> Void = { _ in }) throws
            -> RecordedStream
        {
            let samples = try readAudio(path)
            seconds += Double(samples.count) / rate
            let recorder = try StreamRecorder(pipeline: pipeline, name: path, label: label)
            recorder.feed(samples, chunk: options.chunkSamples)
            recorder.feed(silence, chunk: options.chunkSamples)
            also(samples)
            return recorder.finish()
        }
        var positiveSeconds = 0.0
        let positiveStreams = try positives.map { try clipStream($0, seconds: &positiveSeconds) }
        var negativeSeconds = 0.0
        let concatenated = try StreamRecorder(pipeline: pipeline, name: "negatives", label: label)
        let negativeStreams = try negatives.map {
            try clipStream($0, seconds: &negativeSeconds) { concatenated.feed($0, chunk: options.chunkSamples) }
        }
        let stream = concatenated.finish()
        let hours = negativeSeconds / 3600

        // The live run at the pipeline's threshold.
        let recalled = positiveStreams.filter { $0.detections > 0 }
        let falseInClips = negativeStreams.reduce(0) { $0 + $1.detections }
        var result: [String: Any] = [
            "task": "wakeword", "label": labelName, "detector": pipeline.detector.kind.rawValue,
            "threshold": Double(pipelineThreshold),
            "positives": [
                "clips": positiveStreams.count, "seconds": positiveSeconds, "recalled": recalled.count,
                "recall": Double(recalled.count) / Double(max(1, positiveStreams.count)),
                "missed": positiveStreams.filter { $0.detections == 0 }.prefix(50).map(\.name),
            ] as [String: Any],
            "negatives": [
                "clips": negativeStreams.count, "hours": hours,
                "false_activations_per_clip": falseInClips,
                "false_activations_per_hour_per_clip": hours > 0 ? Double(falseInClips) / hours : 0,
                "false_activations_concatenated": stream.detections,
                "false_activations_per_hour_concatenated": hours > 0 ? Double(stream.detections) / hours : 0,
                "clips_with_false_activations": negativeStreams.filter { $0.detections > 0 }.prefix(50).map(\.name),
            ] as [String: Any],
            "protocol": protocolDescription,
        ]

        // The sweep, replayed from the recorded outputs.
        let sweepThresholds = Array(Set(options.thresholds + [pipelineThreshold])).sorted()
        var sweep: [SweepPoint] = []
        for threshold in sweepThresholds {
            let options = threshold == pipelineThreshold ? pipeline.detector : detectorOptions(threshold: threshold)
            var point = SweepPoint(threshold: threshold)
            for s in positiveStreams where try s.replay(pipeline: pipeline, options: options) > 0 {
                point.recalled += 1
            }
            for s in negativeStreams { point.falseInClips += try s.replay(pipeline: pipeline, options: options) }
            point.falseInStream = try stream.replay(pipeline: pipeline, options: options)
            point.recall = Double(point.recalled) / Double(max(1, positiveStreams.count))
            point.perHourInClips = hours > 0 ? Double(point.falseInClips) / hours : 0
            point.perHourInStream = hours > 0 ? Double(point.falseInStream) / hours : 0
            sweep.append(point)
        }
        result["sweep"] = sweep.map(\.json)
        let limit = self.options.maximumFalseActivationsPerHour
        let operating = sweep.first { $0.perHourInClips <= limit && $0.perHourInStream <= limit }
        var point: [String: Any] = ["max_false_activations_per_hour": limit]
        if let operating { point.merge(operating.json) { $1 } } else { point["threshold"] = NSNull() }
        result["operating_point"] = point
        self.sweep = sweep
        return result
    }

    /// The last run's sweep (for the plot).
    public private(set) var sweep: [SweepPoint] = []
}

/// Recall and false activations at one threshold.
public struct SweepPoint: Sendable {
    public var threshold: Float
    public var recalled = 0
    public var recall = 0.0
    public var falseInClips = 0
    public var falseInStream = 0
    public var perHourInClips = 0.0
    public var perHourInStream = 0.0

    init(threshold: Float) { self.threshold = threshold }

    var json: [String: Any] {
        [
            "threshold": Double(threshold), "recall": recall, "recalled": recalled,
            "false_activations_per_clip": falseInClips, "false_activations_concatenated": falseInStream,
            "false_activations_per_hour_per_clip": perHourInClips,
            "false_activations_per_hour_concatenated": perHourInStream,
        ]
    }
}
