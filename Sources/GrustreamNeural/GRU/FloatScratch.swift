/// Zero-filled, 64-byte aligned float buffers handed out by a bump allocator and freed together.
/// Runners allocate all their scratch here at init so that a step never touches the heap.
final class FloatScratch {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A new zero-filled buffer of `count` floats (at least 16), valid until this object is freed.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = paddedWidth(max(count, 16))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
        blocks.append(raw)
        let p = raw.bindMemory(to: Float.self, capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }

    deinit { for block in blocks { block.deallocate() } }
}

/// Layer-major run of a whole (bounded) sequence from an initial state: every layer, every direction (the
/// reverse one from the last frame back), then the head. Used by window mode and by the offline `infer` of
/// bidirectional models. Same kernels, same per-frame arithmetic as the streaming step.
final class GRUSequenceWorkspace {
    let model: GRUModel
    let capacity: Int
    private let scratch = FloatScratch()
    /// [capacity, paddedWidth(top)] ping-pong layer outputs; padding columns stay zero
    private let outputsA: UnsafeMutablePointer<Float>
    private let outputsB: UnsafeMutablePointer<Float>
    /// [layers*directions, hiddenStride] the state after the sequence
    let final: UnsafeMutablePointer<Float>
    /// [3*hidden] each
    private let gates: UnsafeMutablePointer<Float>
    private let recurrent: UnsafeMutablePointer<Float>
    /// [hiddenStride]
    private let resetHidden: UnsafeMutablePointer<Float>
    let topStride: Int
    let hiddenStride: Int

    init(model: GRUModel, capacity: Int) {
        self.model = model
        self.capacity = capacity
        topStride = paddedWidth(model.topSize)
        hiddenStride = paddedWidth(model.hiddenSize)
        outputsA = scratch.allocate(capacity * topStride)
        outputsB = scratch.allocate(capacity * topStride)
        final = scratch.allocate(model.stateRows * hiddenStride)
        gates = scratch.allocate(3 * model.hiddenSize)
        recurrent = scratch.allocate(3 * model.hiddenSize)
        resetHidden = scratch.allocate(hiddenStride)
    }

    /// Run `count` frames [count, paddedWidth(input)] from `initial` [stateRows, hiddenStride].
    /// Returns the top layer's outputs [count, topStride] (valid until the next call); `final` holds the state.
    func run(frames: UnsafePointer<Float>, count: Int, initial: UnsafePointer<Float>) -> UnsafePointer<Float> {
        precondition(count <= capacity)
        let h = model.hiddenSize
        let directions = model.directions
        var layerInput = frames
        var inputStride = paddedWidth(model.inputSize)
        var output = outputsA
        for k in 0..<model.layerCount {
            output = k % 2 == 0 ? outputsA : outputsB
            for d in 0..<directions {
                let row = k * directions + d
                let layer = model.packedLayers[row]
                let state = final + row * hiddenStride
                state.update(from: initial + row * hiddenStride, count: hiddenStride)
                for i in 0..<count {
                    let t = d == 0 ? i : count - 1 - i
                    GRUKernels.layerStep(
                        layer, gate: model.gateActivation, candidate: model.candidateActivation,
                        inputs: layerInput + t * inputStride, inputStride: inputStride, hidden: state,
                        hiddenStride: hiddenStride, batch: 1, gates: gates, recurrent: recurrent,
                        resetHidden: resetHidden)
                    (output + t * topStride + d * h).update(from: state, count: h)
                }
            }
            layerInput = UnsafePointer(output)
            inputStride = topStride
        }
        return UnsafePointer(output)
    }
}
