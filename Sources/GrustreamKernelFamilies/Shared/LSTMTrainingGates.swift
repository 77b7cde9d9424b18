/// The element-wise passes of the training graph's LSTM layer, for one time step of `batch` rows (PyTorch's
/// `nn.LSTM` equations, gates i, f, g, o). Separate multiplies and adds: every family computes the same bits here.
enum LSTMTrainingGates {
    /// Forward, for b < batch: a = g_in + q + b_hh; i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o);
    /// c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    /// - gates: [batch, 4H] the input projections in, i, f, g, o out; recurrent: [batch, 4H] q = W_hh h
    /// - biasHH: [4H]; cellPrevious, cellNext: [batch, H] c in, c' out; next: [batch, H] h' out
    static func forward(
        gates: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
        cellPrevious: UnsafePointer<Float>, cellNext: UnsafeMutablePointer<Float>,
        next: UnsafeMutablePointer<Float>, batch: Int, hidden h: Int
    ) {
        let h4 = 4 * h
        for b in 0..<batch {
            let gb = gates + b * h4
            let q = recurrent + b * h4
            let cp = cellPrevious + b * h
            let cn = cellNext + b * h
            let hn = next + b * h
            var j = 0
            while j + 8 <= h {
                typealias M = TrainingMath
                let i = M.sigmoid(M.load(gb + j) + M.load(q + j) + M.load(biasHH + j))
                let f = M.sigmoid(M.load(gb + h + j) + M.load(q + h + j) + M.load(biasHH + h + j))
                let g = M.tanh(M.load(gb + 2 * h + j) + M.load(q + 2 * h + j) + M.load(biasHH + 2 * h + j))
                let o = M.sigmoid(M.load(gb + 3 * h + j) + M.load(q + 3 * h + j) + M.load(biasHH + 3 * h + j))
                let c = f * M.load(cp + j) + i * g
                M.store(i, gb + j)
                M.store(f, gb + h + j)
                M.store(g, gb + 2 * h + j)
                M.store(o, gb + 3 * h + j)
                M.store(c, cn + j)
                M.store(o * M.tanh(c), hn + j)
                j += 8
            }
            while j < h {
                let i = TrainingMath.sigmoid(gb[j] + q[j] + biasHH[j])
                let f = TrainingMath.sigmoid(gb[h + j] + q[h + j] + biasHH[h + j])
                let g = TrainingMath.tanh(gb[2 * h + j] + q[2 * h + j] + biasHH[2 * h + j])
                let o = TrainingMath.sigmoid(gb[3 * h + j] + q[3 * h + j] + biasHH[3 * h + j])
                let c = f * cp[j] + i * g
                gb[j] = i
                gb[h + j] = f
                gb[2 * h + j] = g
                gb[3 * h + j] = o
                cn[j] = c
                hn[j] = o * TrainingMath.tanh(c)
                j += 1
            }
        }
    }

    /// Backward, for b < batch: from the gates i, f, g, o, the cell states c and c', the gradient reaching h'
    /// (hiddenGradient + outputGradient) and the one reaching c' (cellGradient), the gradients of the gates'
    /// pre-activations `gateGradient` [batch, 4H] (the same for the input and the recurrent side). cellGradient
    /// becomes the gradient of c (f ⊙ dc'); hiddenGradient becomes 0 (the caller adds dG · W_hh).
    static func backward(
        gates: UnsafePointer<Float>, cellPrevious: UnsafePointer<Float>, cellNext: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, hiddenGradient: UnsafeMutablePointer<Float>,
        cellGradient: UnsafeMutablePointer<Float>, gateGradient: UnsafeMutablePointer<Float>,
        batch: Int, hidden h: Int
    ) {
        let h4 = 4 * h
        for b in 0..<batch {
            let gb = gates + b * h4
            let cp = cellPrevious + b * h
            let cn = cellNext + b * h
            let dh = hiddenGradient + b * h
            let dc = cellGradient + b * h
            let dOutRow = outputGradient + b * h
            let dg = gateGradient + b * h4
            var j = 0
            while j + 8 <= h {
                typealias M = TrainingMath
                let i = M.load(gb + j)
                let f = M.load(gb + h + j)
                let g = M.load(gb + 2 * h + j)
                let o = M.load(gb + 3 * h + j)
                let total = M.load(dh + j) + M.load(dOutRow + j)
                let tc = M.tanh(M.load(cn + j))
                let dcTotal = M.load(dc + j) + total * o * (1 - tc * tc)
                M.store(dcTotal * g * i * (1 - i), dg + j)
                M.store(dcTotal * M.load(cp + j) * f * (1 - f), dg + h + j)
                M.store(dcTotal * i * (1 - g * g), dg + 2 * h + j)
                M.store(total * tc * o * (1 - o), dg + 3 * h + j)
                M.store(dcTotal * f, dc + j)
                M.store(SIMD8<Float>(), dh + j)
                j += 8
            }
            while j < h {
                let i = gb[j]
                let f = gb[h + j]
                let g = gb[2 * h + j]
                let o = gb[3 * h + j]
                let total = dh[j] + dOutRow[j]
                let tc = TrainingMath.tanh(cn[j])
                let dcTotal = dc[j] + total * o * (1 - tc * tc)
                dg[j] = dcTotal * g * i * (1 - i)
                dg[h + j] = dcTotal * cp[j] * f * (1 - f)
                dg[2 * h + j] = dcTotal * i * (1 - g * g)
                dg[3 * h + j] = total * tc * o * (1 - o)
                dc[j] = dcTotal * f
                dh[j] = 0
                j += 1
            }
        }
    }
}
