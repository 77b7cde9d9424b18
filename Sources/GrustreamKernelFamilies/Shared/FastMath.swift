/// The gates' vector width: 16 lanes (one zmm) in the AVX-512 family, else 8 (one ymm with AVX2, two xmm on SSE).
/// Everything computed on it is lane-wise, so the width changes the speed, never a result.
#if GRUSTREAM_AVX512
    typealias GateVector = SIMD16<Float>
    typealias GateUInt32 = SIMD16<UInt32>
#else
    typealias GateVector = SIMD8<Float>
    typealias GateUInt32 = SIMD8<UInt32>
#endif

/// The float vectors the polynomials below run on: the gates' `GateVector` and the training graph's 8 lanes.
protocol FloatLanes: SIMD where Scalar == Float {
    associatedtype Bits: SIMD where Bits.Scalar == Int32
}
extension SIMD8: FloatLanes where Scalar == Float { typealias Bits = SIMD8<Int32> }
extension SIMD16: FloatLanes where Scalar == Float { typealias Bits = SIMD16<Int32> }

/// Vector e^x, sigmoid and tanh for the gates: Cephes single-precision polynomials on `GateVector`, ≤ ~1 ulp from
/// libm's expf / tanhf over the whole range, and 2–3× faster than calling them per element (libm was a fifth
/// of the 2×128 step). Pure lane-wise arithmetic: an element's result never depends on its neighbours, so the
/// bit-for-bit exactness across chunks and batches is kept.
enum FastMath {
    /// e^x; 0 below −87.33, large (not inf) above 88.72. The one exp of the kernels (gates and training graph).
    @inline(__always)
    static func exp<V: FloatLanes>(_ x: V) -> V {
        // Clamp with selects: the generic pointwiseMin / pointwiseMax were left as calls (perf: 6 % of a batch step).
        var x = x.replacing(with: 88.72, where: x .> 88.72)
        x.replace(with: -87.33, where: x .< -87.33)
        // t = x·log2(e) + 1.5·2^23 rounds x·log2(e) to the nearest integer n, held in t's low mantissa bits.
        let t = x * 1.44269504088896341 + 12_582_912
        let n = t - 12_582_912
        let r = (x - n * 0.693359375) + n * 2.12194440e-4  // x − n·ln 2 in two parts
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // 2^n = bits (n + 127) << 23, with n = bits(t) − 0x4B40_0000.
        let scale = (unsafeBitCast(t, to: V.Bits.self) &- 0x4B3F_FF81) &<< 23
        return p * unsafeBitCast(scale, to: V.self)
    }

    /// 1 / (1 + e^−x)
    @inline(__always)
    static func sigmoid(_ x: GateVector) -> GateVector { 1 / (1 + exp(-x)) }

    /// Odd polynomial for |x| < 0.625, else ±(1 − 2 / (e^{2|x|} + 1)).
    @inline(__always)
    static func tanh(_ x: GateVector) -> GateVector {
        let bits = unsafeBitCast(x, to: GateUInt32.self)
        let sign = bits & 0x8000_0000
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: GateVector.self)
        let z = x * x
        var p = GateVector(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        let large = unsafeBitCast(
            unsafeBitCast(1 - 2 / (exp(2 * a) + 1), to: GateUInt32.self) | sign, to: GateVector.self)
        return small.replacing(with: large, where: a .>= 0.625)
    }

    /// values[i] = f(values[i]) for i in 0..<count, a vector at a time (the tail through a zero-padded vector).
    @inline(__always)
    static func map(
        _ values: UnsafeMutablePointer<Float>, _ count: Int, _ f: (GateVector) -> GateVector
    ) {
        let w = GateVector.scalarCount
        var i = 0
        while i + w <= count {
            let p = UnsafeMutableRawPointer(values + i)
            p.storeBytes(of: f(p.loadUnaligned(as: GateVector.self)), as: GateVector.self)
            i += w
        }
        guard i < count else { return }
        var tail = GateVector()
        for k in 0..<(count - i) { tail[k] = values[i + k] }
        tail = f(tail)
        for k in 0..<(count - i) { values[i + k] = tail[k] }
    }
}
