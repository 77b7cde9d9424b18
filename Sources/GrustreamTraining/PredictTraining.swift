import Foundation
import GrustreamNeural
import GrustreamPipeline

/// `grustream train --task predict`: recordings of normal operation → a next-frame predictor whose error
/// scores anomalies. Truncated BPTT: the training frames are cut into `batch` contiguous lanes walked in windows
/// of `window` frames, the hidden state carried from window to window (no gradient across windows). The end of
/// each recording (`validation_percent`) is held out: validation loss, then the calibration of the detector.
public enum PredictTraining {
    /// Features of each recording, [frames, dimension], not normalised.
    public static func loadRecordings(_ paths: [String], features: TrainingFeatures) throws -> [[Float]] {
        try expand(paths).map { path in
            let values = try features.extractForTraining(try features.readSamples(path))
            guard values.count / features.dimension > 4 else { throw TrainingError("\(path): too short for training") }
            return values
        }
    }

    /// Files given directly, and the files of folders (sorted).
    static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw TrainingError("\(path): no such file or folder")
            }
            if isDirectory.boolValue {
                out += try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter { !$0.hasPrefix(".") }
                    .map { path + "/" + $0 }
            } else {
                out.append(path)
            }
        }
        guard !out.isEmpty else { throw TrainingError("no recordings given (--data FILE_OR_FOLDER)") }
        return out
    }

    public static func run(
        dataPaths: [String], features: TrainingFeatures, options: TrainingOptions, output: URL, log: (String) -> Void
    ) throws -> [String: Any] {
        let d = features.dimension
        let recordings = try loadRecordings(dataPaths, features: features)
        var trainParts: [[Float]] = []
        var validationParts: [[Float]] = []
        for r in recordings {
            let frames = r.count / d
            let held = max(frames * options.validationPercent / 100, options.validationPercent > 0 ? 2 : 0)
            trainParts.append(Array(r[0..<((frames - held) * d)]))
            if held > 0 { validationParts.append(Array(r[((frames - held) * d)...])) }
        }
        guard !validationParts.isEmpty else {
            throw TrainingError("predict needs held-out normal data: --validation-percent > 0")
        }
        let statistics = FeatureStatistics(trainParts, dimension: d)
        for i in trainParts.indices { statistics.apply(&trainParts[i]) }
        for i in validationParts.indices { statistics.apply(&validationParts[i]) }
        let sequence = trainParts.flatMap { $0 }
        let totalFrames = sequence.count / d
        let window = options.window
        let batch = max(1, min(options.batch, (totalFrames - 1) / (2 * window)))
        let laneLength = (totalFrames - 1) / batch
        log(
            "predict: \(recordings.count) recordings, \(totalFrames) training frames × \(d) in \(batch) lanes of \(laneLength), "
                + "windows of \(window), \(validationParts.reduce(0) { $0 + $1.count } / d) held-out frames")
        let architecture = GRUArchitecture(
            inputSize: d, hiddenSize: options.hidden, layerCount: options.layers, outputSize: d, cell: options.cell)
        let session = TrainingSession(architecture: architecture, options: options, maxBatch: batch, maxSteps: window)
        var input = [Float](repeating: 0, count: window * batch * d)
        var target = [Float](repeating: 0, count: window * batch * d)

        let summary = session.run(
            trainEpoch: { epoch, progress in
                var r = TrainingRandom.derived(seed: options.seed, stream: 200 + UInt64(epoch))
                let offset = r.index(window)
                let usable = laneLength - offset - 1
                let windows = max(usable / window, 1)
                var state: [Float]? = nil
                var sum = 0.0
                for w in 0..<windows {
                    if TrainingProgress.interrupted { break }
                    let steps = min(window, usable - w * window)
                    guard steps > 0 else { break }
                    for b in 0..<batch {
                        let base = b * laneLength + offset + w * window
                        for t in 0..<steps {
                            let row = t * batch + b
                            for j in 0..<d {
                                input[row * d + j] = sequence[(base + t) * d + j]
                                target[row * d + j] = sequence[(base + t + 1) * d + j]
                            }
                        }
                    }
                    let loss = session.step(input: input, batch: batch, steps: steps, initialState: state) {
                        outputs, gradient in
                        target.withUnsafeBufferPointer {
                            TrainingLoss.meanSquaredError(
                                outputs: outputs, targets: $0.baseAddress!, count: steps * batch * d, gradient: gradient
                            )
                        }
                    }
                    state = session.finalState()
                    sum += Double(loss)
                    progress.batch(epoch: epoch, batch: w + 1, of: windows, loss: Float(sum / Double(w + 1)))
                }
                return Float(sum / Double(windows))
            },
            validate: {
                let loss = validationLoss(session: session, parts: validationParts, dimension: d, window: window)
                return (loss, [:])
            })

        // Calibrate the real detector on the held-out normal data with the best parameters.
        let model = try session.best.inferenceModel(name: output.path)
        let calibration = try calibrate(
            model: model, parts: validationParts, dimension: d, hopSeconds: features.hopSeconds,
            anomaly: features.pipeline.detector.anomaly, options: options)
        log(
            String(
                format: "calibration: log-error mean %.4f std %.4f, largest held-out score %.2f → threshold %.2f",
                calibration.mean, calibration.std, calibration.largestScore, calibration.threshold))
        var training = options.metadata
        training["data"] = try expand(dataPaths)
        training["training_frames"] = totalFrames
        training["best_epoch"] = session.bestEpoch + 1
        training["epochs_run"] = summary.epochsRun
        training["val_loss"] = Double(session.bestLoss)
        let metadata: [String: Any] = [
            "task": "predict", "output_activation": "none", "mode": "carry", "cell": options.cell.rawValue,
            "gru_prefix": "\(options.cell.rawValue).",
            "head_prefix": "linear.",
            "norm_prefix": "norm.", "features": features.metadata,
            "detector": [
                "error_mean": Double(calibration.mean), "error_std": Double(calibration.std),
                "threshold": Double(calibration.threshold),
            ],
            "calibration": [
                "error": "ln(mean squared next-frame prediction error + 1e-12) on normalised features",
                "frames": calibration.frames, "largest_normal_score": Double(calibration.largestScore),
                "threshold_margin": Double(options.thresholdMargin),
                "smooth_ms": features.pipeline.detector.anomaly.smoothMilliseconds,
                "target": "next",
            ],
            "training": training,
        ]
        try session.best.write(to: output, normalisation: statistics.normalisation, metadata: metadata)
        return ClassifyTraining.summaryJSON(
            summary, session: session, output: output,
            extra: [
                "error_mean": Double(calibration.mean), "error_std": Double(calibration.std),
                "threshold": Double(calibration.threshold),
            ])
    }

    /// Mean next-frame MSE over held-out parts, each run from a zero state in windows carrying the state;
    /// the first 10 predictions of each part (state warm-up) are not counted.
    static func validationLoss(session: TrainingSession, parts: [[Float]], dimension d: Int, window: Int) -> Float {
        var total = 0.0
        var count = 0
        for part in parts {
            let frames = part.count / d
            var state: [Float]? = nil
            var t0 = 0
            while t0 < frames - 1 {
                let steps = min(window, frames - 1 - t0)
                let input = Array(part[(t0 * d)..<((t0 + steps) * d)])
                let target = Array(part[((t0 + 1) * d)..<((t0 + 1 + steps) * d)])
                _ = session.evaluate(input: input, batch: 1, steps: steps, initialState: state) { outputs, _ in
                    for t in 0..<steps where t0 + t >= 10 {
                        for j in 0..<d {
                            let diff = Double(outputs[t * d + j] - target[t * d + j])
                            total += diff * diff
                        }
                        count += d
                    }
                    return 0
                }
                state = session.finalState()
                t0 += steps
            }
        }
        return Float(total / Double(max(count, 1)))
    }

    struct Calibration {
        var mean: Float
        var std: Float
        var threshold: Float
        var largestScore: Float
        var frames: Int
    }

    /// Log-error statistics of the model on normal data (through the inference engine), then the largest smoothed
    /// score the real anomaly detector gives on that data with those statistics; the threshold is a margin above it.
    static func calibrate(
        model: GRUModel, parts: [[Float]], dimension d: Int, hopSeconds: Double, anomaly: AnomalyOptions,
        options: TrainingOptions
    ) throws -> Calibration {
        let warmup = 20
        var errors: [Double] = []
        var outputs: [[Float]] = []
        for part in parts {
            let frames = part.count / d
            let runner = try GRURunner(model: model)
            var out = [Float](repeating: 0, count: frames * d)
            part.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { runner.run(p, count: frames, outputs: $0) }
            }
            for t in (warmup + 1)..<max(frames, warmup + 1) {
                var sum: Float = 0
                for j in 0..<d {
                    let diff = out[(t - 1) * d + j] - part[t * d + j]
                    sum += diff * diff
                }
                errors.append(log(Double(sum) / Double(d) + 1e-12))
            }
            outputs.append(out)
        }
        guard errors.count > 2 else {
            throw TrainingError("too little held-out normal data to calibrate (\(errors.count) frames)")
        }
        let mean = errors.reduce(0, +) / Double(errors.count)
        let std = (errors.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(errors.count - 1)).squareRoot()
        var detectorOptions = anomaly
        detectorOptions.errorMean = Float(mean)
        detectorOptions.errorStd = Float(max(std, 1e-6))
        detectorOptions.target = .next
        var largest: Float = -.infinity
        for (part, out) in zip(parts, outputs) {
            let detector = try AnomalyDetector(
                inputSize: d, outputSize: d, options: detectorOptions, hopSeconds: hopSeconds)
            let frames = part.count / d
            part.withUnsafeBufferPointer { p in
                out.withUnsafeBufferPointer { o in
                    for t in 0..<frames {
                        let frame = DetectorFrame(
                            index: t, start: Double(t) * hopSeconds, end: Double(t + 1) * hopSeconds,
                            input: UnsafeBufferPointer(rebasing: p[(t * d)..<((t + 1) * d)]),
                            output: UnsafeBufferPointer(rebasing: o[(t * d)..<((t + 1) * d)]))
                        detector.process(frame) { _ in }
                        if t > warmup { largest = max(largest, detector.withScores { $0[0] }) }
                    }
                }
            }
        }
        let threshold = max(options.minimumThreshold, options.thresholdMargin * largest)
        return Calibration(
            mean: Float(mean), std: Float(max(std, 1e-6)), threshold: threshold, largestScore: largest,
            frames: errors.count)
    }
}
