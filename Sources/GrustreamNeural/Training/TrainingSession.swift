import Foundation

/// The task-independent part of training: parameters, optimiser, the BPTT graph, the epoch loop with learning-rate
/// schedule, early stopping on the validation loss (keeping the best parameters), progress and Ctrl-C.
public final class TrainingSession {
    public let options: TrainingOptions
    public private(set) var parameters: GRUParameters
    /// The parameters of the epoch with the lowest validation loss so far.
    public private(set) var best: GRUParameters
    public private(set) var bestLoss = Float.infinity
    public private(set) var bestEpoch = -1
    public private(set) var bestValidation: [String: Any] = [:]
    private var optimiser: TrainingOptimiser
    let graph: GRUTrainingGraph
    private var gradients: [Float]
    private var outputGradient: [Float]
    var random: TrainingRandom
    /// Frames processed by `step` since the start of the epoch.
    private var framesThisEpoch = 0

    public convenience init(architecture: GRUArchitecture, options: TrainingOptions, maxBatch: Int, maxSteps: Int) {
        var p = GRUParameters(architecture: architecture)
        p.initialise(seed: options.seed)
        self.init(parameters: p, options: options, maxBatch: maxBatch, maxSteps: maxSteps)
    }

    /// Training that starts from `parameters` (fine-tuning, online learning). Every buffer a `step` of at most
    /// `maxBatch` × `maxSteps` frames uses is allocated here.
    public init(parameters p: GRUParameters, options: TrainingOptions, maxBatch: Int, maxSteps: Int) {
        self.options = options
        let architecture = p.architecture
        parameters = p
        best = p
        optimiser = TrainingOptimiser(kind: options.optimiser, learningRate: options.learningRate)
        optimiser.momentum = options.momentum
        optimiser.weightDecay = options.weightDecay
        optimiser.l1 = options.l1
        optimiser.reserve(count: p.count)
        graph = GRUTrainingGraph(architecture: architecture, maxBatch: maxBatch, maxSteps: maxSteps)
        graph.dropout = options.dropout
        gradients = [Float](repeating: 0, count: p.count)
        outputGradient = [Float](repeating: 0, count: maxBatch * maxSteps * architecture.outputSize)
        random = TrainingRandom.derived(seed: options.seed, stream: 1)
    }

    /// One optimiser step on `input` [steps, batch, input]. `loss` receives the outputs [steps, batch, output]
    /// and writes ∂loss/∂outputs into its second argument; it returns the loss.
    @discardableResult
    public func step(
        input: [Float], batch: Int, steps: Int, initialState: [Float]? = nil,
        loss: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Float
    ) -> Float {
        for i in gradients.indices { gradients[i] = 0 }
        let value = input.withUnsafeBufferPointer { x in
            graph.forward(
                parameters, input: x.baseAddress!, batch: batch, steps: steps, initialState: initialState,
                training: true, random: &random)
            let value = outputGradient.withUnsafeMutableBufferPointer { loss(graph.outputs, $0.baseAddress!) }
            outputGradient.withUnsafeBufferPointer {
                graph.backward(parameters, outputGradient: $0.baseAddress!, gradients: &gradients)
            }
            return value
        }
        if options.clip > 0 { TrainingOptimiser.clipGlobalNorm(&gradients, maxNorm: options.clip) }
        optimiser.step(parameters: &parameters.values, gradients: &gradients)
        framesThisEpoch += batch * steps
        return value
    }

    /// Forward only (no dropout, no update); `loss` as in `step` (the gradient it writes is ignored).
    public func evaluate(
        input: [Float], batch: Int, steps: Int, initialState: [Float]? = nil,
        loss: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Float
    ) -> Float {
        input.withUnsafeBufferPointer { x in
            graph.forward(
                parameters, input: x.baseAddress!, batch: batch, steps: steps, initialState: initialState,
                training: false, random: &random)
            return outputGradient.withUnsafeMutableBufferPointer { loss(graph.outputs, $0.baseAddress!) }
        }
    }

    public func finalState() -> [Float] { graph.finalState() }

    /// The optimiser's step count and moments, to save a session mid-run.
    public var optimiserState: (steps: Int, first: [Float], second: [Float]) {
        (optimiser.stepCount, optimiser.moments.first, optimiser.moments.second)
    }

    /// Continue from saved parameters and optimiser state; false (nothing changed) when they do not fit.
    public func restore(parameters values: [Float], steps: Int, first: [Float], second: [Float]) -> Bool {
        guard values.count == parameters.count else { return false }
        var restored = optimiser
        guard restored.restore(stepCount: steps, first: first, second: second, count: values.count) else {
            return false
        }
        optimiser = restored
        parameters.values = values
        return true
    }

