import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The committed goldens of scripts/make-training-goldens.py (PyTorch autograd and optimisers, float64).
enum TrainingGoldens {
    static let cases = [
        "classify_frames", "classify_last", "predict_mse", "wide_two_layers", "lstm_classify_frames",
        "lstm_classify_last", "lstm_predict_mse", "lstm_wide_two_layers", "attention_last",
        "lstm_attention_two_layers", "mean_last",
    ]

    struct Case {
        let file: SafetensorsFile
        let meta: [String: Any]
        let architecture: GRUArchitecture
        let batch: Int
        let steps: Int
        let loss: String

        init(_ name: String) throws {
            file = try SafetensorsFile(contentsOf: Fixtures.url("training/\(name).safetensors"))
            meta = try JSONSerialization.jsonObject(with: Data(file.metadata["golden"]!.utf8)) as! [String: Any]
            architecture = GRUArchitecture(
                inputSize: meta["input"] as! Int, hiddenSize: meta["hidden"] as! Int,
                layerCount: meta["layers"] as! Int,
                outputSize: meta["output"] as! Int, cell: RecurrentCell(rawValue: meta["cell"] as? String ?? "gru")!,
                pooling: Pooling(rawValue: meta["pooling"] as? String ?? "last")!,
                attentionSize: meta["attention"] as? Int ?? 0)
            batch = meta["batch"] as! Int
            steps = meta["steps"] as! Int
            loss = meta["loss"] as! String
        }

        func parameters(_ prefix: String) throws -> GRUParameters {
            var p = GRUParameters(architecture: architecture)
            for slot in p.slots { try p.set(slot.name, try file.tensor("\(prefix).\(slot.name)")) }
            return p
        }

        func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }
    }

    /// Forward, loss and backward of `parameters` on the case's data: (outputs, loss, gradients).
    static func evaluate(_ c: Case, _ parameters: GRUParameters, l1: Float = 0) throws -> ([Float], Float, [Float]) {
        let graph = GRUTrainingGraph(architecture: c.architecture, maxBatch: c.batch, maxSteps: c.steps)
        let input = try c.tensor("input").scalars
        let h0 = try c.tensor("h0").scalars
        let target = try c.tensor("target").scalars
        var random = TrainingRandom(seed: 1)
        let rows = c.batch * c.steps
        let o = c.architecture.outputSize
        var gradient = [Float](repeating: 0, count: rows * o)
        var grads = [Float](repeating: 0, count: parameters.count)
        let loss: Float = input.withUnsafeBufferPointer { x in
            graph.forward(
                parameters, input: x.baseAddress!, batch: c.batch, steps: c.steps, initialState: h0, random: &random)
            return gradient.withUnsafeMutableBufferPointer { d in
                if c.loss == "mse" {
                    return target.withUnsafeBufferPointer {
                        TrainingLoss.meanSquaredError(
                            outputs: graph.outputs, targets: $0.baseAddress!, count: rows * o, gradient: d.baseAddress!)
                    }
                }
                let classes = target.map { Int32($0) }
                return classes.withUnsafeBufferPointer {
                    TrainingLoss.softmaxCrossEntropy(
                        outputs: graph.outputs, targets: $0.baseAddress!, rows: rows, classes: o,
                        gradient: d.baseAddress!
                    ).loss
                }
            }
        }
        gradient.withUnsafeBufferPointer {
            graph.backward(parameters, outputGradient: $0.baseAddress!, gradients: &grads)
        }
        let outputs = Array(UnsafeBufferPointer(start: graph.outputs, count: rows * o))
        return (outputs, loss, grads)
    }

    /// Relative error per value with a floor of 1% of the tensor's largest magnitude (float32 sums cannot give
    /// 1e-4 relative accuracy on a gradient 10⁴× smaller than its neighbours: those are compared on the tensor's scale).
    static func check(_ label: String, _ computed: ArraySlice<Float>, _ expected: [Float], tolerance: Float)
        -> Closeness
    {
        let scale = expected.map(abs).max() ?? 0
        return Closeness(
            label, computed: computed, expected: expected, tolerance: tolerance, relative: true,
            floor: max(scale * 1e-2, 1e-6))
    }
}

