import Foundation
import GrustreamIO
import Logging

/// `[[sink]] kind = "clips"`: writes the audio around each detection as a WAV file with a JSON sidecar, for
/// collecting data in the field. The stream's samples (mixed to mono) go into a ring allocated once, long enough
/// for the pre-roll, the longest detection span and the post-roll; a detection schedules a clip from
/// `start − pre_roll` to `end + post_roll`, cut from the ring once the post-roll has arrived (or at the end of the
/// stream, with what there is). Files are written on a background queue, at most `maxQueuedClips` waiting (more
/// are dropped and counted): the processing thread only copies the clip's samples. Retention: after each write the
/// oldest clips (by file name, which starts with the UTC time) are removed until at most `maxClips` files and
/// `maxBytes` bytes remain in the folder.
///
/// Near misses (`near_miss` > 0): a span of frames whose detector score stays at or above `nearMiss`, with no
/// detection of its label in it or within the post-roll after it, is kept the same way in `LABEL-near-miss/`.
///
/// Layout: `FOLDER/LABEL/YYYYMMDD-HHMMSS.mmm-STREAM-N.wav` (+ `.json`), the label folders
/// `grustream train --data` / `eval --data` read.
public final class ClipRecorder: @unchecked Sendable {
    public struct Options: Sendable {
        public var folder: String
        public var preRollSeconds: Double
        public var postRollSeconds: Double
        public var maxClips: Int
        public var maxBytes: Int
        public var model: String
        /// A frame score at or above this opens a near miss (0: off); the labels it applies to and where each one's
        /// score is in the detector's `withScores` values.
        public var nearMiss: Double = 0
        public var nearMissLabels: [(label: String, score: Int)] = []
        public init(
            folder: String, preRollSeconds: Double, postRollSeconds: Double, maxClips: Int, maxBytes: Int,
            model: String
        ) {
            self.folder = folder
            self.preRollSeconds = preRollSeconds
            self.postRollSeconds = postRollSeconds
            self.maxClips = maxClips
            self.maxBytes = maxBytes
            self.model = model
        }
    }

    /// Longest detection span (start to end) a clip covers in full, seconds.
    static let longestSpanSeconds = 10.0
    static let maxQueuedClips = 8
    static let maxPending = 16

    let options: Options
    let stream: String
    let sampleRate: Double
    let channels: Int
    private let ring: UnsafeMutableBufferPointer<Float>
    /// Stream samples (per channel) stored so far: the next sample's index.
    private var stored = 0
    private struct Pending {
        var label: String, score: Double, start: Double, end: Double, t: Double
        var from: Int, to: Int
        var nearMiss: Bool
        /// The model file of the detection (pipelines of several models); nil: `options.model`.
        var model: String? = nil
    }
    private var pending: [Pending] = []
    private var sequence = 0
    private let queue = DispatchQueue(label: "grustream.clips")
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var queued = 0
    private var index: [(path: String, bytes: Int)] = []
    private var indexed = false
    public private(set) var droppedClips = 0
    private let logger: Logger
    /// Per near-miss label: the open span's start (NaN: none), end and peak score, and whether a detection of the
    /// label fell in it.
    private var nearStart: [Double]
    private var nearEnd: [Double]
    private var nearPeak: [Double]
    private var nearDetected: [Bool]

    public init(options: Options, stream: String, sampleRate: Double, channels: Int, logger: Logger) {
        self.options = options
        self.stream = stream
        self.sampleRate = sampleRate
        self.channels = max(1, channels)
        self.logger = logger
        let seconds = options.preRollSeconds + options.postRollSeconds + Self.longestSpanSeconds
        let capacity = max(1, Int((seconds * sampleRate).rounded(.up)))
        ring = .allocate(capacity: capacity)
        ring.initialize(repeating: 0)
        pending.reserveCapacity(Self.maxPending)
        let n = options.nearMiss > 0 ? options.nearMissLabels.count : 0
        nearStart = [Double](repeating: .nan, count: n)
        nearEnd = [Double](repeating: 0, count: n)
        nearPeak = [Double](repeating: 0, count: n)
        nearDetected = [Bool](repeating: false, count: n)
    }

    /// Whether `observe` needs the frame scores.
    var watchesScores: Bool { !nearStart.isEmpty }

