import GrustreamKernels

/// The two ceilings of this core that bound the GRU kernels, measured with the kernels' own instructions so that a
/// goal such as "5,000× real time" can be compared with this machine in the same run (`grustream bench`, cases
/// `fma-peak` and `read-*`; `scripts/bench-pipeline` prints the bound):
/// - arithmetic: the GRU kernels' multiply-add (a SIMD16 times a broadcast scalar, added to an accumulator) on
///   independent accumulators held in registers, no memory traffic — no kernel of the family does more;
/// - weight traffic: SIMD16 loads streaming through a buffer as large as the matrices a frame must read (the
///   recurrent matrices, which every frame needs in full and which do not fit in L1), summed so nothing is skipped.
/// Both run in the process's kernel family (`Kernels.selected`), the one the GRU runs.
public enum KernelCeilings {
    /// Floating-point operations (a multiply and an add per lane) of one `multiplyAdd` iteration.
    public static var flopsPerIteration: Int { Kernels.current.ceilingFlopsPerIteration }

    /// `iterations` rounds of two multiply-adds per register chain, acc + w · 3 then acc + w · (−2.5): with the
    /// default w = 2⁻²¹ every lane ends at exactly 1 + iterations · 2⁻²² (below 2²² iterations), never overflows
    /// or goes subnormal. Returns the sum of the accumulators, so none of the work can be optimised away.
    public static func multiplyAdd(iterations: Int, weight: Float = 0x1p-21) -> Float {
        Kernels.current.multiplyAddCeiling(iterations: iterations, weight: weight)
    }

    /// Reads every float of `buffer` (a multiple of 128 floats) once, as SIMD16 loads into 8 running sums; returns
    /// the total. Bytes read: `4 * buffer.count`.
    public static func read(_ buffer: UnsafeBufferPointer<Float>) -> Float { Kernels.current.readCeiling(buffer) }
}
