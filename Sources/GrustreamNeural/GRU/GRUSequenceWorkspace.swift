import GrustreamKernels

/// Input projections kept by the caller for the first layer (window mode): frame t of a run (t = 0 the oldest)
/// has direction d's projection W_ih x_t + b_ih at `base + ((oldest + t) % slots) * slotStride + d * projectionStride`.
struct ProjectionRing {
    /// [slots, directions × projectionStride]
    let base: UnsafeMutablePointer<Float>
    let slots: Int
    let slotStride: Int
    /// The slot of the oldest frame.
    var oldest = 0
}

/// Layer-major run of a bounded sequence from an initial state: for every layer and direction (the reverse one
/// from the last frame back), the input projections of all frames as one matrix product, then the recurrent steps;
/// then the next layer. Used for carry-mode chunks (a single frame is a chunk of 1), window mode, and the offline
/// `infer` of bidirectional models. Per frame, the arithmetic is that of any other grouping (the kernels' `product`).
final class GRUSequenceWorkspace {
    let model: GRUModel
    let capacity: Int
    private let scratch = FloatScratch()
    let inputStride: Int
    let topStride: Int
    let hiddenStride: Int
    /// [capacity, inputStride] the frames to run (the caller fills them)
    let frames: UnsafeMutablePointer<Float>
    /// [capacity, topStride] ping-pong layer outputs
    private let outputsA: UnsafeMutablePointer<Float>
    private let outputsB: UnsafeMutablePointer<Float>
    /// [capacity, projectionStride] the input projections of the layer being run
    private let projections: UnsafeMutablePointer<Float>
    /// [projectionStride], [recurrentStride], [paddedWidth(hidden)]
    private let gates: UnsafeMutablePointer<Float>
    private let recurrent: UnsafeMutablePointer<Float>
    private let resetHidden: UnsafeMutablePointer<Float>
    /// The kernel family this workspace runs (the one current when it was made).
    let kernels = Kernels.current

    init(model: GRUModel, capacity: Int) {
        self.model = model
        self.capacity = capacity
        inputStride = paddedWidth(model.inputSize)
        topStride = paddedWidth(model.topSize)
        hiddenStride = paddedWidth(model.hiddenSize)
        let layer = model.packedLayers[0]
        frames = scratch.allocate(capacity * inputStride)
        outputsA = scratch.allocate(capacity * topStride)
        outputsB = scratch.allocate(capacity * topStride)
        projections = scratch.allocate(capacity * layer.projectionStride)
        gates = scratch.allocate(layer.projectionStride)
        recurrent = scratch.allocate(layer.recurrentStride)
        resetHidden = scratch.allocate(hiddenStride)
    }

    /// Run `count` ≤ capacity frames (`frames`, or the first layer's projections in `ring`) from `initial` to
    /// `final`, both [stateRows, hiddenStride] (they may be the same buffer). Returns the top layer's outputs
    /// [count, topStride], valid until the next call.
    func run(
        count: Int, initial: UnsafePointer<Float>, final: UnsafeMutablePointer<Float>, ring: ProjectionRing? = nil
    ) -> UnsafePointer<Float> {
        precondition(count >= 1 && count <= capacity)
        let h = model.hiddenSize
        let directions = model.directions
        var layerInput = UnsafePointer(frames)
        var layerInputStride = inputStride
        var output = outputsA
        for k in 0..<model.layerCount {
            output = k % 2 == 0 ? outputsA : outputsB
            for d in 0..<directions {
                let row = k * directions + d
                let layer = model.packedLayers[row]
                let ps = layer.projectionStride
                let state = final + row * hiddenStride
                if UnsafePointer(state) != initial + row * hiddenStride {
                    state.update(from: initial + row * hiddenStride, count: hiddenStride)
                }
                // Frame t's projection: base + ((oldest + t) % slots) * slotStride.
                var base = UnsafePointer(projections)
                var (slots, slotStride, oldest) = (count, ps, 0)
                if k == 0, let ring {
                    (base, slots, slotStride, oldest) = (
                        UnsafePointer(ring.base + d * ps), ring.slots, ring.slotStride, ring.oldest
                    )
                } else {
                    kernels.project(
                        layer, inputs: layerInput, inputStride: layerInputStride, count: count,
                        projections: projections,
                        projectionStride: ps)
                }
                for i in 0..<count {
                    let t = d == 0 ? i : count - 1 - i
                    let slot = oldest + t < slots ? oldest + t : oldest + t - slots
                    kernels.recurrentStep(
                        layer, gate: model.gateActivation, candidate: model.candidateActivation,
                        projections: base + slot * slotStride, projectionStride: ps, hidden: state,
                        hiddenStride: hiddenStride, batch: 1, gates: gates, recurrent: recurrent,
                        resetHidden: resetHidden, reversed: i % 2 == 1)
                    (output + t * topStride + d * h).update(from: state, count: h)
                }
            }
            layerInput = UnsafePointer(output)
            layerInputStride = topStride
        }
        return UnsafePointer(output)
    }
}
