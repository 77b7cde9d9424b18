import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The model's input normalisation has one implementation; every path that normalises must give the same bits.
@Suite("input normalisation")
struct InputNormalisationTests {
    /// (x − mean) / std per input, frame by frame, as PyTorch writes it.
    @Test func dividesEachInputByItsStd() throws {
        let norm = InputNormalisation(mean: [1, -2, 0.5], std: [2, 0.25, 3])
        let frames: [Float] = [3, -1, 0.5, -1, 0, 7, 0.1, 0.2, 0.3]
        let expected = frames.indices.map { (frames[$0] - norm.mean[$0 % 3]) / norm.std[$0 % 3] }
        #expect(norm.applied(frames: frames) == expected)
        var inPlace = frames
        frames.withUnsafeBufferPointer { x in
            inPlace.withUnsafeMutableBufferPointer { norm.apply(x.baseAddress! + 3, into: $0.baseAddress! + 3) }
        }
        #expect(Array(inPlace[3..<6]) == Array(expected[3..<6]) && inPlace[0] == frames[0])
    }

    /// A runner that normalises (`applyNormalisation`, as `eval` and `infer` run models) equals, bit for bit, one
    /// given frames already normalised by `InputNormalisation` (as the daemon's `StreamProcessor` feeds them).
    @Test func runnerNormalisationEqualsTheDaemonsPath() throws {
        let model = try GRUModel.load(Fixtures.url("gru/torch_l3_h8_prefix_norm/model.safetensors"))
        let norm = try #require(model.normalisation)
        let frames = 20
        let input = (0..<(frames * model.inputSize)).map { Float(($0 * 37) % 23) / 7 - 1.5 }
        func outputs(_ x: [Float], normalising: Bool) throws -> [Float] {
            let runner = try GRURunner(model: model, mode: .carry, applyNormalisation: normalising)
            var out = [Float](repeating: 0, count: frames * model.outputSize)
            x.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { runner.run(x, count: frames, outputs: $0) }
            }
            return out
        }
        let byRunner = try outputs(input, normalising: true)
        let byCaller = try outputs(norm.applied(frames: input), normalising: false)
        #expect(byRunner == byCaller)
        let inferred = try model.infer(Tensor(shape: [frames, model.inputSize], scalars: input), applyNormalisation: true)
        #expect(inferred.outputs.scalars == byRunner)
    }
}
