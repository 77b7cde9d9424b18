/// Round up to a multiple of 16 floats: the width of padded vectors, so that kernels run whole SIMD16 vectors.
@inline(__always)
package func paddedWidth(_ n: Int) -> Int { (n + 15) & ~15 }

/// A [rows, columns] matrix as the kernels read it: panels of 16 consecutive rows, each stored k-major
/// ([columns][16]: column k of the panel's rows is one SIMD16 vector), rows zero-padded to a multiple of 16.
/// A matrix–vector product then adds whole vectors, `acc += panel[k] * x[k]`, with no horizontal sums.
package struct PanelMatrix: @unchecked Sendable {
    package let rows: Int
    package let columns: Int
    /// [paddedWidth(rows) / 16, columns, 16], 64-byte aligned
    package let panels: UnsafePointer<Float>

    package var panelCount: Int { (rows + 15) / 16 }

    package init(rows: Int, columns: Int, panels: UnsafePointer<Float>) {
        self.rows = rows
        self.columns = columns
        self.panels = panels
    }
}

/// One layer direction as the kernels see it: pointers into the model's arena.
package struct PackedGRULayer: @unchecked Sendable {
    package let inputSize: Int
    package let hiddenSize: Int
    /// W_ih [3*hidden, input], gates r, z, n, as panels
    package let inputWeights: PanelMatrix
    /// resetAfter: W_hh [3*hidden, hidden], gates r, z, n; otherwise W_hr; W_hz [2*hidden, hidden]; as panels
    package let recurrentWeights: PanelMatrix
    /// W_hn [hidden, hidden] as panels when `resetAfter` is false (it multiplies r ⊙ h); nil otherwise
    package let candidateWeights: PanelMatrix?
    /// [paddedWidth(3*hidden)] b_ir, b_iz, b_in (zeros without bias)
    package let inputBias: UnsafePointer<Float>
    /// [paddedWidth(3*hidden)] b_hr, b_hz, b_hn; nil without bias or when `resetAfter` is false
    package let recurrentBias: UnsafePointer<Float>?
    package let resetAfter: Bool

    /// Floats between two frames' (or streams') input projections W_ih x + b_ih.
    package var projectionStride: Int { paddedWidth(3 * hiddenSize) }
    /// Floats between two streams' recurrent products (r, z | n for `resetAfter` false, each padded).
    package var recurrentStride: Int { paddedWidth(2 * hiddenSize) + paddedWidth(hiddenSize) }

    package init(
        inputSize: Int, hiddenSize: Int, inputWeights: PanelMatrix, recurrentWeights: PanelMatrix,
        candidateWeights: PanelMatrix?, inputBias: UnsafePointer<Float>, recurrentBias: UnsafePointer<Float>?,
        resetAfter: Bool
    ) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.inputWeights = inputWeights
        self.recurrentWeights = recurrentWeights
        self.candidateWeights = candidateWeights
        self.inputBias = inputBias
        self.recurrentBias = recurrentBias
        self.resetAfter = resetAfter
    }
}

/// The linear head as the kernels see it.
package struct PackedHead: @unchecked Sendable {
    package let outputSize: Int
    /// [output, top width] as panels
    package let weight: PanelMatrix
    /// [paddedWidth(output)] (zeros without bias)
    package let bias: UnsafePointer<Float>

    package init(outputSize: Int, weight: PanelMatrix, bias: UnsafePointer<Float>) {
        self.outputSize = outputSize
        self.weight = weight
        self.bias = bias
    }
}
