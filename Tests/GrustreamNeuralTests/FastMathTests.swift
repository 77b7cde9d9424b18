import Foundation
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// The vector gate activations against libm, over the whole useful range, in every kernel family this CPU runs.
@Suite("GRU activations")
struct FastMathTests {
    static let points: [Float] = stride(from: Float(-30), through: 30, by: 0.002_31).map { $0 }

    static func map(_ family: KernelFamily, _ f: GateFunction, _ values: [Float]) -> [Float] {
        var computed = values
        computed.withUnsafeMutableBufferPointer { KernelFamilies.table(family).gateMath(f, $0.baseAddress!, $0.count) }
        return computed
    }

    @Test(arguments: KernelFamilies.runnable)
    func sigmoidAndTanhMatchLibm(family: KernelFamily) {
        let sigmoid = Closeness(
            "sigmoid", computed: Self.map(family, .sigmoid, Self.points),
            expected: Self.points.map { 1 / (1 + expf(-$0)) },
            tolerance: 2.5e-7)
        #expect(sigmoid.passed, "\(family) \(sigmoid)")
        let tanh = Closeness(
            "tanh", computed: Self.map(family, .tanh, Self.points), expected: Self.points.map(tanhf), tolerance: 2.5e-7)
        #expect(tanh.passed, "\(family) \(tanh)")
        let exp = Closeness(
            "exp", computed: Self.map(family, .exp, Self.points.map { $0 * 2.9 }),
            expected: Self.points.map { expf($0 * 2.9) }, tolerance: 3e-7, relative: true)
        #expect(exp.passed, "\(family) \(exp)")
    }

    @Test(arguments: KernelFamilies.runnable)
    func saturatesCleanly(family: KernelFamily) {
        // 8 values plus 9 more: whole vectors of the family's width and a tail, the tail's lanes computed alike.
        let values: [Float] = [-200, -88, -40, 0, 40, 88, 200, -0.0] + [-200, -88, -40, 0, 40, 88, 200, -0.0, 1]
        let s = Self.map(family, .sigmoid, values)
        let t = Self.map(family, .tanh, values)
        #expect(s.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(s[0] == 0 && s[6] == 1 && s[3] == 0.5 && s[8] == 0 && s[14] == 1)
        #expect(t[0] == -1 && t[6] == 1 && t[3] == 0 && t[7] == 0 && t[14] == 1)
        #expect(KernelFamilies.table(family).gateLanes == (family == .avx512 ? 16 : 8))
    }
}