@Suite("Training gradients and optimisers vs PyTorch")
struct TrainingGradientTests {
    @Test(
        "outputs, loss and every gradient match PyTorch autograd (≤ 1e-4 relative)", arguments: KernelFamilies.runnable,
        TrainingGoldens.cases)
    func gradientsMatchAutograd(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let c = try TrainingGoldens.Case(name)
            let parameters = try c.parameters("param")
            let (outputs, loss, grads) = try TrainingGoldens.evaluate(c, parameters)
            let out = TrainingGoldens.check(
                "\(name) output", outputs[...], try c.tensor("output").scalars, tolerance: 1e-4)
            #expect(out.passed, "\(out)")
            let expectedLoss = try c.tensor("loss").scalars[0]
            #expect(
                abs(loss - expectedLoss) <= 1e-5 * max(1, abs(expectedLoss)),
                "\(name): loss \(loss), expected \(expectedLoss)")
            var worst: Float = 0
            for slot in parameters.slots {
                let result = TrainingGoldens.check(
                    "\(name) grad.\(slot.name)", grads[slot.offset..<(slot.offset + slot.count)],
                    try c.tensor("grad.\(slot.name)").scalars, tolerance: 1e-4)
                #expect(result.passed, "\(result)")
                worst = max(worst, result.maxRelativeError)
            }
            print(
                "training golden \(name): output max rel \(out.maxRelativeError), loss \(loss) vs \(expectedLoss), gradients max rel \(worst)"
            )
        }
    }

    @Test(
        "three Adam steps with clipping, and three SGD steps with momentum, L2 and L1, match torch.optim",
        arguments: KernelFamilies.runnable, TrainingGoldens.cases)
    func optimiserStepsMatch(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let c = try TrainingGoldens.Case(name)
            let adamMeta = c.meta["adam"] as! [String: Any]
            let sgdMeta = c.meta["sgd"] as! [String: Any]
            for kind in [TrainingOptimiser.Kind.adam, .sgd] {
                var parameters = try c.parameters("param")
                var optimiser = TrainingOptimiser(
                    kind: kind, learningRate: Float((kind == .adam ? adamMeta : sgdMeta)["lr"] as! Double))
                if kind == .adam {
                    optimiser.weightDecay = Float(adamMeta["weight_decay"] as! Double)
                    optimiser.epsilon = Float(adamMeta["eps"] as! Double)
                } else {
                    optimiser.momentum = Float(sgdMeta["momentum"] as! Double)
                    optimiser.weightDecay = Float(sgdMeta["weight_decay"] as! Double)
                    optimiser.l1 = Float(sgdMeta["l1"] as! Double)
                }
                for _ in 0..<3 {
                    var (_, _, grads) = try TrainingGoldens.evaluate(c, parameters)
                    if kind == .adam {
                        TrainingOptimiser.clipGlobalNorm(&grads, maxNorm: Float(adamMeta["clip"] as! Double))
                    }
                    optimiser.step(parameters: &parameters.values, gradients: &grads)
                }
                let expected = try c.parameters(kind.rawValue)
                let result = Closeness(
                    "\(name) \(kind.rawValue) parameters", computed: parameters.values, expected: expected.values,
                    tolerance: 2e-5)
                #expect(result.passed, "\(result)")
                print("training golden \(name) \(kind.rawValue) after 3 steps: max |error| \(result.maxAbsoluteError)")
            }
        }
    }
}

@Suite("Training graph")
struct TrainingGraphTests {
    static func randomParameters(_ a: GRUArchitecture, seed: UInt64, scale: Float = 0.5) -> GRUParameters {
        var p = GRUParameters(architecture: a)
        var random = TrainingRandom(seed: seed)
        for i in p.values.indices { p.values[i] = random.normal() * scale }
        return p
    }

