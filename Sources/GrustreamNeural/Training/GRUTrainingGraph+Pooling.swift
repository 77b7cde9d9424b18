import Foundation
import GrustreamKernels

/// Buffers of mean or attention pooling in the training graph (allocated once, for maxBatch × maxSteps).
final class PoolingBuffers {
    private let scratch = FloatScratch()
    /// [steps · batch, A] u = tanh(W h + b) (attention only)
    let projected: UnsafeMutablePointer<Float>
    /// [steps · batch] the pooling weights α (time-major, as the states)
    let weights: UnsafeMutablePointer<Float>
    /// [batch, H] the pooled vectors, and ∂loss/∂pooled
    let context: UnsafeMutablePointer<Float>
    let contextGradient: UnsafeMutablePointer<Float>
    /// [steps · batch, A] ∂loss/∂(W h + b) (attention only)
    let projectedGradient: UnsafeMutablePointer<Float>
    /// [H, A] Wᵀ of the attention projection
    let transposed: UnsafeMutablePointer<Float>
    /// [steps · batch] ∂loss/∂e (attention only)
    let scoreGradient: UnsafeMutablePointer<Float>

    init(architecture a: GRUArchitecture, maxBatch: Int, maxSteps: Int) {
        let rows = maxBatch * maxSteps
        let n = max(a.attentionSize, 1)
        projected = scratch.allocate(rows * n)
        weights = scratch.allocate(rows)
        context = scratch.allocate(maxBatch * a.hiddenSize)
        contextGradient = scratch.allocate(maxBatch * a.hiddenSize)
        projectedGradient = scratch.allocate(rows * n)
        transposed = scratch.allocate(a.hiddenSize * n)
        scoreGradient = scratch.allocate(rows)
    }
}

extension GRUTrainingGraph {
    /// Pool the top layer's outputs `top` [steps · batch, H] of each batch row over the steps (mean, or attention:
    /// e = v · tanh(W h + b), α = softmax over the steps) and apply the head to the pooled vector; the head's
    /// outputs go to the last step's rows of `outputs`, the other rows are zero.
    func poolForward(_ parameters: GRUParameters, weights w: UnsafePointer<Float>, top: UnsafePointer<Float>) {
        guard let pool else { return }
        let a = architecture
        let h = a.hiddenSize
        let rows = steps * batch
        let alpha = pool.weights
        if let attention = parameters.attentionOffsets {
            let n = a.attentionSize
            // U = tanh(H_top · Wᵀ + b)   [rows, A]; e = U · v
            kernels.transpose(w + attention.weight, rows: n, columns: h, into: pool.transposed)
            kernels.multiply(
                rows: rows, columns: n, depth: h, a: top, aRowStride: h, aColumnStride: 1, b: pool.transposed,
                ldb: n, c: pool.projected, ldc: n, accumulate: false)
            kernels.addBias(w + attention.bias, to: pool.projected, rows: rows, columns: n)
            let v = w + attention.score
            for r in 0..<rows {
                var e: Float = 0
                for k in 0..<n {
                    let u = tanhf(pool.projected[r * n + k])
                    pool.projected[r * n + k] = u
                    e += v[k] * u
                }
                alpha[r] = e
            }
            for b in 0..<batch {
                var largest = -Float.infinity
                for t in 0..<steps { largest = max(largest, alpha[t * batch + b]) }
                var sum: Float = 0
                for t in 0..<steps {
                    alpha[t * batch + b] = expf(alpha[t * batch + b] - largest)
                    sum += alpha[t * batch + b]
                }
                for t in 0..<steps { alpha[t * batch + b] /= sum }
            }
        } else {
            alpha.update(repeating: 1 / Float(steps), count: rows)
        }
        // c_b = Σ_t α_tb h_tb
        pool.context.update(repeating: 0, count: batch * h)
        for t in 0..<steps {
            for b in 0..<batch {
                let weight = alpha[t * batch + b]
                let row = top + (t * batch + b) * h
                let c = pool.context + b * h
                for j in 0..<h { c[j] += weight * row[j] }
            }
        }
        // Y_last = C · W_headᵀ + b_head   [batch, O]; the other steps' rows are zero
        let o = a.outputSize
        let head = parameters.headOffsets
        let last = outputs + (steps - 1) * batch * o
        outputs.update(repeating: 0, count: rows * o)
        for b in 0..<batch {
            for k in 0..<o {
                var y = w[head.bias + k]
                for j in 0..<h { y += pool.context[b * h + j] * w[head.weight + k * h + j] }
                last[b * o + k] = y
            }
        }
    }

