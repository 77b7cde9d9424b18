import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The committed goldens of scripts/make-lstm-goldens.py (PyTorch nn.LSTM + nn.Linear, float32, one thread).
enum LSTMGoldens {
    static let cases: [String] = {
        guard let manifest = try? Fixtures.json("lstm/manifest.json"), let cases = manifest["cases"] as? [String: Any]
        else { return [] }
        return cases.keys.sorted()
    }()

    static func window(_ name: String) throws -> Int? {
        let cases = try Fixtures.json("lstm/manifest.json")["cases"] as! [String: Any]
        return (cases[name] as! [String: Any])["window"] as? Int
    }

    static func model(_ name: String) throws -> GRUModel {
        try GRUModel.load(Fixtures.url("lstm/\(name)/model.safetensors"))
    }

    static func tensor(_ name: String, _ file: String) throws -> Tensor {
        try NPYFile.read(Fixtures.url("lstm/\(name)/\(file).npy"))
    }

    /// Runs `input` through `runner` in chunks of the given sizes (cycled); returns outputs and top hidden.
    static func run(_ runner: GRURunner, _ input: Tensor, chunks: [Int]) -> (outputs: [Float], top: [Float]) {
        let model = runner.model
        var outputs = [Float](repeating: 0, count: input.rows * model.outputSize)
        var top = [Float](repeating: 0, count: input.rows * model.topSize)
        var t = 0
        var c = 0
        while t < input.rows {
            let n = min(chunks[c % chunks.count], input.rows - t)
            let frames = Array(input.scalars[(t * model.inputSize)..<((t + n) * model.inputSize)])
            frames.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { y in
                    top.withUnsafeMutableBufferPointer { h in
                        let y = UnsafeMutableBufferPointer(rebasing: y[(t * model.outputSize)...])
                        let h = UnsafeMutableBufferPointer(rebasing: h[(t * model.topSize)...])
                        runner.run(x, count: n, outputs: y, topHidden: h)
                    }
                }
            }
            t += n
            c += 1
        }
        return (outputs, top)
    }
}

@Suite("LSTM")
struct LSTMTests {
    /// The GRU goldens' tolerance (max |error| against float32 PyTorch).
    static let tolerance: Float = 1e-5

    @Test(
        "carry mode: outputs, top hidden, h_n and c_n match PyTorch", arguments: KernelFamilies.runnable,
        LSTMGoldens.cases)
    func matchesReference(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try LSTMGoldens.model(name)
            #expect(model.cell == .lstm && model.hasCellState)
            let input = try LSTMGoldens.tensor(name, "input")
            let runner = try GRURunner(
                model: model, mode: .carry, initialState: LSTMGoldens.tensor(name, "h0"),
                initialCell: LSTMGoldens.tensor(name, "c0"))
            let (outputs, top) = LSTMGoldens.run(runner, input, chunks: [input.rows])
            for (label, computed, file) in [
                ("output", outputs, "output"), ("hidden", top, "hidden"), ("final", runner.hidden.scalars, "final"),
                ("final_cell", try #require(runner.cell).scalars, "final_cell"),
            ] {
                let expected = try LSTMGoldens.tensor(name, file)
                #expect(computed.count == expected.scalars.count, "\(name) \(label): size")
                let check = Closeness(
                    "\(name) \(label)", computed: computed, expected: expected.scalars, tolerance: Self.tolerance)
                #expect(check.passed, "\(check)")
                print(check)
            }
        }
    }

