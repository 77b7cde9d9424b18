import GrustreamKernelInterface

/// The weights of one GRU layer (one direction) in PyTorch's layout and gate order r, z, n.
/// Every other framework's layout is converted to this one in exactly one named loader (`fromKeras`).
package struct GRULayerWeights: Sendable {
    /// Width of the layer's input (the features for layer 0, H or 2H above it).
    package let inputSize: Int
    package let hiddenSize: Int
    /// [3*hidden, input], gates in PyTorch order r, z, n (W_ir; W_iz; W_in)
    package var weightIH: [Float]
    /// [3*hidden, hidden], gates r, z, n (W_hr; W_hz; W_hn)
    package var weightHH: [Float]
    /// [3*hidden] b_ir, b_iz, b_in; nil for `bias=False`
    package var biasIH: [Float]?
    /// [3*hidden] b_hr, b_hz, b_hn; nil for `bias=False` (always nil when `resetAfter` is false)
    package var biasHH: [Float]?
    /// true: PyTorch / Keras `reset_after=True`, n = act(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
    /// false: original 2014 GRU / Keras `reset_after=False`, n = act(W_in x + b_in + W_hn (r ⊙ h)).
    package var resetAfter: Bool

    package var parameterCount: Int {
        weightIH.count + weightHH.count + (biasIH?.count ?? 0) + (biasHH?.count ?? 0)
    }

    /// PyTorch `nn.GRU` tensors: `weight_ih_l{k}` [3H, I], `weight_hh_l{k}` [3H, H], `bias_ih/hh_l{k}` [3H].
    /// Shapes have been checked by the caller.
    package static func fromPyTorch(weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?)
        -> GRULayerWeights
    {
        GRULayerWeights(
            inputSize: weightIH.shape[1], hiddenSize: weightHH.shape[1], weightIH: weightIH.scalars,
            weightHH: weightHH.scalars, biasIH: biasIH?.scalars, biasHH: biasHH?.scalars, resetAfter: true)
    }

    /// The one conversion from Keras's GRU layout: `kernel` [I, 3H], `recurrent_kernel` [H, 3H], gate columns in
    /// Keras order z, r, h; `bias` [3H] (`reset_after=False`: one bias, added to the input projection) or
    /// [2, 3H] (`reset_after=True`: row 0 input bias, row 1 recurrent bias); nil for `use_bias=False`
    /// (then `resetAfter` says which form). Transposes to [3H, I] / [3H, H] and reorders gates to r, z, n.
    /// Shapes have been checked by the caller.
    package static func fromKeras(kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, resetAfter: Bool = false)
        -> GRULayerWeights
    {
        let inputSize = kernel.shape[0]
        let hidden = recurrentKernel.shape[0]
        /// Keras column block of each PyTorch gate: r ← 1 (r), z ← 0 (z), n ← 2 (h).
        let kerasBlock = [1, 0, 2]
        func transposed(_ t: Tensor, rows: Int) -> [Float] {
            var out = [Float](repeating: 0, count: 3 * hidden * rows)
            for gate in 0..<3 {
                for j in 0..<hidden {
                    let column = kerasBlock[gate] * hidden + j
                    for i in 0..<rows { out[(gate * hidden + j) * rows + i] = t.scalars[i * 3 * hidden + column] }
                }
            }
            return out
        }
        func reordered(_ values: ArraySlice<Float>) -> [Float] {
            let start = values.startIndex
            return (0..<3).flatMap { gate in
                values[(start + kerasBlock[gate] * hidden)..<(start + (kerasBlock[gate] + 1) * hidden)]
            }
        }
        var biasIH: [Float]? = nil
        var biasHH: [Float]? = nil
        var after = resetAfter
        if let bias {
            if bias.shape.count == 2 {
                after = true
                biasIH = reordered(bias.scalars[0..<(3 * hidden)])
                biasHH = reordered(bias.scalars[(3 * hidden)..<(6 * hidden)])
            } else {
                after = false
                biasIH = reordered(bias.scalars[...])
            }
        }
        return GRULayerWeights(
            inputSize: inputSize, hiddenSize: hidden, weightIH: transposed(kernel, rows: inputSize),
            weightHH: transposed(recurrentKernel, rows: hidden), biasIH: biasIH, biasHH: biasHH, resetAfter: after)
    }
}

/// Weights packed for the kernels, 64-byte aligned, in one arena.
final class WeightArena: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` zero floats, 64-byte aligned.
    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 16))
        base.initialize(repeating: 0, count: max(count, 16))
    }

    deinit { base.deallocate() }
}

/// Bump allocator that fills a `WeightArena`.
struct ArenaBuilder {
    /// (offset, rows, columns, values) waiting to be copied as panels.
    private var pending: [(Int, Int, Int, [Float])] = []
    private(set) var size = 0

    /// Reserve the panels of row-major `values` [rows, columns] (see `PanelMatrix`); returns its offset.
    mutating func addPanels(_ values: [Float], rows: Int, columns: Int) -> Int {
        let offset = size
        pending.append((offset, rows, columns, values))
        size += paddedWidth(rows) * columns
        return offset
    }

    /// Reserve a zero-padded vector [paddedWidth(values.count)]; returns its offset.
    mutating func addVector(_ values: [Float]) -> Int { addPanels(values, rows: values.count, columns: 1) }

    func build() -> WeightArena {
        let arena = WeightArena(count: size)
        for (offset, rows, columns, values) in pending {
            // Row r, column k → panel r / 16, lane r % 16 of its k-th 16-float vector.
            for r in 0..<rows {
                for k in 0..<columns {
                    arena.base[offset + (r / 16) * 16 * columns + k * 16 + r % 16] = values[r * columns + k]
                }
            }
        }
        return arena
    }
}
