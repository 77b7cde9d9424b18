/// Vectorised activations for the training graph (8 lanes: one ymm in the FMA families, two xmm in the baseline
/// family; separate multiplies and adds in every family, so every family computes the same bits; no libm calls): libm's
/// `expf`/`tanhf` per element took about 20% of a training step. exp is `FastMath.exp` (the Cephes `expf`
/// polynomial, relative error ≈ 1e-7); tanh(x) = 2σ(2x) − 1 (absolute error ≈ 1e-7), where `GRURunner`'s gates
/// use `FastMath.tanh`'s odd polynomial near 0, so the training forward pass agrees with inference to ~1e-6, not
/// bit for bit (tested ≤ 1e-5).
enum TrainingMath {
    @inline(__always)
    static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> { FastMath.exp(v) }

    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> { 2 / (1 + exp(-2 * x)) - 1 }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Scalar versions (same arithmetic) for the tail of rows whose width is not a multiple of 8.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { sigmoid(SIMD8(repeating: x))[0] }
    @inline(__always)
    static func tanh(_ x: Float) -> Float { tanh(SIMD8(repeating: x))[0] }
}