    /// One frame's detector scores (`Detector.withScores`), for near misses: a span of frames at or above
    /// `nearMiss` in which no detection of that label came is written as a near miss when it closes. No allocation.
    func observe(_ scores: UnsafeBufferPointer<Float>, start: Double, end: Double) {
        for (k, entry) in options.nearMissLabels.enumerated() where entry.score < scores.count {
            let score = Double(scores[entry.score])
            if score >= options.nearMiss {
                if nearStart[k].isNaN {
                    nearStart[k] = start
                    nearPeak[k] = score
                    nearDetected[k] = false
                }
                nearEnd[k] = end
                nearPeak[k] = max(nearPeak[k], score)
            } else if !nearStart[k].isNaN {
                closeNearMiss(k, t: end)
            }
        }
    }

    private func closeNearMiss(_ k: Int, t: Double) {
        if !nearDetected[k] {
            schedule(
                label: options.nearMissLabels[k].label, score: nearPeak[k], start: nearStart[k], end: nearEnd[k], t: t,
                nearMiss: true)
        }
        nearStart[k] = .nan
    }

    deinit {
        group.wait()
        ring.deallocate()
    }

    /// Interleaved samples; `first`: the stream index (per channel) of the first one. No allocation.
    func append(_ samples: UnsafeBufferPointer<Float>, first: Int) {
        let count = samples.count / channels
        let capacity = ring.count
        let scale = 1 / Float(channels)
        for i in 0..<count {
            var v: Float = 0
            for c in 0..<channels { v += samples[i * channels + c] }
            ring[(first + i) % capacity] = channels == 1 ? v : v * scale
        }
        stored = max(stored, first + count)
        if !pending.isEmpty { cutReady(final: false) }
    }

    /// A detection at stream time `t` covering `start`…`end` seconds; `model`: the model file that made it, when the
    /// pipeline has several (its sidecar's `model`).
    func detected(label: String, score: Double, start: Double, end: Double, t: Double, model: String? = nil) {
        for (k, entry) in options.nearMissLabels.enumerated() where k < nearDetected.count && entry.label == label {
            nearDetected[k] = true
        }
        // a near miss of this label that the detection follows within the post-roll was its rising edge
        pending.removeAll { $0.nearMiss && $0.label == label && start <= $0.end + options.postRollSeconds }
        schedule(label: label, score: score, start: start, end: end, t: t, nearMiss: false, model: model)
    }

    private func schedule(
        label: String, score: Double, start: Double, end: Double, t: Double, nearMiss: Bool, model: String? = nil
    ) {
        guard pending.count < Self.maxPending else {
            droppedClips += 1
            return
        }
        let from = max(0, Int(((start - options.preRollSeconds) * sampleRate).rounded()))
        let to = max(from, Int(((end + options.postRollSeconds) * sampleRate).rounded()))
        pending.append(
            Pending(
                label: label, score: score, start: start, end: end, t: t, from: from, to: to, nearMiss: nearMiss,
                model: model))
        cutReady(final: false)
    }

    /// End of the stream: the clips still waiting for their post-roll are cut with what there is; returns after
    /// every clip has been written.
    func finish() {
        for k in nearStart.indices where !nearStart[k].isNaN { closeNearMiss(k, t: nearEnd[k]) }
        cutReady(final: true)
        group.wait()
    }

    private func cutReady(final: Bool) {
        var i = 0
        while i < pending.count {
            let clip = pending[i]
            if clip.to <= stored || final {
                pending.remove(at: i)
                cut(clip)
            } else {
                i += 1
            }
        }
    }

    private func cut(_ clip: Pending) {
        let oldest = max(0, stored - ring.count)
        let from = max(clip.from, oldest)
        let to = min(clip.to, stored)
        guard to > from else { return }
        lock.lock()
        let full = queued >= Self.maxQueuedClips
        if !full { queued += 1 }
        lock.unlock()
        if full {
            droppedClips += 1
            logger.warning("clip writer is behind: a \(clip.label) clip was dropped (\(droppedClips) so far)")
            return
        }
        var pcm = [Float](repeating: 0, count: to - from)
        for k in from..<to { pcm[k - from] = max(-1, min(1, ring[k % ring.count])) }
        sequence += 1
        let meta = ClipMetadata(
            kind: clip.nearMiss ? "near-miss" : "detection", label: clip.label, score: clip.score,
            model: clip.model ?? options.model,
            stream: stream, t: clip.t,
            start: clip.start, end: clip.end, clipStart: Double(from) / sampleRate, clipEnd: Double(to) / sampleRate,
            sampleRate: Int(sampleRate), preRollMs: Int((options.preRollSeconds * 1000).rounded()),
            postRollMs: Int((options.postRollSeconds * 1000).rounded()), wallTime: Date().timeIntervalSince1970)
        let name = "\(Self.timeStamp(meta.wallTime))-\(Self.safe(stream))-\(sequence)"
        let samples = pcm
        group.enter()
        queue.async { [self] in
            defer {
                lock.lock()
                queued -= 1
                lock.unlock()
                group.leave()
            }
            do {
                try write(samples, meta: meta, name: name)
            } catch {
                logger.error("clip \(name): \(error)")
            }
        }
    }