    @Test("window mode matches PyTorch's re-run windows", arguments: KernelFamilies.runnable, LSTMGoldens.cases)
    func windowMatchesReference(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let n = try #require(try LSTMGoldens.window(name))
            let model = try LSTMGoldens.model(name)
            let input = try LSTMGoldens.tensor(name, "input")
            let runner = try GRURunner(
                model: model, mode: .window(n), initialState: LSTMGoldens.tensor(name, "h0"),
                initialCell: LSTMGoldens.tensor(name, "c0"))
            let (outputs, _) = LSTMGoldens.run(runner, input, chunks: [1, 4, 9])
            let check = Closeness(
                "\(name) window:\(n)", computed: outputs,
                expected: try LSTMGoldens.tensor(name, "window_output").scalars, tolerance: Self.tolerance)
            #expect(check.passed, "\(check)")
            print(check)
        }
    }

    @Test(
        "any chunking, one frame at a time and a restored snapshot give the same bits",
        arguments: KernelFamilies.runnable, LSTMGoldens.cases)
    func chunkExactness(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try LSTMGoldens.model(name)
            let input = try LSTMGoldens.tensor(name, "input")
            let h0 = try LSTMGoldens.tensor(name, "h0")
            let c0 = try LSTMGoldens.tensor(name, "c0")
            let whole = try GRURunner(model: model, initialState: h0, initialCell: c0)
            let reference = LSTMGoldens.run(whole, input, chunks: [input.rows])
            for chunks in [[1], [7], [3, 1, 13, 2]] {
                let runner = try GRURunner(model: model, initialState: h0, initialCell: c0)
                let result = LSTMGoldens.run(runner, input, chunks: chunks)
                #expect(result.outputs == reference.outputs, "\(name): outputs differ with chunks \(chunks)")
                #expect(result.top == reference.top, "\(name): top hidden differs with chunks \(chunks)")
                #expect(runner.state == whole.state, "\(name): state differs with chunks \(chunks)")
            }
            // A snapshot after 10 frames, restored into a fresh runner, continues with the same bits.
            let first = try GRURunner(model: model, initialState: h0, initialCell: c0)
            let head = Tensor(shape: [10, model.inputSize], scalars: Array(input.scalars[..<(10 * model.inputSize)]))
            let tail = Tensor(
                shape: [input.rows - 10, model.inputSize], scalars: Array(input.scalars[(10 * model.inputSize)...]))
            _ = LSTMGoldens.run(first, head, chunks: [4])
            let snapshot = first.state
            #expect(snapshot.cell != nil && snapshot.cell != snapshot.hidden)
            let second = try GRURunner(model: model)
            try second.restore(snapshot)
            let continued = LSTMGoldens.run(second, tail, chunks: [5])
            #expect(continued.outputs == Array(reference.outputs[(10 * model.outputSize)...]))
            #expect(second.state == whole.state)
            second.reset()
            #expect(second.cell == Tensor(zeros: [model.stateRows, model.hiddenSize]))
        }
    }

    @Test("B streams stepped together == each stream alone, bit for bit", arguments: KernelFamilies.runnable)
    func batchEqualsSingle(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let name = "lstm_l2_h64_prefix_softmax"
            let model = try LSTMGoldens.model(name)
            let input = try LSTMGoldens.tensor(name, "input")
            let streams = 3
            let o = model.outputSize
            let batch = try GRUBatchRunner(model: model, streams: streams)
            let singles = try (0..<streams).map { _ in try GRURunner(model: model) }
            var outputs = [Float](repeating: 0, count: streams * o)
            var single = [Float](repeating: 0, count: o)
            for t in 0..<input.rows {
                if t == 9 {
                    batch.reset(stream: 1)
                    singles[1].reset()
                }
                let frames = (0..<streams).flatMap { input.row((t + 5 * $0) % input.rows) }
                frames.withUnsafeBufferPointer { x in
                    outputs.withUnsafeMutableBufferPointer { batch.step(x, outputs: $0) }
                }
                for s in 0..<streams {
                    Array(input.row((t + 5 * s) % input.rows)).withUnsafeBufferPointer { x in
                        single.withUnsafeMutableBufferPointer { singles[s].step(x, output: $0) }
                    }
                    #expect(Array(outputs[(s * o)..<((s + 1) * o)]) == single, "stream \(s) frame \(t)")
                }
            }
            // load / store carry c with h: a stream moved through the batch continues alone with the same bits.
            batch.store(stream: 2, into: singles[0])
            #expect(singles[0].state == singles[2].state)
        }
    }

    @Test func describesTheModels() throws {
        let plain = try LSTMGoldens.model("lstm_l1_h8")  // no metadata: prefix `lstm.` and the cell from the shapes
        #expect(plain.metadata.gruPrefix == "lstm." && plain.cell == .lstm)
        // PyTorch: 4H(I+H) + 8H per layer, plus the head.
        #expect(plain.parameterCount == 32 * (5 + 8) + 64 + 3 * 8 + 3)
        #expect(plain.flopsPerStep == 2 * 32 * (5 + 8) + 2 * 3 * 8)
        #expect(plain.summary.contains("pytorch LSTM 5 → 1×8"))
        let prefixed = try LSTMGoldens.model("lstm_l2_h64_prefix_softmax")
        #expect(prefixed.layerCount == 2 && prefixed.hiddenSize == 64 && prefixed.labels.count == 4)
        let bare = try LSTMGoldens.model("lstm_l3_h20_nobias_nohead")
        #expect(
            bare.headSize == nil && bare.outputSize == 20 && bare.parameterCount == 3 * 80 * 20 + 80 * 7 + 2 * 80 * 20)
        // A GRU model refuses an initial cell state; the cell named in the metadata must match the shapes.
        let gru = try GRUGoldens.model("torch_l1_h8")
        #expect(gru.cell == .gru && !gru.hasCellState)
        #expect(throws: ModelLoadError.self) { try GRURunner(model: gru, initialCell: Tensor(zeros: [1, 8])) }
        let file = try SafetensorsFile(contentsOf: Fixtures.url("gru/torch_l1_h8/model.safetensors"))
        let tensors = try file.tensorNames.map { ($0, try file.tensor($0)) }
        let mislabelled = SafetensorsFile.encode(tensors, metadata: ["grustream": "{\"cell\": \"lstm\"}"])
        #expect {
            try GRUModel(file: SafetensorsFile(data: mislabelled, name: "m.safetensors"))
        } throws: { error in
            "\(error)"
                == "m.safetensors: \"gru.weight_hh_l0\" is [24, 8], expected [4*hidden, hidden] (metadata cell \"lstm\")"
        }
    }
}
