import Foundation
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The committed goldens of scripts/make-gru-goldens.py (PyTorch nn.GRU, Keras 3, numpy Keras 2 reference).
enum GRUGoldens {
    static let cases: [String] = {
        guard let manifest = try? Fixtures.json("gru/manifest.json"), let cases = manifest["cases"] as? [String: Any]
        else { return [] }
        return cases.keys.sorted()
    }()

    static func parameters(_ name: String) throws -> [String: Any] {
        let cases = try Fixtures.json("gru/manifest.json")["cases"] as! [String: Any]
        return cases[name] as! [String: Any]
    }

    static func model(_ name: String) throws -> GRUModel {
        try GRUModel.load(Fixtures.url("gru/\(name)/model.safetensors"))
    }

    static func tensor(_ name: String, _ file: String) throws -> Tensor? {
        let url = Fixtures.url("gru/\(name)/\(file).npy")
        return FileManager.default.fileExists(atPath: url.path) ? try NPYFile.read(url) : nil
    }

    /// Whether the reference applied the model's input normalisation.
    static func normalises(_ model: GRUModel) -> Bool { model.normalisation != nil }
}

@Suite("GRU goldens")
struct GRUGoldenTests {
    static let tolerance: Float = 1e-5

    @Test(
        "outputs, top hidden and final state match the reference", arguments: KernelFamilies.runnable, GRUGoldens.cases)
    func matchesReference(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            let model = try GRUGoldens.model(name)
            let input = try #require(try GRUGoldens.tensor(name, "input"))
            let h0 = try GRUGoldens.tensor(name, "h0")
            let result = try model.infer(input, h0: h0, mode: .carry, applyNormalisation: GRUGoldens.normalises(model))
            for (label, computed, file) in [
                ("output", result.outputs, "output"), ("hidden", result.hidden, "hidden"),
                ("final", result.final, "final"),
            ] {
                let expected = try #require(try GRUGoldens.tensor(name, file))
                #expect(
                    computed.shape == expected.shape, "\(name) \(label): shape \(computed.shape) vs \(expected.shape)")
                let check = Closeness(
                    "\(name) \(label)", computed: computed.scalars, expected: expected.scalars,
                    tolerance: Self.tolerance)
                #expect(check.passed, "\(check)")
                print(check)
            }
        }
    }

    @Test(
        "window-mode outputs match the reference's re-run windows", arguments: KernelFamilies.runnable, GRUGoldens.cases
    )
    func windowMatchesReference(family: KernelFamily, _ name: String) throws {
        try KernelFamilies.with(family) {
            guard let expected = try GRUGoldens.tensor(name, "window_output") else { return }
            let parameters = try GRUGoldens.parameters(name)
            let n = try #require(parameters["window"] as? Int)
            let model = try GRUGoldens.model(name)
            let input = try #require(try GRUGoldens.tensor(name, "input"))
            let h0 = try GRUGoldens.tensor(name, "h0")
            let result = try model.infer(
                input, h0: h0, mode: .window(n), applyNormalisation: GRUGoldens.normalises(model))
            let check = Closeness(
                "\(name) window:\(n) output", computed: result.outputs.scalars, expected: expected.scalars,
                tolerance: Self.tolerance)
            #expect(check.passed, "\(check)")
            print(check)
        }
    }

    @Test func describesTheModels() throws {
        let precise = try GRUGoldens.model("keras_precise_h20")
        #expect(precise.form == .keras)
        #expect(precise.gateActivation == .hardSigmoid)
        #expect(precise.candidateActivation == .linear)
        #expect(precise.mode == .window(12))
        #expect(precise.labels == ["wake-word"])
        #expect(precise.outputSize == 1)
        #expect(precise.grustreamMetadata?["task"] as? String == "classify")

        let prefixed = try GRUGoldens.model("torch_l3_h8_prefix_norm")
        #expect(prefixed.layerCount == 3 && prefixed.hiddenSize == 8 && prefixed.inputSize == 6)
        #expect(prefixed.normalisation?.mean.count == 6)
        #expect(prefixed.outputActivation == .sigmoid)

        let big = try GRUGoldens.model("torch_l2_h128")
        // PyTorch: 3H(I+H) + 6H per layer, plus the head.
        #expect(big.parameterCount == 384 * (40 + 128) + 768 + 384 * 256 + 768 + 12 * 128 + 12)
        #expect(big.flopsPerStep == 2 * 384 * (40 + 128) + 2 * 384 * 256 + 2 * 12 * 128)

        let bidirectional = try GRUGoldens.model("torch_bidir_l2_h8")
        #expect(bidirectional.bidirectional && bidirectional.outputSize == 2 && bidirectional.topSize == 16)
        let nohead = try GRUGoldens.model("torch_nohead_l1_h64")
        #expect(nohead.headSize == nil && nohead.outputSize == 64)
    }
}
