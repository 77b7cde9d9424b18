import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// Malformed models, built by editing the tensors of a golden model.
@Suite("GRU model loading")
struct ModelLoadTests {
    /// The tensors of torch_l1_h8 (I = 5, H = 8, O = 3), in file order.
    static func tensors(_ name: String = "torch_l1_h8") throws -> ([(String, Tensor)], [String: String]) {
        let file = try SafetensorsFile(contentsOf: Fixtures.url("gru/\(name)/model.safetensors"))
        return (try file.tensorNames.map { ($0, try file.tensor($0)) }, file.metadata)
    }

    static func load(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> GRUModel {
        let data = SafetensorsFile.encode(tensors, metadata: metadata)
        return try GRUModel(file: try SafetensorsFile(data: data, name: "kws.safetensors"))
    }

    @Test func loadsThePlainTorchModel() throws {
        let model = try Self.load(try Self.tensors().0)
        #expect(model.inputSize == 5 && model.hiddenSize == 8 && model.layerCount == 1 && model.outputSize == 3)
        #expect(model.mode == .carry && model.form == .pytorch && model.grustreamMetadata == nil)
        #expect(model.summary.contains("pytorch GRU 5 → 1×8 → head 3"))
    }

    @Test func namesThePipelineWhenTheInputWidthDiffers() throws {
        let model = try Self.load(try Self.tensors().0)
        try model.requireInputSize(5, source: "unused")
        expectMessage(
            ModelLoadError.self,
            containing: #"kws.safetensors: "gru.weight_ih_l0" is [24, 5], expected [24, 13] "#
                + "(pipelines/kws.toml: features.mfcc.coefficients = 13)"
        ) { try model.requireInputSize(13, source: "pipelines/kws.toml: features.mfcc.coefficients = 13") }
    }

    @Test func refusesMissingTensor() throws {
        let tensors = try Self.tensors().0.filter { $0.0 != "gru.bias_hh_l0" }
        expectMessage(ModelLoadError.self, containing: "kws.safetensors: missing tensor \"gru.bias_hh_l0\" [24]") {
            _ = try Self.load(tensors)
        }
        expectMessage(ModelLoadError.self, containing: "missing tensor \"rnn.weight_ih_l0\"") {
            _ = try Self.load(try Self.tensors().0, metadata: ["grustream": #"{"gru_prefix": "rnn."}"#])
        }
    }

    @Test func refusesExtraTensor() throws {
        let tensors = try Self.tensors().0 + [("gru.weight_ih_l0_extra", Tensor(zeros: [2]))]
        expectMessage(
            ModelLoadError.self, containing: "kws.safetensors: unexpected tensor \"gru.weight_ih_l0_extra\" [2]"
        ) {
            _ = try Self.load(tensors)
        }
    }

    @Test func refusesWrongShape() throws {
        let tensors = try Self.tensors().0.map { name, t in
            name == "gru.weight_hh_l0" ? (name, Tensor(zeros: [24, 7])) : (name, t)
        }
        expectMessage(
            ModelLoadError.self, containing: "kws.safetensors: \"gru.weight_hh_l0\" is [24, 7], expected [24, 8]"
        ) {
            _ = try Self.load(tensors)
        }
        let head = try Self.tensors().0.map { name, t in
            name == "linear.weight" ? (name, Tensor(zeros: [3, 9])) : (name, t)
        }
        expectMessage(ModelLoadError.self, containing: "\"linear.weight\" is [3, 9], expected [3, 8]") {
            _ = try Self.load(head)
        }
    }

    @Test func refusesNonFiniteWeight() throws {
        let tensors = try Self.tensors().0.map { name, t in
            var t = t
            if name == "gru.weight_ih_l0" { t.scalars[17] = .nan }
            return (name, t)
        }
        expectMessage(ModelLoadError.self, containing: "\"gru.weight_ih_l0\" [24, 5] holds nan at flat index 17") {
            _ = try Self.load(tensors)
        }
    }

    @Test func refusesBadMetadata() throws {
        let (tensors, _) = try Self.tensors()
        expectMessage(ModelLoadError.self, containing: "\"mode\" is \"stream\", expected \"carry\" or \"window:N\"") {
            _ = try Self.load(tensors, metadata: ["grustream": #"{"mode": "stream"}"#])
        }
        expectMessage(ModelLoadError.self, containing: "\"gate_activation\" is \"relu\", not a known value") {
            _ = try Self.load(tensors, metadata: ["grustream": #"{"gate_activation": "relu"}"#])
        }
        expectMessage(ModelLoadError.self, containing: "2 labels for 3 outputs") {
            _ = try Self.load(tensors, metadata: ["grustream": #"{"labels": ["a", "b"]}"#])
        }
        let model = try Self.load(
            tensors,
            metadata: [
                "grustream": #"{"mode": "window:20", "features": {"kind": "mfcc"}, "detector": {"threshold": 0.5}}"#
            ])
        #expect(model.mode == .window(20))
        #expect((model.grustreamMetadata?["features"] as? [String: Any])?["kind"] as? String == "mfcc")
    }

    @Test func loadsWithoutBiasesAndWithoutHead() throws {
        let model = try GRUGoldens.model("torch_l2_h64_nobias_softmax")
        #expect(model.parameterCount == 192 * 13 + 192 * 64 + 192 * 64 * 2 + 4 * 64)
        let headless = try Self.load(try Self.tensors().0.filter { !$0.0.hasPrefix("linear.") })
        #expect(headless.headSize == nil && headless.outputSize == 8)
    }

    @Test func keraslayoutConvertsToPyTorchGateOrder() throws {
        // A Keras model whose z, r, h kernel blocks are filled with 1, 2, 3: PyTorch order r, z, n → 2, 1, 3.
        let i = 2
        let h = 2
        var kernel = Tensor(zeros: [i, 3 * h])
        for row in 0..<i { for c in 0..<(3 * h) { kernel.scalars[row * 3 * h + c] = Float(c / h + 1) } }
        let recurrent = Tensor(zeros: [h, 3 * h])
        let model = try Self.load(
            [
                ("gru.kernel_l0", kernel), ("gru.recurrent_kernel_l0", recurrent),
                ("gru.bias_l0", Tensor(zeros: [3 * h])),
            ],
            metadata: [
                "grustream": #"{"form": "keras", "gate_activation": "hard_sigmoid", "candidate_activation": "linear"}"#
            ])
        // x = [1, 0]: z = r = clip(0.2·pre + 0.5), n = 3 (linear, h = 0): h' = (1 − z)·3 with z = clip(0.2·1 + 0.5) = 0.7.
        let out = try model.infer(Tensor(shape: [1, 2], scalars: [1, 0]))
        #expect(out.outputs.scalars.map { ($0 * 1e5).rounded() / 1e5 } == [0.9, 0.9])
        expectMessage(ModelLoadError.self, containing: "\"gru.recurrent_kernel_l0\" is [2, 5], expected [2, 6]") {
            _ = try Self.load(
                [("gru.kernel_l0", kernel), ("gru.recurrent_kernel_l0", Tensor(zeros: [2, 5]))],
                metadata: ["grustream": #"{"form": "keras"}"#])
        }
    }
}
