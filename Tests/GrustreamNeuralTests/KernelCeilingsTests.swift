import GrustreamKernels
import GrustreamTestSupport
import Testing

/// The ceiling kernels that `grustream bench` times must do the work they are credited with: every float read,
/// every multiply-add performed (their results depend on all of it), in every kernel family this CPU runs.
@Suite("Kernel ceilings")
struct KernelCeilingsTests {
    @Test(arguments: KernelFamilies.runnable)
    func readSumsEveryFloat(family: KernelFamily) {
        let kernels = KernelFamilies.table(family)
        let values = (0..<(128 * 37)).map { Float($0 % 7) }  // integers: the sum is exact in any order
        let expected = values.reduce(0, +)
        #expect(values.withUnsafeBufferPointer { kernels.readCeiling($0) } == expected)
        var missing = values
        missing[128 * 36 + 127] += 1  // the last float of the last block counts too
        #expect(missing.withUnsafeBufferPointer { kernels.readCeiling($0) } == expected + 1)
    }

    @Test(arguments: KernelFamilies.runnable)
    func multiplyAddRunsEveryChain(family: KernelFamily) {
        let kernels = KernelFamilies.table(family)
        let lanes = Float(kernels.ceilingFlopsPerIteration / (2 * 2))
        // Each iteration adds exactly 2⁻²² to every lane of every chain (the lanes' sum rounds in the last bits): a
        // skipped chain, half-iteration or lane shows.
        #expect(kernels.multiplyAddCeiling(iterations: 0) == lanes)
        let sum = kernels.multiplyAddCeiling(iterations: 100_000)
        #expect(abs(sum - lanes * (1 + 100_000 * 0x1p-22)) < 1e-4, "\(family): \(sum)")
    }
}
