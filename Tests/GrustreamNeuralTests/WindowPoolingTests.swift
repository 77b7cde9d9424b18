import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The committed goldens of scripts/make-attention-goldens.py (PyTorch `PooledRNN`: nn.GRU / nn.LSTM, mean or
/// attention pooling over the window, nn.Linear; float32, one thread).
enum PoolingGoldens {
    static let cases: [String] = {
        guard let manifest = try? Fixtures.json("attention/manifest.json"),
            let cases = manifest["cases"] as? [String: Any]
        else { return [] }
        return cases.keys.sorted()
    }()

    static func parameters(_ name: String) throws -> [String: Any] {
        let cases = try Fixtures.json("attention/manifest.json")["cases"] as! [String: Any]
        return cases[name] as! [String: Any]
    }

    static func model(_ name: String) throws -> GRUModel {
        try GRUModel.load(Fixtures.url("attention/\(name)/model.safetensors"))
    }

    static func tensor(_ name: String, _ file: String) throws -> Tensor {
        try NPYFile.read(Fixtures.url("attention/\(name)/\(file).npy"))
    }

    /// The golden model file's tensors with `change` applied, loaded under `metadata` (nil: the file's).
    static func altered(
        _ name: String, metadata: String? = nil, _ change: (inout [(String, Tensor)]) -> Void
    ) throws -> GRUModel {
        let file = try SafetensorsFile(contentsOf: Fixtures.url("attention/\(name)/model.safetensors"))
        var tensors = try file.tensorNames.map { ($0, try file.tensor($0)) }
        change(&tensors)
        let data = SafetensorsFile.encode(tensors, metadata: ["grustream": metadata ?? file.metadata["grustream"]!])
        return try GRUModel(file: SafetensorsFile(data: data, name: "m.safetensors"))
    }
}

@Suite("Window pooling (mean, attention)")
struct WindowPoolingTests {
    /// The GRU goldens' tolerance (max |error| against float32 PyTorch).
    static let tolerance: Float = 1e-5

    @Test(
        "window outputs and pooling weights match PyTorch, fed in any chunks", arguments: KernelFamilies.runnable,
        PoolingGoldens.cases)
    func matchesReference(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let p = try PoolingGoldens.parameters(name)
            let n = p["window"] as! Int
            let model = try PoolingGoldens.model(name)
            #expect(model.pooling.rawValue == p["pooling"] as! String && model.mode == .window(n))
            let input = try PoolingGoldens.tensor(name, "input")
            let expected = try PoolingGoldens.tensor(name, "window_output").scalars
            for chunks in [[1], [4, 9, 2]] {
                let runner = try GRURunner(model: model)
                let (outputs, _) = LSTMGoldens.run(runner, input, chunks: chunks)
                let check = Closeness(
                    "\(name) chunks \(chunks)", computed: outputs, expected: expected, tolerance: Self.tolerance)
                #expect(check.passed, "\(check)")
                print(check)
            }
            // Frame by frame, the published weights are those of each frame's window.
            let weights = try PoolingGoldens.tensor(name, "window_weights").scalars
            let runner = try GRURunner(model: model)
            var computed: [Float] = []
            var output = [Float](repeating: 0, count: model.outputSize)
            for t in 0..<input.rows {
                Array(input.row(t)).withUnsafeBufferPointer { x in
                    output.withUnsafeMutableBufferPointer { runner.step(x, output: $0) }
                }
                if let w = runner.poolingWeights {
                    #expect(w.count == n)
                    computed += w
                }
            }
            if model.pooling == .last {
                #expect(runner.poolingWeights == nil)
            } else {
                let check = Closeness(
                    "\(name) pooling weights", computed: computed, expected: weights, tolerance: Self.tolerance)
                #expect(check.passed, "\(check)")
                print(check)
            }
        }
    }

    @Test(
        "any chunking and a restored snapshot give the same bits", arguments: KernelFamilies.runnable,
        PoolingGoldens.cases)
    func chunkExactness(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try PoolingGoldens.model(name)
            let input = try PoolingGoldens.tensor(name, "input")
            let whole = try GRURunner(model: model)
            let reference = LSTMGoldens.run(whole, input, chunks: [input.rows])
            for chunks in [[1], [7], [3, 1, 13, 2]] {
                let runner = try GRURunner(model: model)
                let result = LSTMGoldens.run(runner, input, chunks: chunks)
                #expect(result.outputs == reference.outputs, "\(name): outputs differ with chunks \(chunks)")
                #expect(result.top == reference.top, "\(name): top hidden differs with chunks \(chunks)")
                #expect(runner.state == whole.state)
            }
            let cut = 10
            let first = try GRURunner(model: model)
            let head = Tensor(shape: [cut, model.inputSize], scalars: Array(input.scalars[..<(cut * model.inputSize)]))
            let tail = Tensor(
                shape: [input.rows - cut, model.inputSize], scalars: Array(input.scalars[(cut * model.inputSize)...]))
            _ = LSTMGoldens.run(first, head, chunks: [4])
            let second = try GRURunner(model: model)
            try second.restore(first.state)
            let continued = LSTMGoldens.run(second, tail, chunks: [5])
            #expect(continued.outputs == Array(reference.outputs[(cut * model.outputSize)...]))
            // infer() runs the same runner.
            let inferred = try model.infer(input, chunk: 3)
            #expect(inferred.outputs.scalars == reference.outputs)
        }
    }

    @Test func describesTheModels() throws {
        let gru = try PoolingGoldens.model("gru_attention_l1_h8")
        #expect(gru.attention?.size == 4 && gru.labels == ["a", "b", "c"])
        // GRU 3H(I+H) + 6H, attention A·H + A + A, head O·H + O
        #expect(gru.parameterCount == 24 * (5 + 8) + 48 + (4 * 8 + 4 + 4) + (3 * 8 + 3))
        #expect(gru.summary.contains("1×8 → attention pooling (4) → head 3 (softmax)"))
        let lstm = try PoolingGoldens.model("lstm_attention_l2_h20")  // pooling found from the tensors
        #expect(lstm.pooling == .attention && lstm.cell == .lstm && lstm.attention?.size == 8)
        let bidirectional = try PoolingGoldens.model("gru_bidir_attention_nohead")
        #expect(bidirectional.attention?.projectionBias == nil && bidirectional.outputSize == 16)
        let mean = try PoolingGoldens.model("lstm_bidir_mean_l2_h6")
        #expect(mean.pooling == .mean && mean.attention == nil && mean.summary.contains("mean pooling"))
    }

    @Test func poolingNeedsWindowMode() throws {
        let model = try PoolingGoldens.model("gru_attention_l1_h8")
        #expect {
            try GRURunner(model: model, mode: .carry)
        } throws: { error in
            "\(error)".contains("attention pooling needs window mode") && "\(error)".contains("window:N")
        }
        #expect(throws: ModelLoadError.self) { try GRUBatchRunner(model: model, streams: 2) }
        #expect(throws: ModelLoadError.self) { try model.infer(Tensor(zeros: [3, 5]), mode: .carry) }
    }

    @Test func refusesBadAttentionTensors() throws {
        let name = "gru_attention_l1_h8"
        func message(metadata: String? = nil, _ change: (inout [(String, Tensor)]) -> Void) -> String {
            do {
                _ = try PoolingGoldens.altered(name, metadata: metadata, change)
                return "loaded"
            } catch { return "\(error)" }
        }
        func replace(_ tensor: String, _ shape: [Int]) -> (inout [(String, Tensor)]) -> Void {
            { tensors in
                let i = tensors.firstIndex { $0.0 == tensor }!
                tensors[i].1 = Tensor(zeros: shape)
            }
        }
        #expect(
            message(replace("attention.proj.weight", [4, 9]))
                == "m.safetensors: \"attention.proj.weight\" is [4, 9], expected [attention, 8] (attention ≥ 1; 8 = the top layer's width)"
        )
        #expect(
            message(replace("attention.score.weight", [1, 5]))
                == "m.safetensors: \"attention.score.weight\" is [1, 5], expected [1, 4]")
        #expect(
            message(replace("attention.score.weight", [4]))
                == "m.safetensors: \"attention.score.weight\" is [4], expected [1, 4]")
        #expect(
            message(replace("attention.proj.bias", [3]))
                == "m.safetensors: \"attention.proj.bias\" is [3], expected [4]")
        #expect(
            message(replace("attention.proj.weight", [0, 8])).hasPrefix(
                "m.safetensors: \"attention.proj.weight\" is [0, 8], expected [attention, 8]"))
        #expect(
            message { $0.removeAll { $0.0 == "attention.score.weight" } }
                == "m.safetensors: missing tensor \"attention.score.weight\" [1, 4]")
        #expect(
            message { $0.removeAll { $0.0.hasPrefix("attention.") } }.hasPrefix(
                "m.safetensors: metadata pooling \"attention\" needs tensor \"attention.proj.weight\" [attention, 8]"))
        // Attention tensors in a model whose metadata says mean pooling are not silently ignored.
        #expect(
            message(metadata: "{\"pooling\": \"mean\", \"mode\": \"window:6\"}") { _ in }.hasPrefix(
                "m.safetensors: unexpected tensor \"attention."))
        #expect(
            message(metadata: "{\"pooling\": \"max\"}") { _ in }
                == "m.safetensors: grustream metadata \"pooling\" is \"max\", not a known value")
        // Non-finite attention weights are refused like any weight.
        #expect(
            message { tensors in
                let i = tensors.firstIndex { $0.0 == "attention.score.weight" }!
                tensors[i].1 = Tensor(shape: [1, 4], scalars: [0, .nan, 0, 0])
            }.contains("\"attention.score.weight\" [1, 4] holds nan at flat index 1"))
    }
}
