/// Options of the `classify` detector (`[detector]` with `kind = "classify"`).
public struct ClassifyOptions: Sendable, Equatable {
    /// Smoothed posterior a label must reach to trigger (0…1).
    public var threshold: Float = 0.8
    /// Per-label thresholds overriding `threshold` (label → value).
    public var labelThresholds: [String: Float] = [:]
    /// Moving-average window of the posteriors (milliseconds of stream time); 0 = no smoothing.
    public var smoothMilliseconds: Double = 300
    /// After a label triggers, further triggers of that label are ignored for this long (milliseconds).
    public var refractoryMilliseconds: Double = 1000
    /// Labels that never trigger (silence, unknown, background). Matched case-insensitively.
    public var backgroundLabels: [String] = [
        "_silence_", "_unknown_", "silence", "unknown", "background", "_background_noise_",
    ]
    /// Whether `backgroundLabels` was set (then each must be a label); the default list names labels models may lack.
    public var backgroundLabelsGiven = false

    public init() {}
}

/// Keyword / sound-class spotting: moving-average smoothing of the posteriors over `smooth_ms`,
/// a trigger when a non-background label's smoothed posterior reaches its threshold, and a refractory
/// period per label so one utterance gives one `DETECTION`.
///
/// The average is always over the whole window, with the history before the stream's first frame taken as
/// zeros: at the start of a stream a label needs as much evidence (threshold × window frames of posterior) as
/// later, so a posterior that jumps on the first frames does not trigger after one or two of them.
///
/// Event timing: `end` is the end of the frame that triggered; `start` is the start of the first frame of
/// the run of frames in which that label's *raw* posterior stayed ≥ its threshold before the trigger
/// (or the start of the smoothing window, whichever is later — never before the stream started).
public final class ClassifyDetector: Detector {
    public let labels: [String]
    public let options: ClassifyOptions
    /// Frames in the smoothing window (≥ 1).
    public let smoothFrames: Int
    /// Frames in the refractory period.
    public let refractoryFrames: Int
    /// `[labels]` threshold per label; `.infinity` for background labels.
    private var thresholds: [Float]
    /// `[smoothFrames, labels]` ring of recent posteriors.
    private var history: [Float]
    /// `[labels]` running sums over the ring (Double: no drift over hours).
    private var sums: [Double]
    /// `[labels]` smoothed posteriors of the last frame.
    private var smoothed: [Float]
    /// `[labels]` first frame of the current run of raw posteriors ≥ threshold, or -1.
    private var runStart: [Int]
    private var runStartTime: [Double]
    /// `[labels]` frame index before which the label may not trigger again.
    private var quietUntil: [Int]
    private var framesSeen = 0
    /// Stream time of the first sample of the frames in the window (for `start`).
    private var windowStartTimes: [Double]

    /// `frameSeconds`: hop between frames in seconds (converts the millisecond options to frames).
    public init(labels: [String], options: ClassifyOptions, hopSeconds: Double) throws {
        guard !labels.isEmpty else {
            throw PipelineConfigError("detector: the classify detector needs labels (none in the model or pipeline)")
        }
        for key in options.labelThresholds.keys where !labels.contains(key) {
            throw PipelineConfigError(
                "detector.thresholds.\(key): no such label; labels are \(labels.joined(separator: ", "))")
        }
        if options.backgroundLabelsGiven {
            let known = Set(labels.map { $0.lowercased() })
            for label in options.backgroundLabels where !known.contains(label.lowercased()) {
                throw PipelineConfigError(
                    "detector.background_labels: \"\(label)\" is no label; labels are \(labels.joined(separator: ", "))"
                )
            }
        }
        let smoothCount = (options.smoothMilliseconds / 1000 / hopSeconds).rounded()
        let refractoryCount = (options.refractoryMilliseconds / 1000 / hopSeconds).rounded()
        let maximumSmoothFrames = Double(ConfigLimits.maximumSmoothingValues / labels.count)
        guard smoothCount <= maximumSmoothFrames, refractoryCount < 0x1p53 else {
            throw PipelineConfigError(
                "detector.smooth_ms = \(options.smoothMilliseconds) is \(Int(exactly: smoothCount).map(String.init) ?? "\(smoothCount)") frames of \(labels.count) labels at a \(hopSeconds * 1000) ms hop; expected at most \(Int(maximumSmoothFrames)) frames"
            )
        }
        self.labels = labels
        self.options = options
        self.smoothFrames = max(1, Int(smoothCount))
        self.refractoryFrames = max(0, Int(refractoryCount))
        let background = Set(options.backgroundLabels.map { $0.lowercased() })
        self.thresholds = labels.map {
            background.contains($0.lowercased()) ? .infinity : options.labelThresholds[$0] ?? options.threshold
        }
        history = [Float](repeating: 0, count: smoothFrames * labels.count)
        sums = [Double](repeating: 0, count: labels.count)
        smoothed = [Float](repeating: 0, count: labels.count)
        runStart = [Int](repeating: -1, count: labels.count)
        runStartTime = [Double](repeating: 0, count: labels.count)
        quietUntil = [Int](repeating: 0, count: labels.count)
        windowStartTimes = [Double](repeating: 0, count: smoothFrames)
    }

