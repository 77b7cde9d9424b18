import Foundation
import GrustreamKernels

/// Forward and backward passes (backpropagation through time) of a stacked GRU (or LSTM) + linear head over a
/// batch of fixed-length windows, with every intermediate kept for the backward pass. No autograd: the gradients
/// are the chain rule written out for PyTorch's GRU equations (gates r, z, n; reset applied after the recurrent
/// product) and `nn.LSTM`'s (gates i, f, g, o), checked against PyTorch autograd (Tests/Fixtures/training) and
/// finite differences.
///
/// Layout: time-major. Inputs [steps, batch, input], outputs [steps, batch, output]: row t·batch + b.
/// With mean or attention pooling (`GRUTrainingGraph+Pooling.swift`) each batch row's sequence is one window: the
/// head's output is written at the last step's rows and the other rows are zero (a last-frame loss reads it).
/// Buffers are allocated once for `maxBatch` × `maxSteps`; a call may use fewer of either.
public final class GRUTrainingGraph {
    public let architecture: GRUArchitecture
    public let maxBatch: Int
    public let maxSteps: Int
    /// Probability of zeroing a layer's output before the next layer (training only; inverted dropout).
    public var dropout: Float = 0

    private let scratch = FloatScratch()
    /// [layer] [(steps + 1) · batch, hidden]: row block 0 is the initial state, block t+1 the output at t.
    let states: [UnsafeMutablePointer<Float>]
    /// [layer] [steps · batch, G·hidden]: r, z, n (LSTM: i, f, g, o) after their activations.
    private let gates: [UnsafeMutablePointer<Float>]
    /// LSTM only: [layer] [(steps + 1) · batch, hidden], the cell states (row block 0 the initial one).
    private let cells: [UnsafeMutablePointer<Float>]
    /// [layer] [steps · batch, hidden]: W_hn h + b_hn (the recurrent part of the candidate, before r).
    private let candidateRecurrent: [UnsafeMutablePointer<Float>]
    /// [layer − 1] [steps · batch, hidden]: dropout masks (0 or 1/(1−p)) and the dropped outputs fed upward.
    private let masks: [UnsafeMutablePointer<Float>]
    private let dropped: [UnsafeMutablePointer<Float>]
    /// [steps · batch, output]: the head's outputs (no activation).
    public let outputs: UnsafeMutablePointer<Float>
    /// Scratch: transposed weights [max(input, hidden), 3·hidden] and [hidden, output]; recurrent products [batch, 3H].
    private let transposed: UnsafeMutablePointer<Float>
    private let recurrentProduct: UnsafeMutablePointer<Float>
    /// Backward scratch: [steps · batch, 3H] ×2, [steps · batch, max(input, hidden)] ×2, [batch, hidden].
    private let inputGateGradient: UnsafeMutablePointer<Float>
    private let recurrentGateGradient: UnsafeMutablePointer<Float>
    let layerOutputGradient: UnsafeMutablePointer<Float>
    private let layerInputGradient: UnsafeMutablePointer<Float>
    private let hiddenGradient: UnsafeMutablePointer<Float>
    /// LSTM: [batch, hidden], the gradient carried back through the cell state.
    private let cellGradient: UnsafeMutablePointer<Float>

    /// The input of the last forward pass, [steps · batch, input] (kept for the weight gradient of layer 0).
    private var input: UnsafePointer<Float>?
    private(set) var batch = 0
    private(set) var steps = 0
    /// Whether the last forward pass applied dropout (then the layers above read `dropped`).
    private var droppedInForward = false
    /// The kernel family of the matrix products (the one current when the graph was made).
    let kernels = Kernels.current
    /// Mean or attention pooling: its buffers (nil with `pooling` = `last`).
    let pool: PoolingBuffers?

