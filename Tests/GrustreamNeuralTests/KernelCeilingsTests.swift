import Testing

@testable import GrustreamNeural

/// The ceiling kernels that `grustream bench` times must do the work they are credited with: every float read,
/// every multiply-add performed (their results depend on all of it).
@Suite("Kernel ceilings")
struct KernelCeilingsTests {
    @Test func readSumsEveryFloat() {
        let values = (0..<(128 * 37)).map { Float($0 % 7) }  // integers: the sum is exact in any order
        let expected = values.reduce(0, +)
        #expect(values.withUnsafeBufferPointer { KernelCeilings.read($0) } == expected)
        var missing = values
        missing[128 * 36 + 127] += 1  // the last float of the last block counts too
        #expect(missing.withUnsafeBufferPointer { KernelCeilings.read($0) } == expected + 1)
    }

    @Test func multiplyAddRunsEveryChain() {
        let chains = KernelCeilings.flopsPerIteration / (2 * 2 * GRUKernels.Vector.scalarCount)
        let lanes = Float(chains * GRUKernels.Vector.scalarCount)
        // Each iteration adds exactly 2⁻²² to every lane of every chain (the lanes' sum rounds in the last bits): a
        // skipped chain, half-iteration or lane shows.
        #expect(KernelCeilings.multiplyAdd(iterations: 0) == lanes)
        let sum = KernelCeilings.multiplyAdd(iterations: 100_000)
        #expect(abs(sum - lanes * (1 + 100_000 * 0x1p-22)) < 1e-4, "\(sum)")
    }
}