    @Test(
        "the training forward pass gives GRURunner's outputs (≤ 1e-5), stream by stream",
        arguments: KernelFamilies.runnable, [RecurrentCell.gru, .lstm])
    func forwardMatchesInferenceEngine(family: KernelFamily, cell: RecurrentCell) throws {
        try KernelFamilies.with(family) {
            let a = GRUArchitecture(inputSize: 13, hiddenSize: 24, layerCount: 2, outputSize: 5, cell: cell)
            let p = Self.randomParameters(a, seed: 7)
            let batch = 3
            let steps = 11
            var random = TrainingRandom(seed: 3)
            let x = (0..<(steps * batch * a.inputSize)).map { _ in random.normal() }
            let graph = GRUTrainingGraph(architecture: a, maxBatch: 4, maxSteps: 16)
            x.withUnsafeBufferPointer {
                graph.forward(p, input: $0.baseAddress!, batch: batch, steps: steps, random: &random)
            }
            let model = try p.inferenceModel()
            #expect(model.hasCellState == (cell == .lstm))
            for b in 0..<batch {
                let runner = try GRURunner(model: model)
                var frames: [Float] = []
                for t in 0..<steps {
                    frames += x[((t * batch + b) * a.inputSize)..<((t * batch + b + 1) * a.inputSize)]
                }
                var outputs = [Float](repeating: 0, count: steps * a.outputSize)
                frames.withUnsafeBufferPointer { f in
                    outputs.withUnsafeMutableBufferPointer { runner.run(f, count: steps, outputs: $0) }
                }
                var mine: [Float] = []
                for t in 0..<steps {
                    mine += UnsafeBufferPointer(
                        start: graph.outputs + (t * batch + b) * a.outputSize, count: a.outputSize)
                }
                let result = Closeness("stream \(b)", computed: mine, expected: outputs, tolerance: 1e-5)
                #expect(result.passed, "\(result)")
            }
        }
    }

    /// Loss of a network on fixed data, for finite differences (dropout off).
    static func loss(_ p: GRUParameters, x: [Float], targets: [Int32], batch: Int, steps: Int, graph: GRUTrainingGraph)
        -> (Float, [Float])
    {
        var random = TrainingRandom(seed: 0)
        let o = p.architecture.outputSize
        var d = [Float](repeating: 0, count: batch * steps * o)
        x.withUnsafeBufferPointer {
            graph.forward(p, input: $0.baseAddress!, batch: batch, steps: steps, random: &random)
        }
        let loss = targets.withUnsafeBufferPointer { t in
            d.withUnsafeMutableBufferPointer {
                TrainingLoss.softmaxCrossEntropy(
                    outputs: graph.outputs, targets: t.baseAddress!, rows: batch * steps, classes: o,
                    gradient: $0.baseAddress!
                ).loss
            }
        }
        var grads = [Float](repeating: 0, count: p.count)
        d.withUnsafeBufferPointer { graph.backward(p, outputGradient: $0.baseAddress!, gradients: &grads) }
        return (loss, grads)
    }

