import GrustreamKernelInterface

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
            lanes(2 * h) { g.put($0, p.at($0) + q.at($0)) }
            gate.apply(g, 2 * h)  // r = g[0..<H], z = g[H..<2H]
            if layer.resetAfter {
                let (gn, pn, qn) = (g + 2 * h, p + 2 * h, q + 2 * h)
                lanes(h) { gn.put($0, pn.at($0) + g.at($0) * qn.at($0)) }  // p_n + r ⊙ (W_hn h + b_hn)
                candidate.apply(gn, h)
                update(g, hidden + b * hiddenStride, h)
            } else {
                let state = hidden + b * hiddenStride
                let reset = resetHidden + b * paddedWidth(h)
                lanes(h) { reset.put($0, g.at($0) * state.at($0)) }  // r ⊙ h
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
            let (gn, pn) = (g + 2 * h, p + 2 * h)
            lanes(h) { gn.put($0, pn.at($0) + q.at($0)) }
            candidate.apply(gn, h)
            update(g, hidden + b * hiddenStride, h)
        }
    }

    /// h' = (1 − z) ⊙ n + z ⊙ h, with gates = [r, z, n] each [hidden].
    @inline(__always)
    static func update(_ gates: UnsafeMutablePointer<Float>, _ state: UnsafeMutablePointer<Float>, _ h: Int) {
        let (z, n) = (gates + h, gates + 2 * h)
        lanes(h) { state.put($0, (1 - z.at($0)) * n.at($0) + z.at($0) * state.at($0)) }
    }

    /// body(j) for j = 0, w, 2w, … while w = `GateVector.scalarCount` lanes fit in `count`, then the last lanes
    /// one by one (the same element-wise arithmetic either way, so results do not depend on where a lane falls).
    /// The gate loops are written this way because LLVM left them scalar (pointer aliasing, index overflow checks).
    @inline(__always)
    static func lanes(_ count: Int, _ body: (Lane) -> Void) {
        let w = GateVector.scalarCount
        var j = 0
        while j + w <= count {
            body(Lane(index: j, width: w))
            j += w
        }
        while j < count {
            body(Lane(index: j, width: 1))
            j += 1
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

/// Lanes index..<index + width (width `GateVector.scalarCount` or 1) of a vector; `at` loads them, `put` stores them.
struct Lane {
    let index: Int
    let width: Int
}

extension UnsafePointer<Float> {
    @inline(__always)
    func at(_ lane: Lane) -> GateVector {
        lane.width == GateVector.scalarCount
            ? UnsafeRawPointer(self + lane.index).loadUnaligned(as: GateVector.self)
            : GateVector(repeating: self[lane.index])
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always)
    func at(_ lane: Lane) -> GateVector { UnsafePointer(self).at(lane) }

    @inline(__always)
    func put(_ lane: Lane, _ v: GateVector) {
        if lane.width == GateVector.scalarCount {
            UnsafeMutableRawPointer(self + lane.index).storeBytes(of: v, as: GateVector.self)
        } else {
            self[lane.index] = v[0]
        }
    }
}