    public struct Summary {
        public var epochsRun = 0
        public var interrupted = false
        public var seconds = 0.0
        public var trainingFramesPerSecond = 0.0
        public var lastTrainLoss: Float = .nan
        public var history: [[String: Any]] = []
    }

    /// The epoch loop. `trainEpoch(epoch, progress)` runs one epoch of `step`s and returns the mean training loss;
    /// `validate()` returns the validation loss and other metrics (shown and recorded).
    public func run(
        trainEpoch: (Int, TrainingProgress) -> Float, validate: () -> (loss: Float, metrics: [String: Any])
    ) -> Summary {
        let progress = TrainingProgress(totalEpochs: options.epochs)
        TrainingProgress.catchInterrupt()
        defer { signal(SIGINT, SIG_DFL) }
        var summary = Summary()
        let start = Date()
        var trainingSeconds = 0.0
        var trainingFrames = 0
        var sinceBest = 0
        for epoch in 0..<options.epochs {
            optimiser.learningRate = options.schedule.rate(base: options.learningRate, epoch: epoch)
            framesThisEpoch = 0
            let epochStart = Date()
            let trainLoss = trainEpoch(epoch, progress)
            let seconds = Date().timeIntervalSince(epochStart)
            trainingSeconds += seconds
            trainingFrames += framesThisEpoch
            if TrainingProgress.interrupted {
                summary.interrupted = true
                progress.note("interrupted: keeping the best model so far (epoch \(bestEpoch + 1))")
                break
            }
            let (validationLoss, metrics) = validate()
            let improved = validationLoss < bestLoss
            if improved {
                bestLoss = validationLoss
                bestEpoch = epoch
                best = parameters
                bestValidation = metrics
                sinceBest = 0
            } else {
                sinceBest += 1
            }
            var shown = String(format: "val loss %.4f", validationLoss)
            for key in metrics.keys.sorted() {
                if let v = metrics[key] as? Double { shown += String(format: " val %@ %.4f", key, v) }
            }
            progress.epoch(
                epoch, trainLoss: trainLoss, validation: shown, learningRate: optimiser.learningRate,
                framesPerSecond: Double(framesThisEpoch) / max(seconds, 1e-9), best: improved)
            var record: [String: Any] = [
                "epoch": epoch + 1, "train_loss": Double(trainLoss), "val_loss": Double(validationLoss),
            ]
            for (k, v) in metrics { record["val_" + k] = v }
            summary.history.append(record)
            summary.epochsRun = epoch + 1
            summary.lastTrainLoss = trainLoss
            if options.patience > 0 && sinceBest >= options.patience {
                progress.note("early stop: no validation improvement for \(options.patience) epochs")
                break
            }
        }
        if bestEpoch < 0 { best = parameters }
        summary.seconds = Date().timeIntervalSince(start)
        summary.trainingFramesPerSecond = Double(trainingFrames) / max(trainingSeconds, 1e-9)
        return summary
    }
}

/// Per-frame classification (the classify task and frame-labelled arrays): softmax cross-entropy against targets
/// [steps, batch] of class indices (negative: not counted).
extension TrainingSession {
    /// Loss, frames counted and frames right, summed over validation batches.
    public struct FrameTally {
        package var loss = 0.0
        package var counted = 0
        package var correct = 0

        package init() {}

        /// The mean loss per counted frame, and `frame_accuracy`.
        package var result: (Float, [String: Double]) {
            (Float(loss / Double(max(counted, 1))), ["frame_accuracy": Double(correct) / Double(max(counted, 1))])
        }
    }

    /// One optimiser step on per-frame cross-entropy; the batch's loss.
    package func classificationStep(input: [Float], targets: [Int32], batch: Int, steps: Int, classes: Int) -> Float {
        step(input: input, batch: batch, steps: steps) { outputs, gradient in
            targets.withUnsafeBufferPointer {
                TrainingLoss.softmaxCrossEntropy(
                    outputs: outputs, targets: $0.baseAddress!, rows: steps * batch, classes: classes,
                    gradient: gradient
                ).loss
            }
        }
    }

    /// A validation batch (no update) added to `tally`.
    package func classificationEvaluate(
        input: [Float], targets: [Int32], batch: Int, steps: Int, classes: Int, into tally: inout FrameTally
    ) {
        _ = evaluate(input: input, batch: batch, steps: steps) { outputs, gradient in
            let r = targets.withUnsafeBufferPointer {
                TrainingLoss.softmaxCrossEntropy(
                    outputs: outputs, targets: $0.baseAddress!, rows: steps * batch, classes: classes,
                    gradient: gradient)
            }
            tally.loss += Double(r.loss) * Double(r.counted)
            tally.counted += r.counted
            tally.correct += r.correct
            return r.loss
        }
    }
}