    public init(architecture a: GRUArchitecture, maxBatch: Int, maxSteps: Int) {
        architecture = a
        self.maxBatch = maxBatch
        self.maxSteps = maxSteps
        let rows = maxBatch * maxSteps
        let h = a.hiddenSize
        let wide = max(a.inputSize, h)
        let gateWidth = a.gateCount * h
        states = (0..<a.layerCount).map { [scratch] _ in scratch.allocate((maxSteps + 1) * maxBatch * h) }
        cells = (0..<(a.cell == .lstm ? a.layerCount : 0)).map { [scratch] _ in
            scratch.allocate((maxSteps + 1) * maxBatch * h)
        }
        gates = (0..<a.layerCount).map { [scratch] _ in scratch.allocate(rows * gateWidth) }
        candidateRecurrent = (0..<a.layerCount).map { [scratch] _ in scratch.allocate(rows * h) }
        masks = (0..<max(a.layerCount - 1, 0)).map { [scratch] _ in scratch.allocate(rows * h) }
        dropped = (0..<max(a.layerCount - 1, 0)).map { [scratch] _ in scratch.allocate(rows * h) }
        outputs = scratch.allocate(rows * a.outputSize)
        transposed = scratch.allocate(max(wide * gateWidth, h * a.outputSize))
        recurrentProduct = scratch.allocate(maxBatch * gateWidth)
        inputGateGradient = scratch.allocate(rows * gateWidth)
        recurrentGateGradient = scratch.allocate(rows * gateWidth)
        layerOutputGradient = scratch.allocate(rows * wide)
        layerInputGradient = scratch.allocate(rows * wide)
        hiddenGradient = scratch.allocate(maxBatch * h)
        cellGradient = scratch.allocate(maxBatch * h)
        pool = a.pooling == .last ? nil : PoolingBuffers(architecture: a, maxBatch: maxBatch, maxSteps: maxSteps)
    }

    /// The state after the last step of the last forward pass, [stateRows, batch, hidden]: h of each layer, then
    /// (LSTM) c of each layer (for truncated BPTT: the next window starts from it, without gradient flowing back).
    public func finalState() -> [Float] {
        let h = architecture.hiddenSize
        let layers = architecture.layerCount
        var out = [Float](repeating: 0, count: architecture.stateRows * batch * h)
        for l in 0..<layers {
            for i in 0..<(batch * h) { out[l * batch * h + i] = states[l][steps * batch * h + i] }
        }
        for (l, c) in cells.enumerated() {
            for i in 0..<(batch * h) { out[(layers + l) * batch * h + i] = c[steps * batch * h + i] }
        }
        return out
    }

    /// The top layer's outputs of the last forward pass, [steps · batch, hidden].
    public var topHidden: UnsafePointer<Float> {
        UnsafePointer(states[architecture.layerCount - 1] + batch * architecture.hiddenSize)
    }

