import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

@Suite("Training graph with window pooling")
struct PooledTrainingGraphTests {
    static let architectures: [GRUArchitecture] = [
        GRUArchitecture(
            inputSize: 7, hiddenSize: 12, layerCount: 2, outputSize: 4, cell: .gru, pooling: .attention,
            attentionSize: 6),
        GRUArchitecture(
            inputSize: 5, hiddenSize: 9, layerCount: 1, outputSize: 3, cell: .lstm, pooling: .attention,
            attentionSize: 4),
        GRUArchitecture(inputSize: 5, hiddenSize: 10, layerCount: 2, outputSize: 3, cell: .gru, pooling: .mean),
    ]

    @Test(
        "the pooled forward pass gives the window-mode GRURunner's output at the window's last frame (≤ 1e-5)",
        arguments: KernelFamilies.runnable, architectures)
    func forwardMatchesWindowRunner(family: KernelFamily, a: GRUArchitecture) throws {
        try KernelFamilies.with(family) {
            let p = TrainingGraphTests.randomParameters(a, seed: 9)
            let batch = 3
            let steps = 10
            var random = TrainingRandom(seed: 4)
            let x = (0..<(steps * batch * a.inputSize)).map { _ in random.normal() }
            let graph = GRUTrainingGraph(architecture: a, maxBatch: 4, maxSteps: 12)
            x.withUnsafeBufferPointer {
                graph.forward(p, input: $0.baseAddress!, batch: batch, steps: steps, random: &random)
            }
            let model = try p.inferenceModel(metadata: ["mode": "window:\(steps)"])
            #expect(model.pooling == a.pooling && model.mode == .window(steps))
            #expect(model.parameterCount == p.count)
            // The parameters read back from the model are the same values.
            #expect(try GRUParameters(model: model) == p)
            let o = a.outputSize
            for b in 0..<batch {
                let runner = try GRURunner(model: model)
                var frames: [Float] = []
                for t in 0..<steps {
                    frames += x[((t * batch + b) * a.inputSize)..<((t * batch + b + 1) * a.inputSize)]
                }
                var outputs = [Float](repeating: 0, count: steps * o)
                frames.withUnsafeBufferPointer { f in
                    outputs.withUnsafeMutableBufferPointer { runner.run(f, count: steps, outputs: $0) }
                }
                let mine = Array(UnsafeBufferPointer(start: graph.outputs + ((steps - 1) * batch + b) * o, count: o))
                let result = Closeness(
                    "stream \(b)", computed: mine, expected: Array(outputs[((steps - 1) * o)...]), tolerance: 1e-5)
                #expect(result.passed, "\(result)")
                // The other steps' rows are zero: a last-frame loss reads only the pooled output.
                for t in 0..<(steps - 1) {
                    #expect(
                        UnsafeBufferPointer(start: graph.outputs + (t * batch + b) * o, count: o).allSatisfy { $0 == 0 }
                    )
                }
            }
        }
    }

    @Test("pooled gradients agree with central finite differences", arguments: architectures)
    func finiteDifferences(a: GRUArchitecture) throws {
        let batch = 2
        let steps = 6
        var p = TrainingGraphTests.randomParameters(a, seed: 21, scale: 0.4)
        var random = TrainingRandom(seed: 5)
        let x = (0..<(steps * batch * a.inputSize)).map { _ in random.normal() }
        var targets = [Int32](repeating: -1, count: steps * batch)
        for b in 0..<batch { targets[(steps - 1) * batch + b] = Int32(b % a.outputSize) }
        let graph = GRUTrainingGraph(architecture: a, maxBatch: batch, maxSteps: steps)
        let (_, grads) = TrainingGraphTests.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph)
        let epsilon: Float = 1e-2
        var worst: Float = 0
        for i in stride(from: 0, to: p.count, by: max(p.count / 60, 1)) {
            let saved = p.values[i]
            p.values[i] = saved + epsilon
            let plus = TrainingGraphTests.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph).0
            p.values[i] = saved - epsilon
            let minus = TrainingGraphTests.loss(p, x: x, targets: targets, batch: batch, steps: steps, graph: graph).0
            p.values[i] = saved
            let numeric = (plus - minus) / (2 * epsilon)
            let error = abs(numeric - grads[i]) / max(abs(numeric), abs(grads[i]), 1e-2)
            worst = max(worst, error)
        }
        #expect(worst < 2e-2, "worst relative error \(worst)")
    }
}
