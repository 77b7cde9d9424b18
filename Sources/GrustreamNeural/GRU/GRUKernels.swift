/// The GRU kernels. Every path (one frame, a chunk, B streams, a window, a bidirectional sequence) goes through
/// `layerStep` and `headStep`, whose dot products always accumulate in the same order (two SIMD16
/// accumulators over the zero-padded row, then a fixed pairwise horizontal sum). A frame's result therefore never depends on
/// how frames or streams are grouped: chunked, batched and single-frame outputs are equal bit for bit.
/// `acc += a * b`, not `addProduct`: without FMA in the target, `addProduct` becomes libm `fmaf` calls (STYLE.md).
enum GRUKernels {
    /// Σ a[i]·b[i] for i in 0..<count, count a multiple of 16. Two SIMD16 accumulators (even and odd
    /// 16-float blocks; an odd last block goes to the first), added before the horizontal sum: twice the
    /// independent add chains of one accumulator, the same order for every caller.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD16<Float>()
        var acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0 += load(a + i) * load(b + i)
            acc1 += load(a + i + 16) * load(b + i + 16)
            i += 32
        }
        if i < count { acc0 += load(a + i) * load(b + i) }
        return horizontalSum(acc0 + acc1)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Fixed pairwise order: halves, quarters, eighths, then the last two lanes.
    @inline(__always)
    static func horizontalSum(_ acc: SIMD16<Float>) -> Float {
        let s8 = acc.lowHalf + acc.highHalf
        let s4 = s8.lowHalf + s8.highHalf
        let s2 = s4.lowHalf + s4.highHalf
        return s2[0] + s2[1]
    }

    /// outputs[b*outputStride + row] = W[row] · inputs[b*inputStride ..< +width] + bias[row],
    /// for row in `rows`, b in 0..<batch. Weights row-outer, streams inner: a row is loaded once for B streams.
    /// (Blocking 2 or 4 rows per pass, sharing the loads of x, measured no faster on the default x86-64 target:
    /// four SIMD16 accumulators spill the 16 SSE registers.)
    @inline(__always)
    static func matmul(
        rows: Range<Int>, weights: UnsafePointer<Float>, width: Int, bias: UnsafePointer<Float>,
        inputs: UnsafePointer<Float>, inputStride: Int, batch: Int,
        outputs: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        for row in rows {
            let w = weights + row * width
            for b in 0..<batch {
                outputs[b * outputStride + row] = dot(w, inputs + b * inputStride, width) + bias[row]
            }
        }
    }

    /// One GRU layer (one direction) for `batch` streams, one frame each.
    /// - inputs: [batch, inputStride] with stride `inputStride` between streams (zero-padded rows)
    /// - hidden: [batch, hiddenStride] with stride `hiddenStride` between streams, updated in place
    /// - gates: scratch [batch, 3*hidden]; recurrent: scratch [batch, 3*hidden]; resetHidden: scratch
    ///   [batch, layer.hiddenStride] whose padding columns are zero (used when `resetAfter` is false)
    static func layerStep(
        _ layer: PackedGRULayer, gate: GateActivation, candidate: CandidateActivation,
        inputs: UnsafePointer<Float>, inputStride: Int, hidden: UnsafeMutablePointer<Float>, hiddenStride: Int,
        batch: Int, gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
        resetHidden: UnsafeMutablePointer<Float>
    ) {
        let h = layer.hiddenSize
        let h3 = 3 * h
        // gates = W_ih x + b_ih   [batch, 3H]
        matmul(
            rows: 0..<h3, weights: layer.inputWeights, width: layer.inputStride, bias: layer.inputBias,
            inputs: inputs, inputStride: inputStride, batch: batch, outputs: gates, outputStride: h3)
        if layer.resetAfter {
            // recurrent = W_hh h + b_hh   [batch, 3H]
            matmul(
                rows: 0..<h3, weights: layer.recurrentWeights, width: layer.hiddenStride, bias: layer.recurrentBias,
                inputs: hidden, inputStride: hiddenStride, batch: batch, outputs: recurrent, outputStride: h3)
            for b in 0..<batch {
                let g = gates + b * h3
                let q = recurrent + b * h3
                for j in 0..<(2 * h) { g[j] += q[j] }
                gate.apply(g, 2 * h)  // r = g[0..<H], z = g[H..<2H]
                for j in 0..<h { g[2 * h + j] += g[j] * q[2 * h + j] }  // W_in x + b_in + r ⊙ (W_hn h + b_hn)
                candidate.apply(g + 2 * h, h)
                update(g, hidden + b * hiddenStride, h)
            }
        } else {
            // recurrent[r, z] = W_hr h, W_hz h
            matmul(
                rows: 0..<(2 * h), weights: layer.recurrentWeights, width: layer.hiddenStride,
                bias: layer.recurrentBias, inputs: hidden, inputStride: hiddenStride, batch: batch,
                outputs: recurrent, outputStride: h3)
            for b in 0..<batch {
                let g = gates + b * h3
                let q = recurrent + b * h3
                for j in 0..<(2 * h) { g[j] += q[j] }
                gate.apply(g, 2 * h)
                let state = hidden + b * hiddenStride
                let reset = resetHidden + b * layer.hiddenStride
                for j in 0..<h { reset[j] = g[j] * state[j] }  // r ⊙ h
            }
            // recurrent[n] = W_hn (r ⊙ h)
            matmul(
                rows: (2 * h)..<h3, weights: layer.recurrentWeights, width: layer.hiddenStride,
                bias: layer.recurrentBias, inputs: resetHidden, inputStride: layer.hiddenStride, batch: batch,
                outputs: recurrent, outputStride: h3)
            for b in 0..<batch {
                let g = gates + b * h3
                let q = recurrent + b * h3
                for j in 0..<h { g[2 * h + j] += q[2 * h + j] }
                candidate.apply(g + 2 * h, h)
                update(g, hidden + b * hiddenStride, h)
            }
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

    /// outputs[b*O ..< +O] = activation(W x_b + bias) for b in 0..<batch.
    /// - inputs: [batch, head.inputStride] with stride `inputStride` between streams
    static func headStep(
        _ head: PackedHead, activation: OutputActivation, inputs: UnsafePointer<Float>, inputStride: Int,
        batch: Int, outputs: UnsafeMutablePointer<Float>
    ) {
        let o = head.outputSize
        matmul(
            rows: 0..<o, weights: head.weight, width: head.inputStride, bias: head.bias, inputs: inputs,
            inputStride: inputStride, batch: batch, outputs: outputs, outputStride: o)
        for b in 0..<batch { activation.apply(outputs + b * o, o) }
    }
}