    /// On the writer queue.
    private func write(_ pcm: [Float], meta: ClipMetadata, name: String) throws {
        let folder = URL(fileURLWithPath: options.folder)
            .appendingPathComponent(Self.safe(meta.kind == "near-miss" ? meta.label + "-near-miss" : meta.label))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if !indexed { scanIndex() }
        let wav = folder.appendingPathComponent(name + ".wav")
        let json = folder.appendingPathComponent(name + ".json")
        let wavBytes = WAVEncoder.encode(
            pcm, format: PCMFormat(sampleRate: meta.sampleRate, channels: 1, encoding: .s16le))
        let jsonBytes = meta.json
        try wavBytes.write(to: wav, options: .atomic)
        try jsonBytes.write(to: json, options: .atomic)
        index.append((wav.path, wavBytes.count + jsonBytes.count))
        enforceRetention()
    }

    /// The clips already in the folder (from earlier runs), oldest first.
    private func scanIndex() {
        indexed = true
        let root = URL(fileURLWithPath: options.folder)
        guard let labels = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        for label in labels {
            let dir = root.appendingPathComponent(label)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for file in files where file.hasSuffix(".wav") {
                let wav = dir.appendingPathComponent(file).path
                let json = String(wav.dropLast(4)) + ".json"
                let size = { (p: String) in
                    ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? Int) ?? 0
                }
                index.append((wav, size(wav) + size(json)))
            }
        }
        index.sort { URL(fileURLWithPath: $0.path).lastPathComponent < URL(fileURLWithPath: $1.path).lastPathComponent }
    }

    private func enforceRetention() {
        var bytes = index.reduce(0) { $0 + $1.bytes }
        var removed = 0
        while !index.isEmpty && (index.count > options.maxClips || bytes > options.maxBytes) {
            let oldest = index.removeFirst()
            bytes -= oldest.bytes
            try? FileManager.default.removeItem(atPath: oldest.path)
            try? FileManager.default.removeItem(atPath: String(oldest.path.dropLast(4)) + ".json")
            removed += 1
        }
        if removed > 0 { logger.debug("clips: removed the \(removed) oldest (retention)") }
    }

    static func safe(_ s: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        let cleaned = String(s.map { allowed.contains($0) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned
    }

    static func timeStamp(_ t: Double) -> String {
        var seconds = time_t(t)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let ms = Int((t - Double(seconds)) * 1000) % 1000
        return String(
            format: "%04d%02d%02d-%02d%02d%02d.%03d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms)
    }
}

/// What a clip's JSON sidecar holds.
struct ClipMetadata: Sendable {
    var kind: String
    var label: String
    var score: Double
    var model: String
    var stream: String
    var t: Double
    var start: Double
    var end: Double
    var clipStart: Double
    var clipEnd: Double
    var sampleRate: Int
    var preRollMs: Int
    var postRollMs: Int
    var wallTime: Double

    /// The sidecar: one JSON object and a newline.
    var json: Data {
        let value = JSONValue.object([
            ("kind", .string(kind)), ("label", .string(label)), ("score", .number(score)), ("model", .string(model)),
            ("stream", .string(stream)), ("t", .number(t)), ("start", .number(start)), ("end", .number(end)),
            ("clip_start", .number(clipStart)), ("clip_end", .number(clipEnd)),
            ("sample_rate", .number(Double(sampleRate))), ("pre_roll_ms", .number(Double(preRollMs))),
            ("post_roll_ms", .number(Double(postRollMs))), ("wall_time", .number(wallTime)),
        ])
        var bytes: [UInt8] = []
        value.append(into: &bytes)
        bytes.append(0x0A)
        return Data(bytes)
    }
}
