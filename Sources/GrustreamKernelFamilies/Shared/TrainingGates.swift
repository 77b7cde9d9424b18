/// The element-wise passes of the training graph's GRU layer, for one time step of `batch` rows (PyTorch's gate
/// equations, reset applied after the recurrent product). Separate multiplies and adds: every family computes the
/// same bits here.
enum TrainingGates {
    /// Forward, for b < batch: r = σ(g_r + q_r + b_hr), z = σ(g_z + q_z + b_hz), qn = q_n + b_hn,
    /// n = tanh(g_n + r ⊙ qn), h' = (1 − z) ⊙ n + z ⊙ h.
    /// - gates: [batch, 3H] the input projections g in, r, z, n out; recurrent: [batch, 3H] q = W_hh h
    /// - biasHH: [3H]; candidateRecurrent: [batch, H] qn out; previous, next: [batch, H] h in, h' out
    static func forward(
        gates: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
        candidateRecurrent: UnsafeMutablePointer<Float>, previous: UnsafePointer<Float>,
        next: UnsafeMutablePointer<Float>, batch: Int, hidden h: Int
    ) {
        let h3 = 3 * h
        for b in 0..<batch {
            let gb = gates + b * h3
            let q = recurrent + b * h3
            let cr = candidateRecurrent + b * h
            let hp = previous + b * h
            let hn = next + b * h
            var j = 0
            while j + 8 <= h {
                typealias M = TrainingMath
                let r = M.sigmoid(M.load(gb + j) + M.load(q + j) + M.load(biasHH + j))
                let z = M.sigmoid(M.load(gb + h + j) + M.load(q + h + j) + M.load(biasHH + h + j))
                let qn = M.load(q + 2 * h + j) + M.load(biasHH + 2 * h + j)
                let n = M.tanh(M.load(gb + 2 * h + j) + r * qn)
                M.store(r, gb + j)
                M.store(z, gb + h + j)
                M.store(n, gb + 2 * h + j)
                M.store(qn, cr + j)
                M.store((1 - z) * n + z * M.load(hp + j), hn + j)
                j += 8
            }
            while j < h {
                let r = TrainingMath.sigmoid(gb[j] + q[j] + biasHH[j])
                let z = TrainingMath.sigmoid(gb[h + j] + q[h + j] + biasHH[h + j])
                let qn = q[2 * h + j] + biasHH[2 * h + j]
                let n = TrainingMath.tanh(gb[2 * h + j] + r * qn)
                gb[j] = r
                gb[h + j] = z
                gb[2 * h + j] = n
                cr[j] = qn
                hn[j] = (1 - z) * n + z * hp[j]
                j += 1
            }
        }
    }

    /// Backward, for b < batch: from the gates r, z, n, the previous state, qn and the gradient reaching h'
    /// (hiddenGradient + outputGradient), the gradients of the gates' pre-activations: inputGateGradient
    /// [batch, 3H] (dr, dz, dn), recurrentGateGradient [batch, 3H] (dr, dz, dn ⊙ r); hiddenGradient becomes the
    /// direct part z ⊙ total of the gradient of h (the caller adds dGh · W_hh).
    static func backward(
        gates: UnsafePointer<Float>, previous: UnsafePointer<Float>, candidateRecurrent: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, hiddenGradient: UnsafeMutablePointer<Float>,
        inputGateGradient: UnsafeMutablePointer<Float>, recurrentGateGradient: UnsafeMutablePointer<Float>,
        batch: Int, hidden h: Int
    ) {
        let h3 = 3 * h
        for b in 0..<batch {
            let gb = gates + b * h3
            let hp = previous + b * h
            let dh = hiddenGradient + b * h
            let dOutRow = outputGradient + b * h
            let dgi = inputGateGradient + b * h3
            let dgh = recurrentGateGradient + b * h3
            let crRow = candidateRecurrent + b * h
            var j = 0
            while j + 8 <= h {
                typealias M = TrainingMath
                let r = M.load(gb + j)
                let z = M.load(gb + h + j)
                let n = M.load(gb + 2 * h + j)
                let total = M.load(dh + j) + M.load(dOutRow + j)
                let dan = total * (1 - z) * (1 - n * n)
                let daz = total * (M.load(hp + j) - n) * z * (1 - z)
                let dar = dan * M.load(crRow + j) * r * (1 - r)
                M.store(dar, dgi + j)
                M.store(daz, dgi + h + j)
                M.store(dan, dgi + 2 * h + j)
                M.store(dar, dgh + j)
                M.store(daz, dgh + h + j)
                M.store(dan * r, dgh + 2 * h + j)
                M.store(total * z, dh + j)
                j += 8
            }
            while j < h {
                let r = gb[j]
                let z = gb[h + j]
                let n = gb[2 * h + j]
                let total = dh[j] + dOutRow[j]
                let dan = total * (1 - z) * (1 - n * n)
                let daz = total * (hp[j] - n) * z * (1 - z)
                let dar = dan * crRow[j] * r * (1 - r)
                dgi[j] = dar
                dgi[h + j] = daz
                dgi[2 * h + j] = dan
                dgh[j] = dar
                dgh[h + j] = daz
                dgh[2 * h + j] = dan * r
                dh[j] = total * z
                j += 1
            }
        }
    }
}
