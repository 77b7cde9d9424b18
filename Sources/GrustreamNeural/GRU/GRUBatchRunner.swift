import GrustreamKernels

/// B streams of one model stepped together in carry mode (matrix form: each weight panel is loaded once for four
/// streams at a time). Each stream's outputs equal, bit for bit, those of its own `GRURunner`. `step` never allocates.
public final class GRUBatchRunner {
    public let model: GRUModel
    public let streamCount: Int
    public let applyNormalisation: Bool
    private let scratch = FloatScratch()
    private let inputStride: Int
    private let hiddenStride: Int
    /// Distance between two streams' states: layers × hiddenStride.
    private let streamStride: Int
    /// [B, layers, hiddenStride] the state `reset` returns to
    private let initial: UnsafeMutablePointer<Float>
    /// [B, layers, hiddenStride]
    private let hiddenState: UnsafeMutablePointer<Float>
    /// [B, paddedWidth(input)] the current frames
    private let frames: UnsafeMutablePointer<Float>
    /// [B, projectionStride] input projections W_ih x + b_ih, then gates
    private let projections: UnsafeMutablePointer<Float>
    private let gates: UnsafeMutablePointer<Float>
    /// [B, recurrentStride]
    private let recurrent: UnsafeMutablePointer<Float>
    /// [B, hiddenStride]
    private let resetHidden: UnsafeMutablePointer<Float>
    /// [B, paddedWidth(output)]
    private let headScratch: UnsafeMutablePointer<Float>
    /// The kernel family this runner runs (the one current when it was made).
    private let kernels = Kernels.current

    /// - initialState: [layers, hidden] for every stream, or [B, layers, hidden]; nil → zeros.
    public init(model: GRUModel, streams: Int, initialState: Tensor? = nil, applyNormalisation: Bool = false) throws {
        guard !model.bidirectional else {
            throw ModelLoadError(
                "\(model.name): carry mode cannot run a bidirectional GRU (its reverse direction needs frames "
                    + "that have not arrived yet); batch streams run in carry mode only")
        }
        try model.requirePoolingMode(.carry)
        guard streams >= 1 else { throw ModelLoadError("\(model.name): \(streams) streams, expected ≥ 1") }
        self.model = model
        streamCount = streams
        self.applyNormalisation = applyNormalisation && model.normalisation != nil
        inputStride = paddedWidth(model.inputSize)
        hiddenStride = model.stateStride
        streamStride = model.layerCount * hiddenStride
        initial = scratch.allocate(streams * streamStride)
        hiddenState = scratch.allocate(streams * streamStride)
        frames = scratch.allocate(streams * inputStride)
        let layer = model.packedLayers[0]
        projections = scratch.allocate(streams * layer.projectionStride)
        gates = scratch.allocate(streams * layer.projectionStride)
        recurrent = scratch.allocate(streams * layer.recurrentStride)
        resetHidden = scratch.allocate(streams * hiddenStride)
        headScratch = scratch.allocate(streams * paddedWidth(model.outputSize))
        if let initialState {
            let l = model.layerCount
            let h = model.hiddenSize
            let perStream = initialState.shape == [streams, l, h]
            let one = perStream ? Tensor(zeros: [l, h]) : initialState
            for b in 0..<streams {
                let t =
                    perStream
                    ? Tensor(shape: [l, h], scalars: Array(initialState.scalars[(b * l * h)..<((b + 1) * l * h)])) : one
                do {
                    try GRURunner.copyState(t, model: model, to: initial + b * streamStride, stride: hiddenStride)
                } catch {
                    throw ModelLoadError(
                        "\(model.name): initial state is \(initialState.shapeDescription), expected [\(l), \(h)] or [\(streams), \(l), \(h)]"
                    )
                }
            }
        }
        hiddenState.update(from: initial, count: streams * streamStride)
    }

    /// Back to the initial state, one stream.
    public func reset(stream: Int) {
        precondition(stream >= 0 && stream < streamCount)
        (hiddenState + stream * streamStride).update(from: initial + stream * streamStride, count: streamStride)
    }

    /// Back to the initial state, every stream.
    public func reset() { hiddenState.update(from: initial, count: streamCount * streamStride) }

    /// Hidden state [layers, hidden] of one stream.
    public func hidden(stream: Int) -> Tensor {
        let h = model.hiddenSize
        let base = hiddenState + stream * streamStride
        var values = [Float](repeating: 0, count: model.layerCount * h)
        for r in 0..<model.layerCount { for j in 0..<h { values[r * h + j] = base[r * hiddenStride + j] } }
        return Tensor(shape: [model.layerCount, h], scalars: values)
    }

    /// Stream `stream`'s state ← a single-stream runner's (carry mode, same model): with `store(stream:into:)`,
    /// streams that each keep their own `GRURunner` are stepped together through the first rows of a batch.
    public func load(stream: Int, from runner: GRURunner) {
        precondition(stream >= 0 && stream < streamCount && runner.model === model && runner.mode == .carry)
        (hiddenState + stream * streamStride).update(from: runner.hiddenState, count: streamStride)
    }

    /// A single-stream runner's state ← stream `stream`'s.
    public func store(stream: Int, into runner: GRURunner) {
        precondition(stream >= 0 && stream < streamCount && runner.model === model && runner.mode == .carry)
        runner.hiddenState.update(from: hiddenState + stream * streamStride, count: streamStride)
    }

    /// One frame per stream: inputs [B, input] → outputs [B, outputSize]. With `count`, only the first `count`
    /// streams are stepped (inputs [count, input]); the others keep their state.
    public func step(
        _ inputs: UnsafeBufferPointer<Float>, outputs: UnsafeMutableBufferPointer<Float>, count: Int? = nil
    ) {
        let n = model.inputSize
        let b = count ?? streamCount
        precondition(b >= 1 && b <= streamCount, "GRUBatchRunner.step: \(b) streams of \(streamCount)")
        precondition(inputs.count >= b * n, "GRUBatchRunner.step: \(inputs.count) inputs, expected \(b) × \(n)")
        precondition(outputs.count >= b * model.outputSize, "GRUBatchRunner.step: outputs too small")
        let input = inputs.baseAddress!
        for s in 0..<b {
            let x = frames + s * inputStride
            if applyNormalisation, let norm = model.normalisation {
                norm.apply(input + s * n, into: x)
            } else {
                x.update(from: input + s * n, count: n)
            }
        }
        var layerInput = UnsafePointer(frames)
        var layerInputStride = inputStride
        for k in 0..<model.layerCount {
            let layer = model.packedLayers[k]
            let state = hiddenState + k * hiddenStride
            kernels.project(
                layer, inputs: layerInput, inputStride: layerInputStride, count: b, projections: projections,
                projectionStride: layer.projectionStride)
            kernels.recurrentStep(
                layer, gate: model.gateActivation, candidate: model.candidateActivation, projections: projections,
                projectionStride: layer.projectionStride, hidden: state, hiddenStride: streamStride, batch: b,
                gates: gates, recurrent: recurrent, resetHidden: resetHidden)
            layerInput = UnsafePointer(state)
            layerInputStride = streamStride
        }
        let output = outputs.baseAddress!
        if let head = model.packedHead {
            kernels.headStep(
                head, activation: model.outputActivation, inputs: layerInput, inputStride: streamStride, count: b,
                scratch: headScratch, outputs: output)
        } else {
            let h = model.hiddenSize
            for s in 0..<b { (output + s * h).update(from: layerInput + s * streamStride, count: h) }
        }
    }
}