    @Test(
        "gradients agree with central finite differences", arguments: KernelFamilies.runnable,
        [RecurrentCell.gru, .lstm])
    func finiteDifferences(family: KernelFamily, cell: RecurrentCell) throws {
        try KernelFamilies.with(family) {
            let a = GRUArchitecture(inputSize: 3, hiddenSize: 4, layerCount: 2, outputSize: 3, cell: cell)
            var p = Self.randomParameters(a, seed: 11, scale: 0.8)
            let batch = 2
            let steps = 5
            var random = TrainingRandom(seed: 5)
            let x = (0..<(batch * steps * a.inputSize)).map { _ in random.normal() }
            let targets = (0..<(batch * steps)).map { _ in Int32(random.index(3)) }
            let graph = GRUTrainingGraph(architecture: a, maxBatch: batch, maxSteps: steps)
            let (_, grads) = Self.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph)
            let epsilon: Float = 1e-2
            var worst: Float = 0
            for i in p.values.indices {
                let saved = p.values[i]
                p.values[i] = saved + epsilon
                let up = Self.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph).0
                p.values[i] = saved - epsilon
                let down = Self.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph).0
                p.values[i] = saved
                let numeric = (up - down) / (2 * epsilon)
                let error = abs(numeric - grads[i]) / max(abs(numeric), 1e-2)
                worst = max(worst, error)
                #expect(error < 2e-2, "parameter \(i): analytic \(grads[i]), numeric \(numeric)")
            }
            #expect(worst < 2e-2)
        }
    }

    @Test(
        "truncated BPTT: two windows carrying the final state give the outputs of one long window",
        arguments: KernelFamilies.runnable, [RecurrentCell.gru, .lstm])
    func carriedStateContinues(family: KernelFamily, cell: RecurrentCell) {
        KernelFamilies.with(family) {
            let a = GRUArchitecture(inputSize: 4, hiddenSize: 9, layerCount: 2, outputSize: 3, cell: cell)
            let p = Self.randomParameters(a, seed: 21)
            var random = TrainingRandom(seed: 4)
            let batch = 2
            let x = (0..<(20 * batch * 4)).map { _ in random.normal() }
            let whole = GRUTrainingGraph(architecture: a, maxBatch: batch, maxSteps: 20)
            x.withUnsafeBufferPointer {
                whole.forward(p, input: $0.baseAddress!, batch: batch, steps: 20, random: &random)
            }
            let halves = GRUTrainingGraph(architecture: a, maxBatch: batch, maxSteps: 10)
            x.withUnsafeBufferPointer {
                halves.forward(p, input: $0.baseAddress!, batch: batch, steps: 10, random: &random)
            }
            let state = halves.finalState()
            x.withUnsafeBufferPointer {
                halves.forward(
                    p, input: $0.baseAddress! + 10 * batch * 4, batch: batch, steps: 10, initialState: state,
                    random: &random)
            }
            let expected = Array(UnsafeBufferPointer(start: whole.outputs + 10 * batch * 3, count: 10 * batch * 3))
            let computed = Array(UnsafeBufferPointer(start: halves.outputs, count: 10 * batch * 3))
            #expect(computed == expected)
        }
    }

    @Test("dropout is off outside training")
    func dropoutGradient() throws {
        let a = GRUArchitecture(inputSize: 3, hiddenSize: 4, layerCount: 2, outputSize: 3)
        let p = Self.randomParameters(a, seed: 12)
        let graph = GRUTrainingGraph(architecture: a, maxBatch: 2, maxSteps: 4)
        graph.dropout = 0.5
        var random = TrainingRandom(seed: 9)
        let x = (0..<(2 * 4 * 3)).map { _ in random.normal() }
        x.withUnsafeBufferPointer {
            graph.forward(p, input: $0.baseAddress!, batch: 2, steps: 4, training: false, random: &random)
        }
        let evalOutputs = Array(UnsafeBufferPointer(start: graph.outputs, count: 24))
        graph.dropout = 0
        x.withUnsafeBufferPointer { graph.forward(p, input: $0.baseAddress!, batch: 2, steps: 4, random: &random) }
        #expect(Array(UnsafeBufferPointer(start: graph.outputs, count: 24)) == evalOutputs)
    }

    @Test("initialisation: orthogonal recurrent blocks, Glorot-bounded input weights, zero biases, deterministic")
    func initialisation() {
        let a = GRUArchitecture(inputSize: 10, hiddenSize: 8, layerCount: 2, outputSize: 4)
        var p = GRUParameters(architecture: a)
        p.initialise(seed: 42)
        var q = GRUParameters(architecture: a)
        q.initialise(seed: 42)
        #expect(p == q)
        let o = p.layerOffsets(1)
        for gate in 0..<3 {
            let base = o.weightHH + gate * 64
            for r in 0..<8 {
                for s in 0..<8 {
                    var dot: Float = 0
                    for c in 0..<8 { dot += p.values[base + r * 8 + c] * p.values[base + s * 8 + c] }
                    #expect(abs(dot - (r == s ? 1 : 0)) < 1e-5)
                }
            }
        }
        let bound = (6 / Float(10 + 8)).squareRoot()
        let o0 = p.layerOffsets(0)
        #expect(p.values[o0.weightIH..<(o0.weightIH + 240)].allSatisfy { abs($0) <= bound })
        #expect(p.values[o0.biasIH..<(o0.biasIH + 24)].allSatisfy { $0 == 0 })
    }

    @Test("learning-rate schedules: step and cosine as PyTorch StepLR / CosineAnnealingLR")
    func schedules() {
        #expect(LearningRateSchedule.step(epochs: 2, factor: 0.5).rate(base: 1, epoch: 3) == 0.5)
        #expect(LearningRateSchedule.step(epochs: 2, factor: 0.5).rate(base: 1, epoch: 4) == 0.25)
        let cosine = LearningRateSchedule.cosine(totalEpochs: 10, minimum: 0.1)
        #expect(abs(cosine.rate(base: 1, epoch: 0) - 1) < 1e-6)
        #expect(abs(cosine.rate(base: 1, epoch: 5) - 0.55) < 1e-6)
        #expect(abs(cosine.rate(base: 1, epoch: 10) - 0.1) < 1e-6)
    }

    @Test("global-norm clipping scales as clip_grad_norm_")
    func clipping() {
        var g: [Float] = [3, 4]
        let norm = TrainingOptimiser.clipGlobalNorm(&g, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(g[0] - 0.6) < 1e-5 && abs(g[1] - 0.8) < 1e-5)
        var small: [Float] = [0.3, 0.4]
        TrainingOptimiser.clipGlobalNorm(&small, maxNorm: 1)
        #expect(small == [0.3, 0.4])
    }
}
