/// Vectorised activations for the training graph (8 lanes: one ymm in the FMA families, two xmm in the baseline
/// family; separate multiplies and adds in every family, so every family computes the same bits; no libm calls): libm's
/// `expf`/`tanhf` per element took about 20% of a training step. exp is the Cephes `expf` polynomial with
/// round-to-nearest range reduction (relative error ≈ 1e-7); tanh(x) = 2σ(2x) − 1 (absolute error ≈ 1e-7).
/// The training forward pass therefore agrees with `GRURunner` (whose gates use `FastMath`, another polynomial and
/// tanh formula) to ~1e-6, not bit for bit (tested ≤ 1e-5).
enum TrainingMath {
    @inline(__always)
    static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp with plain compares (`clamped` calls the generic, unspecialised pointwiseMin/Max).
        var x = v
        x.replace(with: SIMD8(repeating: -87.3), where: x .< -87.3)
        x.replace(with: SIMD8(repeating: 88.3), where: x .> 88.3)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to an integer
        let k = x * 1.442_695_04 + magic
        let n = k - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var y = SIMD8<Float>(repeating: 1.987_569_15e-4)
        y = y * r + 1.398_199_95e-3
        y = y * r + 8.333_451_9e-3
        y = y * r + 4.166_579_59e-2
        y = y * r + 1.666_666_55e-1
        y = y * r + 5.000_000_12e-1
        y = y * r * r + r + 1
        let exponent = (unsafeBitCast(k, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

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