    /// Run the network over `input` [steps, batch, input] (time-major) from `initialState`
    /// [stateRows, batch, hidden] (as `finalState()`; nil: zeros). Results in `outputs` [steps, batch, output]. `input` must stay valid until `backward`.
    /// With `training` and `dropout` > 0, draws dropout masks from `random`.
    public func forward(
        _ parameters: GRUParameters, input: UnsafePointer<Float>, batch: Int, steps: Int,
        initialState: [Float]? = nil, training: Bool = false, random: inout TrainingRandom
    ) {
        let a = architecture
        precondition(parameters.architecture == a && batch <= maxBatch && steps <= maxSteps && batch > 0 && steps > 0)
        self.input = input
        self.batch = batch
        self.steps = steps
        droppedInForward = training && dropout > 0
        let h = a.hiddenSize
        let h3 = a.gateCount * h
        let rows = steps * batch
        let lstm = a.cell == .lstm
        parameters.values.withUnsafeBufferPointer { p in
            let w = p.baseAddress!
            var layerInput = input
            for l in 0..<a.layerCount {
                let o = parameters.layerOffsets(l)
                let width = a.layerInputSize(l)
                let g = gates[l]
                let s = states[l]
                if let initialState {
                    for i in 0..<(batch * h) { s[i] = initialState[l * batch * h + i] }
                } else {
                    s.update(repeating: 0, count: batch * h)
                }
                if lstm {
                    if let initialState {
                        let first = (a.layerCount + l) * batch * h
                        for i in 0..<(batch * h) { cells[l][i] = initialState[first + i] }
                    } else {
                        cells[l].update(repeating: 0, count: batch * h)
                    }
                }
                // G = X · W_ihᵀ + b_ih for every step at once   [rows, 3H]
                kernels.transpose(w + o.weightIH, rows: h3, columns: width, into: transposed)
                kernels.multiply(
                    rows: rows, columns: h3, depth: width, a: layerInput, aRowStride: width, aColumnStride: 1,
                    b: transposed, ldb: h3, c: g, ldc: h3, accumulate: false)
                kernels.addBias(w + o.biasIH, to: g, rows: rows, columns: h3)
                kernels.transpose(w + o.weightHH, rows: h3, columns: h, into: transposed)
                let biasHH = w + o.biasHH
                for t in 0..<steps {
                    let previous = s + t * batch * h
                    let next = s + (t + 1) * batch * h
                    // q = W_hh h + b_hh   [batch, 3H]
                    kernels.multiply(
                        rows: batch, columns: h3, depth: h, a: previous, aRowStride: h, aColumnStride: 1,
                        b: transposed, ldb: h3, c: recurrentProduct, ldc: h3, accumulate: false)
                    if lstm {
                        kernels.lstmTrainingGatesForward(
                            gates: g + t * batch * h3, recurrent: recurrentProduct, biasHH: biasHH,
                            cellPrevious: cells[l] + t * batch * h, cellNext: cells[l] + (t + 1) * batch * h,
                            next: next, batch: batch, hidden: h)
                    } else {
                        kernels.trainingGatesForward(
                            gates: g + t * batch * h3, recurrent: recurrentProduct, biasHH: biasHH,
                            candidateRecurrent: candidateRecurrent[l] + t * batch * h, previous: previous,
                            next: next, batch: batch, hidden: h)
                    }
                }
                layerInput = UnsafePointer(s + batch * h)
                if l < a.layerCount - 1 {
                    let mask = masks[l]
                    if training && dropout > 0 {
                        let keep = 1 - dropout
                        for i in 0..<(rows * h) { mask[i] = random.uniform() < dropout ? 0 : 1 / keep }
                        for i in 0..<(rows * h) { dropped[l][i] = layerInput[i] * mask[i] }
                        layerInput = UnsafePointer(dropped[l])
                    } else {
                        mask.update(repeating: 1, count: rows * h)
                    }
                }
            }
            if pool != nil {
                poolForward(parameters, weights: w, top: layerInput)
                return
            }
            // Head: Y = H_top · Wᵀ + b   [rows, O]
            let head = parameters.headOffsets
            kernels.transpose(w + head.weight, rows: a.outputSize, columns: h, into: transposed)
            kernels.multiply(
                rows: rows, columns: a.outputSize, depth: h, a: layerInput, aRowStride: h, aColumnStride: 1,
                b: transposed, ldb: a.outputSize, c: outputs, ldc: a.outputSize, accumulate: false)
            kernels.addBias(w + head.bias, to: outputs, rows: rows, columns: a.outputSize)
        }
    }

