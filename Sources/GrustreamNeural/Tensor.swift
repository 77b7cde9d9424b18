/// A dense float32 tensor in row-major (C) order: the currency of model files, `.npy` files and goldens.
/// Hot paths never use it; they work on packed buffers owned by the model and the per-stream state.
public struct Tensor: Sendable, Equatable {
    /// Dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "Tensor: \(scalars.count) values for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// The number of values of `shape`, or nil when a dimension is negative or the product of its non-zero
    /// dimensions does not fit in `Int` (then no sub-product of the shape, as `columns` computes, overflows
    /// either, even when a zero dimension makes the whole product 0). For shapes read from files.
    public static func checkedCount(_ shape: [Int]) -> Int? {
        var nonZeroProduct = 1
        var hasZero = false
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            if dimension == 0 {
                hasZero = true
                continue
            }
            let (product, overflow) = nonZeroProduct.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            nonZeroProduct = product
        }
        return hasZero ? 0 : nonZeroProduct
    }

    /// Number of rows of a 2-D tensor (or the outer dimension of any tensor).
    public var rows: Int { shape.first ?? 1 }
    /// Number of values per row (product of every dimension after the first).
    public var columns: Int { shape.dropFirst().reduce(1, *) }

    /// Row `r` of a tensor seen as `[rows, columns]`.
    public func row(_ r: Int) -> ArraySlice<Float> { scalars[(r * columns)..<((r + 1) * columns)] }

    /// `"[384, 40]"`, the way error messages print shapes.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
