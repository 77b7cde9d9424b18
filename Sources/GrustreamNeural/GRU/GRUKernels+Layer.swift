extension GRUKernels {
    /// p = W_ih x + b_ih for `count` frames or streams: inputs [count] columns of layer.inputSize floats at
    /// stride `inputStride` → projections [count] columns of paddedWidth(3H) floats at stride `projectionStride`.
    /// The same kernel and order for one frame, a chunk, a window and B streams.
    @inline(__always)
    static func project(
        _ layer: PackedGRULayer, inputs: UnsafePointer<Float>, inputStride: Int, count: Int,
        projections: UnsafeMutablePointer<Float>, projectionStride: Int
    ) {
        product(
            layer.inputWeights, bias: layer.inputBias, inputs: inputs, inputStride: inputStride, count: count,
            outputs: projections, outputStride: projectionStride)
    }

    /// One GRU layer (one direction), one frame for `batch` streams, the input projections given:
    ///   r = g(p_r + W_hr h + b_hr), z = g(p_z + W_hz h + b_hz), h' = (1 − z) ⊙ n + z ⊙ h, with
    ///   n = c(p_n + r ⊙ (W_hn h + b_hn)) (`resetAfter`) or n = c(p_n + W_hn (r ⊙ h)).
    /// - projections: [batch] columns p = W_ih x + b_ih at stride `projectionStride` (read only)
    /// - hidden: [batch] states at stride `hiddenStride`, updated in place
    /// - gates: scratch [batch, layer.projectionStride]; recurrent: scratch [batch, layer.recurrentStride];
    ///   resetHidden: scratch [batch, paddedWidth(hidden)] (used when `resetAfter` is false)
    /// - reversed: visit the weight panels last to first (cache reuse only; the same results)
    static func recurrentStep(
        _ layer: PackedGRULayer, gate: GateActivation, candidate: CandidateActivation,
        projections: UnsafePointer<Float>, projectionStride: Int, hidden: UnsafeMutablePointer<Float>,
        hiddenStride: Int, batch: Int, gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
        resetHidden: UnsafeMutablePointer<Float>, reversed: Bool = false
    ) {
        let h = layer.hiddenSize
        let gs = layer.projectionStride
        let rs = layer.recurrentStride
        // recurrent = W_hh h + b_hh [3H] (resetAfter), or W_hr h; W_hz h [2H]
        product(
            layer.recurrentWeights, bias: layer.recurrentBias, inputs: hidden, inputStride: hiddenStride,
            count: batch, outputs: recurrent, outputStride: rs, reversed: reversed)
        for b in 0..<batch {
            let p = projections + b * projectionStride
            let g = gates + b * gs
            let q = recurrent + b * rs
            for j in 0..<(2 * h) { g[j] = p[j] + q[j] }
            gate.apply(g, 2 * h)  // r = g[0..<H], z = g[H..<2H]
            if layer.resetAfter {
                for j in 0..<h { g[2 * h + j] = p[2 * h + j] + g[j] * q[2 * h + j] }
                candidate.apply(g + 2 * h, h)
                update(g, hidden + b * hiddenStride, h)
            } else {
                let state = hidden + b * hiddenStride
                let reset = resetHidden + b * paddedWidth(h)
                for j in 0..<h { reset[j] = g[j] * state[j] }  // r ⊙ h
            }
        }
        guard let candidateWeights = layer.candidateWeights else { return }
        // recurrent[n] = W_hn (r ⊙ h), after r and z in each stream's column
        let n = paddedWidth(2 * h)
        product(
            candidateWeights, bias: nil, inputs: resetHidden, inputStride: paddedWidth(h), count: batch,
            outputs: recurrent + n, outputStride: rs, reversed: reversed)
        for b in 0..<batch {
            let p = projections + b * projectionStride
            let g = gates + b * gs
            let q = recurrent + b * rs + n
            for j in 0..<h { g[2 * h + j] = p[2 * h + j] + q[j] }
            candidate.apply(g + 2 * h, h)
            update(g, hidden + b * hiddenStride, h)
        }
    }

    /// h' = (1 − z) ⊙ n + z ⊙ h, with gates = [r, z, n] each [hidden].
    @inline(__always)
    static func update(_ gates: UnsafeMutablePointer<Float>, _ state: UnsafeMutablePointer<Float>, _ h: Int) {
        for j in 0..<h {
            let z = gates[h + j]
            let n = gates[2 * h + j]
            state[j] = (1 - z) * n + z * state[j]
        }
    }

    /// outputs[c * O ..< +O] = activation(W x_c + bias) for c in 0..<count.
    /// - inputs: [count] columns of the top width at stride `inputStride`
    /// - scratch: [count, paddedWidth(O)]
    static func headStep(
        _ head: PackedHead, activation: OutputActivation, inputs: UnsafePointer<Float>, inputStride: Int,
        count: Int, scratch: UnsafeMutablePointer<Float>, outputs: UnsafeMutablePointer<Float>
    ) {
        let o = head.outputSize
        let stride = paddedWidth(o)
        product(
            head.weight, bias: head.bias, inputs: inputs, inputStride: inputStride, count: count, outputs: scratch,
            outputStride: stride)
        for c in 0..<count {
            (outputs + c * o).update(from: scratch + c * stride, count: o)
            activation.apply(outputs + c * o, o)
        }
    }
}
