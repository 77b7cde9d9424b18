import GrustreamKernels

/// A matrix whose row r is non-zero only on columns `first[r] ..< first[r] + width[r]`, stored for
/// the kernels' `paddedRows`: each row's weights zero-padded to a whole number of 16-lane vectors. Used for the
/// filter banks (rows = filters, columns = spectrum bins) and the DCT (dense rows, columns = mel bins).
///
/// `apply` reads the input up to `paddedColumns` (≥ the real column count + up to 15): callers keep that many
/// values, the extra ones zero, so a padded lane adds 0·0.
final class PaddedRows {
    let rows: Int
    /// Input values `apply` reads: allocate the input with this count, zeros past the real columns.
    let paddedColumns: Int
    /// [rows] first column of each row.
    private let first: UnsafeMutableBufferPointer<Int>
    /// [rows] padded width of each row, a multiple of 16.
    private let width: UnsafeMutableBufferPointer<Int>
    /// [rows] start of each row in `weights`.
    private let offset: UnsafeMutableBufferPointer<Int>
    /// [Σ width] the weights, zero-padded per row.
    private let weights: UnsafeMutableBufferPointer<Float>
    /// The kernel family this filter runs (the one current when it was made).
    private let kernels = Kernels.current

    /// Row r: `values[offsets[r] ..< offsets[r] + widths[r]]` on columns `firsts[r] ...`.
    init(firsts: [Int], widths: [Int], offsets: [Int], values: [Float], columns: Int) {
        let lanes = 16
        rows = firsts.count
        var padded: [Float] = []
        var paddedOffsets: [Int] = []
        var paddedWidths: [Int] = []
        var reach = columns
        for r in 0..<rows {
            let w = (widths[r] + lanes - 1) / lanes * lanes
            paddedOffsets.append(padded.count)
            paddedWidths.append(w)
            padded += values[offsets[r]..<(offsets[r] + widths[r])]
            padded += [Float](repeating: 0, count: w - widths[r])
            reach = max(reach, firsts[r] + w)
        }
        paddedColumns = reach
        first = .allocate(capacity: rows)
        _ = first.initialize(from: firsts)
        width = .allocate(capacity: rows)
        _ = width.initialize(from: paddedWidths)
        offset = .allocate(capacity: rows)
        _ = offset.initialize(from: paddedOffsets)
        weights = .copy(padded)
    }

    /// The sparse filter bank `bank`.
    convenience init(_ bank: FilterBank) {
        self.init(
            firsts: bank.firstBin, widths: bank.width, offsets: bank.offset, values: bank.weights,
            columns: bank.spectrumBins)
    }

    /// The dense `[rows, columns]` row-major `matrix`.
    convenience init(dense matrix: [Float], rows: Int, columns: Int) {
        self.init(
            firsts: [Int](repeating: 0, count: rows), widths: [Int](repeating: columns, count: rows),
            offsets: (0..<rows).map { $0 * columns }, values: matrix, columns: columns)
    }

    deinit {
        first.deallocate()
        width.deallocate()
        offset.deallocate()
        weights.deallocate()
    }

    /// out[r] = Σ_j weights[r][j] · x[first[r] + j] (16 lanes, then their fixed pairwise sum), r < rows.
    /// `x`: `paddedColumns` values.
    @inline(__always)
    func apply(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        kernels.paddedRows(
            weights.baseAddress!, offsets: offset.baseAddress!, firsts: first.baseAddress!, widths: width.baseAddress!,
            rows: rows, x, into: out)
    }
}
