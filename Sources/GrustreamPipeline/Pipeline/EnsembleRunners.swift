import GrustreamDSP
import GrustreamNeural

/// One stream's runs of the `[model] ensemble` members: each member's own normalisation of the features, its own
/// hidden state, its outputs averaged into the pipeline model's (the mean of all posteriors). Buffers are
/// allocated once, when the stream opens.
final class EnsembleRunners {
    let members: [EnsembleMember]
    let runners: [GRURunner]
    let input: Int
    let output: Int
    /// Per member: `[rows, input]` normalised features and `[rows, output]` outputs.
    private let inputs: [UnsafeMutableBufferPointer<Float>]
    private let outputs: [UnsafeMutableBufferPointer<Float>]
    /// Per member: the model's input normalisation (nil: none).
    private let normalisations: [InputNormalisation?]
    /// With a gate: per member, the rows before the gate opened.
    let preRolls: [PreRollRows]

    init(members: [EnsembleMember], mode: InferenceMode, rows: Int, preRollRows: Int?) throws {
        self.members = members
        runners = try members.map { try GRURunner(model: $0.model, mode: mode) }
        input = members[0].model.inputSize
        output = members[0].model.outputSize
        inputs = members.map { _ in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * members[0].model.inputSize)
            b.initialize(repeating: 0)
            return b
        }
        outputs = members.map { _ in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * members[0].model.outputSize)
            b.initialize(repeating: 0)
            return b
        }
        normalisations = members.map { $0.model.normalisation }
        preRolls =
            preRollRows.map { n in
                members.map { PreRollRows(capacity: n, width: $0.model.inputSize, outputWidth: $0.model.outputSize) }
            } ?? []
    }

    deinit {
        for b in inputs { b.deallocate() }
        for b in outputs { b.deallocate() }
    }

    /// A feature vector, normalised for every member into row `row`.
    func store(_ features: UnsafeBufferPointer<Float>, row: Int) {
        for m in 0..<runners.count {
            let x = inputs[m].baseAddress! + row * input
            if let normalisation = normalisations[m] {
                normalisation.apply(features.baseAddress!, into: x)
            } else {
                x.update(from: features.baseAddress!, count: input)
            }
        }
    }

    /// Rows `first ..< first + count` through every member.
    func run(first: Int, count: Int) {
        for m in 0..<runners.count {
            runners[m].run(
                UnsafeBufferPointer(rebasing: inputs[m][(first * input)...]), count: count,
                outputs: UnsafeMutableBufferPointer(rebasing: outputs[m][(first * output)...]))
        }
    }

    /// The mean of `primary` (the pipeline model's posteriors for row `row`, in place) and the members'.
    func average(into primary: UnsafeMutablePointer<Float>, row: Int) {
        for m in 0..<runners.count {
            let y = outputs[m].baseAddress! + row * output
            members[m].outputActivation.apply(y, output)
            for j in 0..<output { primary[j] += y[j] }
        }
        let scale = 1 / Float(runners.count + 1)
        for j in 0..<output { primary[j] *= scale }
    }

    /// Whether every member's output of row `row` and hidden state are finite.
    var hasFiniteState: Bool {
        for runner in runners where !runner.hasFiniteState { return false }
        return true
    }

    func reset() { for runner in runners { runner.reset() } }

    /// A closed gate: keep row `row` of each member for the pre-roll.
    func keepForPreRoll(row: Int) {
        for m in 0..<preRolls.count { preRolls[m].push(inputs[m].baseAddress! + row * input) }
    }

    /// The gate opened: every member from its initial state over its pre-roll rows.
    func catchUp() {
        for m in 0..<runners.count {
            runners[m].reset()
            guard m < preRolls.count else { continue }
            let n = preRolls[m].takeOrdered()
            if n > 0 {
                runners[m].run(
                    UnsafeBufferPointer(preRolls[m].ordered), count: n, outputs: preRolls[m].outputs)
            }
        }
    }
}
