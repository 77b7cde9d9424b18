import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// Exactness across chunks, batches and windows: `==`, not a tolerance.
@Suite("GRU streaming")
struct GRUStreamingTests {
    static let streamingCases = GRUGoldens.cases.filter { !$0.contains("bidir") }

    @Test(
        "chunk sizes 1, 7, 100, T give identical outputs and state", arguments: KernelFamilies.runnable, streamingCases)
    func chunkExactness(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model(name)
            let input = try #require(try GRUGoldens.tensor(name, "input"))
            let h0 = try GRUGoldens.tensor(name, "h0")
            // Chunk T (and 100 ≥ T, the goldens being shorter) is the whole input in one `run`.
            #expect(input.rows <= 100)
            let whole = try model.infer(input, chunk: input.rows, h0: h0, mode: .carry)
            for chunk in [1, 7] {
                let chunked = try model.infer(input, chunk: chunk, h0: h0, mode: .carry)
                #expect(chunked.outputs == whole.outputs, "\(name): outputs differ with chunk \(chunk)")
                #expect(chunked.hidden == whole.hidden, "\(name): top hidden differs with chunk \(chunk)")
                #expect(chunked.final == whole.final, "\(name): final state differs with chunk \(chunk)")
            }
        }
    }

    @Test(
        "one frame at a time through step == run", arguments: KernelFamilies.runnable,
        ["torch_l2_h128", "keras_precise_h20"])
    func stepEqualsRun(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model(name)
            let input = try #require(try GRUGoldens.tensor(name, "input"))
            let runner = try GRURunner(model: model, mode: .carry)
            var outputs = [Float](repeating: 0, count: input.rows * model.outputSize)
            var frame = [Float](repeating: 0, count: model.outputSize)
            for t in 0..<input.rows {
                let x = Array(input.row(t))
                x.withUnsafeBufferPointer { x in frame.withUnsafeMutableBufferPointer { runner.step(x, output: $0) } }
                outputs.replaceSubrange((t * model.outputSize)..<((t + 1) * model.outputSize), with: frame)
            }
            let whole = try model.infer(input, mode: .carry)
            #expect(outputs == whole.outputs.scalars)
            #expect(runner.hidden == whole.final)
            runner.reset()
            #expect(runner.hidden == Tensor(zeros: [model.stateRows, model.hiddenSize]))
        }
    }

    @Test(
        "B streams stepped together == each stream alone, bit for bit", arguments: KernelFamilies.runnable,
        streamingCases)
    func batchEqualsSingle(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model(name)
            let input = try #require(try GRUGoldens.tensor(name, "input"))
            let streams = 3
            let frames = min(input.rows, 16)  // debug-mode time; the reset at frame 11 is inside
            let n = model.inputSize
            let o = model.outputSize
            // Stream s sees the input shifted by s frames (wrapping), so streams differ.
            func frame(_ s: Int, _ t: Int) -> ArraySlice<Float> { input.row((t + 5 * s) % input.rows) }
            var h0 = [Float]()
            for s in 0..<streams {
                h0 += (0..<(model.layerCount * model.hiddenSize)).map { Float(($0 + s) % 7) * 0.1 - 0.3 }
            }
            let h0Tensor = Tensor(shape: [streams, model.layerCount, model.hiddenSize], scalars: h0)
            let batch = try GRUBatchRunner(model: model, streams: streams, initialState: h0Tensor)
            let singles = try (0..<streams).map { s in
                try GRURunner(
                    model: model, mode: .carry,
                    initialState: Tensor(
                        shape: [model.layerCount, model.hiddenSize],
                        scalars: Array(
                            h0[
                                (s * model.layerCount * model.hiddenSize)..<((s + 1) * model.layerCount
                                    * model.hiddenSize)])
                    ))
            }
            var batchOutputs = [Float](repeating: 0, count: streams * o)
            var singleOutput = [Float](repeating: 0, count: o)
            for t in 0..<frames {
                if t == 11 {  // a reset in the middle, one stream only
                    batch.reset(stream: 1)
                    singles[1].reset()
                }
                let inputs = (0..<streams).flatMap { frame($0, t) }
                inputs.withUnsafeBufferPointer { x in
                    batchOutputs.withUnsafeMutableBufferPointer { batch.step(x, outputs: $0) }
                }
                for s in 0..<streams {
                    Array(frame(s, t)).withUnsafeBufferPointer { x in
                        singleOutput.withUnsafeMutableBufferPointer { singles[s].step(x, output: $0) }
                    }
                    #expect(
                        Array(batchOutputs[(s * o)..<((s + 1) * o)]) == singleOutput, "\(name): stream \(s) frame \(t)")
                }
            }
            for s in 0..<streams { #expect(batch.hidden(stream: s) == singles[s].hidden, "\(name): stream \(s) state") }
            _ = n
        }
    }

    /// The daemon's case: streams keep their own `GRURunner` (and may run chunks alone); whichever have a frame
    /// are loaded into the first rows of a batch, stepped together and stored back.
    @Test(
        "streams stepped through changing subsets of a batch (load, step count:, store) == each alone",
        arguments: KernelFamilies.runnable)
    func batchSubsetsEqualSingle(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model("torch_l2_h128")
            let input = try #require(try GRUGoldens.tensor("torch_l2_h128", "input"))
            let streams = 4
            let o = model.outputSize
            let batch = try GRUBatchRunner(model: model, streams: streams)
            let owned = try (0..<streams).map { _ in try GRURunner(model: model, mode: .carry) }
            let alone = try (0..<streams).map { _ in try GRURunner(model: model, mode: .carry) }
            var next = [Int](repeating: 0, count: streams)  // each stream's next frame
            var outputs = [Float](repeating: 0, count: streams * o)
            var single = [Float](repeating: 0, count: o)
            var generator = SystemRandomNumberGenerator()
            for round in 0..<24 {
                // A random subset has a frame this round (as sensor producers whose frames arrive when they do).
                let active = (0..<streams).filter { _ in Bool.random(using: &generator) }
                guard !active.isEmpty else { continue }
                if round % 5 == 4, let s = active.first {  // sometimes a stream runs a 3-frame chunk on its own runner
                    let x = Array((0..<3).flatMap { input.row((next[s] + $0 + 7 * s) % input.rows) })
                    var y = [Float](repeating: 0, count: 3 * o)
                    x.withUnsafeBufferPointer { x in
                        y.withUnsafeMutableBufferPointer { owned[s].run(x, count: 3, outputs: $0) }
                        y.withUnsafeMutableBufferPointer { alone[s].run(x, count: 3, outputs: $0) }
                    }
                    next[s] += 3
                }
                let x = active.flatMap { input.row((next[$0] + 7 * $0) % input.rows) }
                for (row, s) in active.enumerated() { batch.load(stream: row, from: owned[s]) }
                x.withUnsafeBufferPointer { x in
                    outputs.withUnsafeMutableBufferPointer { batch.step(x, outputs: $0, count: active.count) }
                }
                for (row, s) in active.enumerated() {
                    batch.store(stream: row, into: owned[s])
                    Array(input.row((next[s] + 7 * s) % input.rows)).withUnsafeBufferPointer { x in
                        single.withUnsafeMutableBufferPointer { alone[s].step(x, output: $0) }
                    }
                    #expect(Array(outputs[(row * o)..<((row + 1) * o)]) == single, "round \(round), stream \(s)")
                    next[s] += 1
                }
            }
            for s in 0..<streams { #expect(owned[s].hidden == alone[s].hidden, "stream \(s) state") }
            #expect(next.reduce(0, +) > 20)
        }
    }

    @Test(
        "window mode == a fresh run over the last N frames (zero frames before the start)",
        arguments: KernelFamilies.runnable)
    func windowEqualsRerun(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model("torch_l3_h8_prefix_norm")
            let input = try #require(try GRUGoldens.tensor("torch_l3_h8_prefix_norm", "input"))
            let h0 = try #require(try GRUGoldens.tensor("torch_l3_h8_prefix_norm", "h0"))
            let n = 9
            let windowed = try model.infer(input, chunk: 4, h0: h0, mode: .window(n))
            for t in 0..<input.rows {
                var frames = [Float](repeating: 0, count: n * model.inputSize)
                for k in 0..<n where t - (n - 1) + k >= 0 {
                    frames.replaceSubrange(
                        (k * model.inputSize)..<((k + 1) * model.inputSize), with: input.row(t - (n - 1) + k))
                }
                let direct = try model.infer(
                    Tensor(shape: [n, model.inputSize], scalars: frames), h0: h0, mode: .carry)
                #expect(Array(windowed.outputs.row(t)) == Array(direct.outputs.row(n - 1)), "frame \(t)")
                if t == input.rows - 1 { #expect(windowed.final == direct.final) }
            }
        }
    }

    @Test(
        "a bidirectional model runs offline and in window mode; carry mode refuses it",
        arguments: KernelFamilies.runnable)
    func bidirectional(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model("torch_bidir_l2_h8")
            let input = try #require(try GRUGoldens.tensor("torch_bidir_l2_h8", "input"))
            let error = #expect(throws: ModelLoadError.self) { try GRURunner(model: model, mode: .carry) }
            #expect(
                error?.description.contains("carry mode cannot run a bidirectional GRU") == true,
                "\(String(describing: error))")
            #expect(throws: ModelLoadError.self) { try GRUBatchRunner(model: model, streams: 2) }
            #expect(throws: ModelLoadError.self) { try model.infer(input, chunk: 5, mode: .carry) }
            // Window mode: the last frame's output of the offline run over that window.
            let n = 5
            let windowed = try model.infer(input, chunk: 3, mode: .window(n))
            let t = 12
            let slice = Tensor(
                shape: [n, model.inputSize],
                scalars: Array(input.scalars[((t - n + 1) * model.inputSize)..<((t + 1) * model.inputSize)]))
            let offline = try model.infer(slice, mode: .carry)
            #expect(Array(windowed.outputs.row(t)) == Array(offline.outputs.row(n - 1)))
        }
    }

    @Test("inputs with NaN or the wrong width are refused")
    func badInputs() throws {
        let model = try GRUGoldens.model("torch_l1_h8")
        var x = Tensor(zeros: [4, model.inputSize])
        x.scalars[6] = .nan
        let nan = #expect(throws: ModelLoadError.self) { try model.infer(x) }
        #expect(nan?.description.contains("frame 1, column 1 is nan") == true, "\(String(describing: nan))")
        let wide = #expect(throws: ModelLoadError.self) { try model.infer(Tensor(zeros: [4, model.inputSize + 1])) }
        #expect(wide?.description.contains("expected [frames, 5]") == true, "\(String(describing: wide))")
        #expect(throws: ModelLoadError.self) { try GRURunner(model: model, initialState: Tensor(zeros: [2, 8])) }
    }

    @Test("state snapshots restore exactly", arguments: KernelFamilies.runnable)
    func snapshot(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model("keras_precise_h20")
            let input = try #require(try GRUGoldens.tensor("keras_precise_h20", "input"))
            let runner = try GRURunner(model: model)
            var a = [Float](repeating: 0, count: input.rows * model.outputSize)
            var b = a
            let half = input.rows / 2
            input.scalars.withUnsafeBufferPointer { x in
                a.withUnsafeMutableBufferPointer { runner.run(x, count: input.rows, outputs: $0) }
            }
            runner.reset()
            input.scalars.withUnsafeBufferPointer { x in
                b.withUnsafeMutableBufferPointer { runner.run(x, count: half, outputs: $0) }
            }
            let saved = runner.state
            let other = try GRURunner(model: model)
            try other.restore(saved)
            input.scalars.withUnsafeBufferPointer { x in
                b.withUnsafeMutableBufferPointer { y in
                    other.run(
                        UnsafeBufferPointer(rebasing: x[(half * model.inputSize)...]), count: input.rows - half,
                        outputs: UnsafeMutableBufferPointer(rebasing: y[half...]))
                }
            }
            #expect(a == b)
        }
    }
}