    public func withScores<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { smoothed.withUnsafeBufferPointer(body) }

    /// A posterior threshold in [0, 1] for `label`, or for every label that is not a background label.
    public func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError) {
        guard value >= 0 && value <= 1 else {
            throw PipelineConfigError("threshold \(value) is out of range; expected ≥ 0 and ≤ 1 (a posterior)")
        }
        if let label {
            guard let k = labels.firstIndex(of: label) else {
                throw PipelineConfigError("no label \"\(label)\"; labels are \(labels.joined(separator: ", "))")
            }
            guard thresholds[k].isFinite else {
                throw PipelineConfigError("\"\(label)\" is a background label: it never triggers")
            }
            thresholds[k] = Float(value)
        } else {
            for k in thresholds.indices where thresholds[k].isFinite { thresholds[k] = Float(value) }
        }
    }

    /// The threshold in force for each label (`.infinity`: a background label).
    public var currentThresholds: [Float] { thresholds }

    public func process(_ frame: DetectorFrame, emit: (DetectorEvent) -> Void) {
        let n = labels.count
        precondition(frame.output.count == n, "classify detector: \(frame.output.count) outputs for \(n) labels")
        let slot = framesSeen % smoothFrames
        windowStartTimes[slot] = frame.start
        let oldestTime = windowStartTimes[framesSeen < smoothFrames ? 0 : (framesSeen + 1) % smoothFrames]
        for k in 0..<n {
            let p = frame.output[k]
            sums[k] += Double(p) - Double(history[slot * n + k])
            history[slot * n + k] = p
            smoothed[k] = Float(sums[k] / Double(smoothFrames))
            if p >= thresholds[k] {
                if runStart[k] < 0 { runStart[k] = frame.index; runStartTime[k] = frame.start }
            } else {
                runStart[k] = -1
            }
            guard smoothed[k] >= thresholds[k], frame.index >= quietUntil[k] else { continue }
            quietUntil[k] = frame.index + max(refractoryFrames, 1)
            let start = runStart[k] >= 0 ? max(runStartTime[k], oldestTime) : oldestTime
            emit(
                DetectorEvent(
                    kind: .detection, label: k, score: smoothed[k], threshold: thresholds[k], start: start,
                    end: frame.end))
        }
        framesSeen += 1
    }

    public func finish(endSample: Int, emit: (DetectorEvent) -> Void) {}

    public func reset() {
        for i in history.indices { history[i] = 0 }
        for k in labels.indices { sums[k] = 0; smoothed[k] = 0; runStart[k] = -1; quietUntil[k] = 0 }
        framesSeen = 0
    }
}

extension ClassifyDetector: SnapshottableDetector {
    public func snapshot(nextFrame: Int, nextTime: Double) -> DetectorSnapshot {
        DetectorSnapshot(
            kind: "classify",
            values: [
                "smooth_frames": [Double(smoothFrames)],
                "frames_seen": [Double(framesSeen)],
                "history": history.map(Double.init),
                "sums": sums,
                "smoothed": smoothed.map(Double.init),
                // -1 (no run) is kept as +1, which no real run start (always before the next frame) can be.
                "run_start": runStart.map { $0 < 0 ? 1 : Double($0 - nextFrame) },
                "run_start_time": runStartTime.map { $0 - nextTime },
                "quiet_until": quietUntil.map { Double($0 - nextFrame) },
                "window_start_times": windowStartTimes.map { $0 - nextTime },
            ])
    }

    public func restore(_ snapshot: DetectorSnapshot, nextFrame: Int, nextTime: Double) throws {
        guard snapshot.kind == "classify" else {
            throw StateFileError("the saved detector state is \(snapshot.kind), the detector is classify")
        }
        let n = labels.count
        let savedWindow = try snapshot.scalar("smooth_frames")
        guard savedWindow == Double(smoothFrames) else {
            throw StateFileError(
                "the saved smoothing window is \(Int(savedWindow)) frames, the detector's is \(smoothFrames)")
        }
        let seen = try snapshot.scalar("frames_seen")
        guard seen >= 0 else { throw StateFileError("detector state \"frames_seen\" is \(seen)") }
        let history = try snapshot.array("history", count: smoothFrames * n)
        let sums = try snapshot.array("sums", count: n)
        let smoothed = try snapshot.array("smoothed", count: n)
        let runStart = try snapshot.array("run_start", count: n)
        let runStartTime = try snapshot.array("run_start_time", count: n)
        let quietUntil = try snapshot.array("quiet_until", count: n)
        let windowStartTimes = try snapshot.array("window_start_times", count: smoothFrames)
        self.framesSeen = Int(seen)
        self.history = history.map { Float($0) }
        self.sums = sums
        self.smoothed = smoothed.map { Float($0) }
        self.runStart = runStart.map { $0 > 0 ? -1 : max(0, nextFrame + Int($0)) }
        self.runStartTime = runStartTime.map { max(0, nextTime + $0) }
        self.quietUntil = quietUntil.map { max(0, nextFrame + Int($0)) }
        self.windowStartTimes = windowStartTimes.map { max(0, nextTime + $0) }
    }
}