    /// Backpropagate `outputGradient` (∂loss/∂outputs, [steps, batch, output]) through the last forward pass and
    /// add ∂loss/∂parameters to `gradients` (same layout as `parameters.values`).
    public func backward(
        _ parameters: GRUParameters, outputGradient: UnsafePointer<Float>, gradients: inout [Float]
    ) {
        let a = architecture
        let h = a.hiddenSize
        let h3 = a.gateCount * h
        let rows = steps * batch
        let lstm = a.cell == .lstm
        let batch = batch
        let steps = steps
        guard let input else { preconditionFailure("backward before forward") }
        parameters.values.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { gBuffer in
                let w = p.baseAddress!
                let grad = gBuffer.baseAddress!
                let head = parameters.headOffsets
                let top = UnsafePointer(states[a.layerCount - 1] + batch * h)
                if pool != nil {
                    poolBackward(parameters, weights: w, top: top, outputGradient: outputGradient, gradients: grad)
                } else {
                    // dW_head += dYᵀ · H_top; db_head += Σ dY; dH_top = dY · W_head
                    kernels.multiply(
                        rows: a.outputSize, columns: h, depth: rows, a: outputGradient, aRowStride: 1,
                        aColumnStride: a.outputSize, b: top, ldb: h, c: grad + head.weight, ldc: h, accumulate: true)
                    kernels.addColumnSums(outputGradient, rows: rows, columns: a.outputSize, into: grad + head.bias)
                    kernels.multiply(
                        rows: rows, columns: h, depth: a.outputSize, a: outputGradient, aRowStride: a.outputSize,
                        aColumnStride: 1, b: w + head.weight, ldb: h, c: layerOutputGradient, ldc: h,
                        accumulate: false)
                }

                for l in stride(from: a.layerCount - 1, through: 0, by: -1) {
                    let o = parameters.layerOffsets(l)
                    let width = a.layerInputSize(l)
                    let g = gates[l]
                    let s = states[l]
                    let cr = candidateRecurrent[l]
                    let dOut = layerOutputGradient
                    hiddenGradient.update(repeating: 0, count: batch * h)
                    cellGradient.update(repeating: 0, count: batch * h)
                    // An LSTM's gate gradients are the same on the input and the recurrent side.
                    let dGh = lstm ? inputGateGradient : recurrentGateGradient
                    for t in stride(from: steps - 1, through: 0, by: -1) {
                        if lstm {
                            kernels.lstmTrainingGatesBackward(
                                gates: g + t * batch * h3, cellPrevious: cells[l] + t * batch * h,
                                cellNext: cells[l] + (t + 1) * batch * h, outputGradient: dOut + t * batch * h,
                                hiddenGradient: hiddenGradient, cellGradient: cellGradient,
                                gateGradient: inputGateGradient + t * batch * h3, batch: batch, hidden: h)
                        } else {
                            kernels.trainingGatesBackward(
                                gates: g + t * batch * h3, previous: s + t * batch * h,
                                candidateRecurrent: cr + t * batch * h, outputGradient: dOut + t * batch * h,
                                hiddenGradient: hiddenGradient, inputGateGradient: inputGateGradient + t * batch * h3,
                                recurrentGateGradient: recurrentGateGradient + t * batch * h3, batch: batch, hidden: h)
                        }
                        // dh_{t-1} += dGh_t · W_hh
                        kernels.multiply(
                            rows: batch, columns: h, depth: h3, a: dGh + t * batch * h3,
                            aRowStride: h3, aColumnStride: 1, b: w + o.weightHH, ldb: h, c: hiddenGradient, ldc: h,
                            accumulate: true)
                    }
                    // dW_hh += dGhᵀ · H_prev; db_hh += Σ dGh
                    kernels.multiply(
                        rows: h3, columns: h, depth: rows, a: dGh, aRowStride: 1, aColumnStride: h3,
                        b: s, ldb: h, c: grad + o.weightHH, ldc: h, accumulate: true)
                    kernels.addColumnSums(dGh, rows: rows, columns: h3, into: grad + o.biasHH)
                    // dW_ih += dGiᵀ · X; db_ih += Σ dGi
                    let layerInput: UnsafePointer<Float> =
                        l == 0 ? input : UnsafePointer(droppedInForward ? dropped[l - 1] : states[l - 1] + batch * h)
                    kernels.multiply(
                        rows: h3, columns: width, depth: rows, a: inputGateGradient, aRowStride: 1, aColumnStride: h3,
                        b: layerInput, ldb: width, c: grad + o.weightIH, ldc: width, accumulate: true)
                    kernels.addColumnSums(inputGateGradient, rows: rows, columns: h3, into: grad + o.biasIH)
                    guard l > 0 else { break }
                    // dX = dGi · W_ih, through the dropout mask of the layer below
                    kernels.multiply(
                        rows: rows, columns: width, depth: h3, a: inputGateGradient, aRowStride: h3, aColumnStride: 1,
                        b: w + o.weightIH, ldb: width, c: layerOutputGradient, ldc: width, accumulate: false)
                    let mask = masks[l - 1]
                    for i in 0..<(rows * h) { layerOutputGradient[i] *= mask[i] }
                }
            }
        }
    }
}
