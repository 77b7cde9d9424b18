import Foundation
import GrustreamNeural

/// `grustream train --features X.npy --targets Y.npy`: training on precomputed feature arrays (no pipeline, no
/// augmentation, no normalisation): X [sequences, steps, input] float32, Y [sequences, steps] class indices
/// (−1: no target at that frame). The last `validation_percent` of the sequences are held out. Used by
/// scripts/bench-training to compare with PyTorch on identical data.
public enum PrecomputedFeatureTraining {
    public static func run(
        features: Tensor, targets: Tensor, options: TrainingOptions, output: URL, log: (String) -> Void
    ) throws -> [String: Any] {
        guard features.shape.count == 3, targets.shape == Array(features.shape.prefix(2)) else {
            throw TrainingError(
                "--features is \(features.shapeDescription) and --targets \(targets.shapeDescription); expected [N, T, I] and [N, T]"
            )
        }
        let (n, steps, d) = (features.shape[0], features.shape[1], features.shape[2])
        let classes = Int(targets.scalars.max() ?? 0) + 1
        let held = max(1, n * options.validationPercent / 100)
        guard n > held else {
            throw TrainingError("--features: \(n) sequences, too few to hold out \(held) for validation")
        }
        let architecture = GRUArchitecture(
            inputSize: d, hiddenSize: options.hidden, layerCount: options.layers, outputSize: classes,
            cell: options.cell, pooling: options.pooling, attentionSize: options.attentionSize)
        let session = TrainingSession(
            architecture: architecture, options: options, maxBatch: options.batch, maxSteps: steps)
        log("arrays: \(n - held) training and \(held) validation sequences of \(steps) × \(d), \(classes) classes")
        var input = [Float](repeating: 0, count: steps * options.batch * d)
        var target = [Int32](repeating: -1, count: steps * options.batch)
        func fill(_ sequences: ArraySlice<Int>) -> Int {
            let batch = sequences.count
            for (b, s) in sequences.enumerated() {
                for t in 0..<steps {
                    let row = t * batch + b
                    // A pooled head decides once per sequence: only the last frame's target counts.
                    target[row] =
                        options.pooling != .last && t < steps - 1 ? -1 : Int32(targets.scalars[s * steps + t])
                    for j in 0..<d { input[row * d + j] = features.scalars[(s * steps + t) * d + j] }
                }
            }
            return batch
        }
        let summary = session.run(
            trainEpoch: { epoch, progress in
                var r = TrainingRandom.derived(seed: options.seed, stream: 300 + UInt64(epoch))
                var order = Array(0..<(n - held))
                order.shuffle(using: &r)
                let batches = (order.count + options.batch - 1) / options.batch
                var sum = 0.0
                for k in 0..<batches {
                    if TrainingProgress.interrupted { break }
                    let batch = fill(order[(k * options.batch)..<min((k + 1) * options.batch, order.count)])
                    sum += Double(
                        session.classificationStep(
                            input: input, targets: target, batch: batch, steps: steps, classes: classes))
                    progress.batch(epoch: epoch, batch: k + 1, of: batches, loss: Float(sum / Double(k + 1)))
                }
                return Float(sum / Double(batches))
            },
            validate: {
                var tally = TrainingSession.FrameTally()
                var start = n - held
                while start < n {
                    let batch = fill(Array(start..<min(start + options.batch, n))[...])
                    session.classificationEvaluate(
                        input: input, targets: target, batch: batch, steps: steps, classes: classes, into: &tally)
                    start += batch
                }
                return tally.result
            })
        let metadata: [String: Any] = [
            "task": "classify", "labels": (0..<classes).map { "class\($0)" }, "output_activation": "softmax",
            "mode": options.pooling == .last ? "carry" : "window:\(steps)", "cell": options.cell.rawValue,
            "training": options.metadata,
        ]
        try session.best.write(to: output, normalisation: nil, metadata: metadata)
        return ClassifyTraining.summaryJSON(summary, session: session, output: output, extra: [:])
    }
}
