/// The two ceilings of this core that bound the GRU kernels, measured with the kernels' own instructions so that a
/// goal such as "5,000× real time" can be compared with this machine in the same run (`grustream bench`, cases
/// `fma-peak` and `read-*`; `scripts/bench-pipeline` prints the bound):
/// - arithmetic: `GRUKernels.multiplyAdd` (a SIMD16 times a broadcast scalar, added to an accumulator) on
///   independent accumulators held in registers, no memory traffic — no kernel of this family does more;
/// - weight traffic: SIMD16 loads streaming through a buffer as large as the matrices a frame must read (the
///   recurrent matrices, which every frame needs in full and which do not fit in L1), summed so nothing is skipped.
enum Ceilings {
    /// Independent chains: enough to cover the multiply-add latency on both units (AVX-512: 16 zmm; AVX2:
    /// 6 SIMD16 = 12 ymm; baseline: 3 SIMD16 = 12 xmm), few enough to stay in registers.
    #if GRUSTREAM_AVX512
        typealias Chains = InlineArray<16, GRUKernels.Vector>
    #elseif GRUSTREAM_FMA
        typealias Chains = InlineArray<6, GRUKernels.Vector>
    #else
        typealias Chains = InlineArray<3, GRUKernels.Vector>
    #endif

    /// Floating-point operations (a multiply and an add per lane) of one `multiplyAdd` iteration: two per chain.
    static var flopsPerIteration: Int { 2 * 2 * Chains.count * GRUKernels.Vector.scalarCount }

    /// `iterations` rounds of two multiply-adds per chain, acc + w · 3 then acc + w · (−2.5): with the default
    /// w = 2⁻²¹ every lane ends at exactly 1 + iterations · 2⁻²² (below 2²² iterations), never overflows or goes
    /// subnormal. Returns the sum of the accumulators, so none of the work can be optimised away; `weight` is a
    /// parameter so that the compiler cannot fold the products into additions.
    static func multiplyAdd(iterations: Int, weight: Float = 0x1p-21) -> Float {
        var chains = Chains(repeating: GRUKernels.Vector(repeating: 1))
        let w = GRUKernels.Vector(repeating: weight)
        for _ in 0..<iterations {
            for c in 0..<Chains.count { GRUKernels.multiplyAdd(&chains[c], w, 3) }
            for c in 0..<Chains.count { GRUKernels.multiplyAdd(&chains[c], w, -2.5) }
        }
        var sum = GRUKernels.Vector()
        for c in 0..<Chains.count { sum += chains[c] }
        return sum.sum()
    }

    /// Reads every float of `buffer` (a multiple of 128 floats) once, as SIMD16 loads into 8 running sums; returns
    /// the total. Bytes read: `4 * buffer.count`.
    static func read(_ buffer: UnsafeBufferPointer<Float>) -> Float {
        precondition(buffer.count % 128 == 0, "read: \(buffer.count) floats, expected a multiple of 128")
        guard let base = buffer.baseAddress else { return 0 }
        var sums = InlineArray<8, GRUKernels.Vector>(repeating: GRUKernels.Vector())
        for offset in stride(from: 0, to: buffer.count, by: 128) {
            for s in 0..<8 { sums[s] += GRUKernels.load(base + offset + 16 * s) }
        }
        var sum = GRUKernels.Vector()
        for s in 0..<8 { sum += sums[s] }
        return sum.sum()
    }
}