    /// The backward pass of `poolForward`: adds the head's and the attention's weight gradients to `grad` and
    /// writes ∂loss/∂top [steps · batch, H] into `layerOutputGradient`. Reads only the last step's rows of
    /// `outputGradient`.
    func poolBackward(
        _ parameters: GRUParameters, weights w: UnsafePointer<Float>, top: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, gradients grad: UnsafeMutablePointer<Float>
    ) {
        guard let pool else { return }
        let a = architecture
        let h = a.hiddenSize
        let o = a.outputSize
        let rows = steps * batch
        let alpha = pool.weights
        let dY = outputGradient + (steps - 1) * batch * o
        let head = parameters.headOffsets
        // dW_head += dYᵀ · C; db_head += Σ dY; dC = dY · W_head
        kernels.multiply(
            rows: o, columns: h, depth: batch, a: dY, aRowStride: 1, aColumnStride: o, b: pool.context, ldb: h,
            c: grad + head.weight, ldc: h, accumulate: true)
        kernels.addColumnSums(dY, rows: batch, columns: o, into: grad + head.bias)
        kernels.multiply(
            rows: batch, columns: h, depth: o, a: dY, aRowStride: o, aColumnStride: 1, b: w + head.weight, ldb: h,
            c: pool.contextGradient, ldc: h, accumulate: false)
        // dh_tb = α_tb dc_b (through the weighted sum)
        for t in 0..<steps {
            for b in 0..<batch {
                let weight = alpha[t * batch + b]
                let dc = pool.contextGradient + b * h
                let d = layerOutputGradient + (t * batch + b) * h
                for j in 0..<h { d[j] = weight * dc[j] }
            }
        }
        guard let attention = parameters.attentionOffsets else { return }
        let n = a.attentionSize
        let v = w + attention.score
        // dα_tb = dc_b · h_tb; de_tb = α_tb (dα_tb − Σ_t' α_t'b dα_t'b) (softmax); dU = de v ⊙ (1 − u²); dv += Σ de u
        let de = pool.scoreGradient
        for r in 0..<rows {
            let c = pool.contextGradient + (r % batch) * h
            let row = top + r * h
            var dot: Float = 0
            for j in 0..<h { dot += c[j] * row[j] }
            de[r] = dot
        }
        for b in 0..<batch {
            var s: Float = 0
            for t in 0..<steps { s += alpha[t * batch + b] * de[t * batch + b] }
            for t in 0..<steps { de[t * batch + b] = alpha[t * batch + b] * (de[t * batch + b] - s) }
        }
        let dU = pool.projectedGradient
        let dv = grad + attention.score
        for r in 0..<rows {
            for k in 0..<n {
                let u = pool.projected[r * n + k]
                dv[k] += de[r] * u
                dU[r * n + k] = de[r] * v[k] * (1 - u * u)
            }
        }
        // dW_att += dUᵀ · H_top; db_att += Σ dU; dH_top += dU · W_att
        kernels.multiply(
            rows: n, columns: h, depth: rows, a: dU, aRowStride: 1, aColumnStride: n, b: top, ldb: h,
            c: grad + attention.weight, ldc: h, accumulate: true)
        kernels.addColumnSums(dU, rows: rows, columns: n, into: grad + attention.bias)
        kernels.multiply(
            rows: rows, columns: h, depth: n, a: dU, aRowStride: n, aColumnStride: 1, b: w + attention.weight, ldb: h,
            c: layerOutputGradient, ldc: h, accumulate: true)
    }
}
