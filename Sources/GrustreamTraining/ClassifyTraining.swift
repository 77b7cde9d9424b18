import Foundation
import GrustreamNeural

/// `grustream train --task classify`: labelled clips → a streaming classifier (softmax head).
public enum ClassifyTraining {
    public static func run(
        dataRoot: String, features: TrainingFeatures, options: TrainingOptions, output: URL, log: (String) -> Void
    ) throws -> [String: Any] {
        let list = try ClassifyClipList(root: dataRoot, keywords: options.labels)
        let builder = try ClassifyExampleBuilder(
            features: features, options: options, labels: list.labels, noiseFiles: list.noiseFiles)
        guard builder.framesPerClip > 0 else {
            throw TrainingError("--clip-ms \(options.clipMilliseconds) is shorter than one feature frame")
        }
        var random = TrainingRandom.derived(seed: options.seed, stream: 2)
        var train: [ClassifyExample] = []
        var validation: [ClassifyExample] = []
        var counts = [Int](repeating: 0, count: list.labels.count)
        let started = Date()
        for clip in list.clips {
            let samples = try features.readSamples(clip.path)
            if ClassifyClipList.isValidation(speaker: clip.speaker, percent: options.validationPercent) {
                validation.append(builder.example(samples, label: clip.label, random: &random, augment: false))
            } else {
                counts[clip.label] += 1
                for _ in 0..<max(options.augment, 1) {
                    train.append(
                        builder.example(samples, label: clip.label, random: &random, augment: options.augment > 0))
                }
            }
        }
        let silenceLabel = list.labels.firstIndex(of: ClassifyClipList.silence)!
        let silenceCount = train.count * options.silencePercent / 100
        for _ in 0..<silenceCount {
            train.append(builder.example(nil, label: silenceLabel, random: &random, augment: true))
        }
        for _ in 0..<(validation.count * options.silencePercent / 100) {
            validation.append(builder.example(nil, label: silenceLabel, random: &random, augment: false))
        }
        counts[silenceLabel] = silenceCount
        guard !train.isEmpty, !validation.isEmpty else {
            throw TrainingError(
                "\(dataRoot): \(train.count) training and \(validation.count) validation clips; need both (--validation-percent)"
            )
        }
        let dimension = features.dimension
        let statistics = FeatureStatistics(train.map(\.features), dimension: dimension)
        for i in train.indices { statistics.apply(&train[i].features) }
        if options.augment > 0 && (options.timeMasks > 0 || options.bandMasks > 0) {
            var maskRandom = TrainingRandom.derived(seed: options.seed, stream: 4)
            for i in train.indices {
                Augmentation.maskFeatures(
                    &train[i].features, dimension: dimension, timeMasks: options.timeMasks,
                    maxTimeWidth: options.maxTimeMaskFrames, bandMasks: options.bandMasks,
                    maxBandWidth: options.maxBandMaskWidth, random: &maskRandom)
            }
        }
        for i in validation.indices { statistics.apply(&validation[i].features) }
        log(
            "classify: \(list.labels.count) labels \(list.labels), \(train.count) training examples "
                + "(\(list.clips.count) clips, ×\(max(options.augment, 1)) augmented, \(silenceCount) silence), "
                + "\(validation.count) validation, \(builder.framesPerClip) frames × \(dimension) per clip, "
                + String(format: "data ready in %.1f s", Date().timeIntervalSince(started)))

        let chain = options.target == .frames ? max(options.sequenceClips, 1) : 1
        let frames = builder.framesPerClip
        let steps = chain * frames
        let architecture = GRUArchitecture(
            inputSize: dimension, hiddenSize: options.hidden, layerCount: options.layers, outputSize: list.labels.count,
            cell: options.cell, pooling: options.pooling, attentionSize: options.attentionSize)
        let session = TrainingSession(
            architecture: architecture, options: options, maxBatch: options.batch, maxSteps: steps)
        let classes = list.labels.count

        /// Sequences of `chain` examples, `batch` at a time, as [steps, batch, input] and targets [steps, batch].
        func batches(_ examples: [ClassifyExample], order: [Int], body: (Int, Int, [Float], [Int32]) -> Void) {
            let perBatch = chain * options.batch
            let count = (order.count + perBatch - 1) / perBatch
            var input = [Float](repeating: 0, count: steps * options.batch * dimension)
            var targets = [Int32](repeating: -1, count: steps * options.batch)
            for k in 0..<count {
                let slice = Array(order[(k * perBatch)..<min((k + 1) * perBatch, order.count)])
                let batch = (slice.count + chain - 1) / chain
                for b in 0..<batch {
                    for c in 0..<chain {
                        let index = b * chain + c
                        let e = examples[slice[index < slice.count ? index : index % slice.count]]
                        for f in 0..<frames {
                            let t = c * frames + f
                            let row = t * batch + b
                            targets[row] = e.targets[f]
                            for j in 0..<dimension { input[row * dimension + j] = e.features[f * dimension + j] }
                        }
                    }
                }
                body(k, batch, input, targets)
            }
        }
        let validationOrder: [Int] = {
            var r = TrainingRandom.derived(seed: options.seed, stream: 3)
            var order = Array(validation.indices)
            order.shuffle(using: &r)
            return order
        }()
        let summary = session.run(
            trainEpoch: { epoch, progress in
                var r = TrainingRandom.derived(seed: options.seed, stream: 100 + UInt64(epoch))
                var order = Array(train.indices)
                order.shuffle(using: &r)
                let total = (order.count + chain * options.batch - 1) / (chain * options.batch)
                var sum = 0.0
                var n = 0
                batches(train, order: order) { k, batch, input, targets in
                    if TrainingProgress.interrupted { return }
                    let loss = session.classificationStep(
                        input: input, targets: targets, batch: batch, steps: steps, classes: classes)
                    sum += Double(loss)
                    n += 1
                    progress.batch(epoch: epoch, batch: k + 1, of: total, loss: Float(sum / Double(n)))
                }
                return Float(sum / Double(max(n, 1)))
            },
            validate: {
                var tally = TrainingSession.FrameTally()
                batches(validation, order: validationOrder) { _, batch, input, targets in
                    session.classificationEvaluate(
                        input: input, targets: targets, batch: batch, steps: steps, classes: classes, into: &tally)
                }
                return tally.result
            })

        var metadata: [String: Any] = [
            "task": "classify", "labels": list.labels, "output_activation": "softmax",
            "mode": options.pooling == .last ? "carry" : "window:\(frames)",
            "cell": options.cell.rawValue, "gru_prefix": "\(options.cell.rawValue).", "head_prefix": "linear.",
            "norm_prefix": "norm.", "features": features.metadata,
            "target": options.target.rawValue,
        ]
        var training = options.metadata
        training["data"] = dataRoot
        training["examples"] = ["train": train.count, "validation": validation.count]
        training["clips_per_label"] = Dictionary(uniqueKeysWithValues: zip(list.labels, counts))
        training["best_epoch"] = session.bestEpoch + 1
        training["epochs_run"] = summary.epochsRun
        training["val_loss"] = Double(session.bestLoss)
        for (k, v) in session.bestValidation { training["val_" + k] = v }
        metadata["training"] = training
        try session.best.write(to: output, normalisation: statistics.normalisation, metadata: metadata)
        return summaryJSON(summary, session: session, output: output, extra: ["labels": list.labels])
    }

    static func summaryJSON(
        _ summary: TrainingSession.Summary, session: TrainingSession, output: URL, extra: [String: Any]
    ) -> [String: Any] {
        var json: [String: Any] = [
            "model": output.path, "task": session.options.task.rawValue, "epochs_run": summary.epochsRun,
            "best_epoch": session.bestEpoch + 1, "best_val_loss": Double(session.bestLoss),
            "interrupted": summary.interrupted, "seconds": summary.seconds,
            "training_frames_per_second": summary.trainingFramesPerSecond, "parameters": session.parameters.count,
            "final_train_loss": Double(summary.lastTrainLoss), "history": summary.history,
        ]
        for (k, v) in session.bestValidation { json["best_val_" + k] = v }
        for (k, v) in extra { json[k] = v }
        return json
    }
}
