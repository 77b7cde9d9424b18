import Foundation
import GrustreamTestSupport
import Testing

@testable import GrustreamNeural

/// The vector gate activations against libm, over the whole useful range.
@Suite("GRU activations")
struct FastMathTests {
    static let points: [Float] = stride(from: Float(-30), through: 30, by: 0.002_31).map { $0 }

    func check(_ label: String, _ f: (GateVector) -> GateVector, _ reference: (Float) -> Float, tolerance: Float)
        -> Closeness
    {
        var computed = Self.points
        computed.withUnsafeMutableBufferPointer { FastMath.map($0.baseAddress!, $0.count, f) }
        return Closeness(label, computed: computed, expected: Self.points.map(reference), tolerance: tolerance)
    }

    @Test func sigmoidAndTanhMatchLibm() {
        let sigmoid = check("sigmoid", FastMath.sigmoid, { 1 / (1 + expf(-$0)) }, tolerance: 2.5e-7)
        #expect(sigmoid.passed, "\(sigmoid)")
        let tanh = check("tanh", FastMath.tanh, tanhf, tolerance: 2.5e-7)
        #expect(tanh.passed, "\(tanh)")
        let exp = Closeness(
            "exp", computed: Self.points.map { FastMath.exp(GateVector(repeating: $0 * 2.9))[0] },
            expected: Self.points.map { expf($0 * 2.9) }, tolerance: 3e-7, relative: true)
        #expect(exp.passed, "\(exp)")
    }

    @Test func saturatesCleanly() {
        let values: [Float] = [-200, -88, -40, 0, 40, 88, 200, -0.0]
        var x = GateVector()  // the build's width (8 or 16 lanes); the lanes past the values stay 0
        for (i, v) in values.enumerated() { x[i] = v }
        let s = FastMath.sigmoid(x)
        let t = FastMath.tanh(x)
        #expect((0..<8).allSatisfy { s[$0].isFinite && s[$0] >= 0 && s[$0] <= 1 })
        #expect(s[0] == 0 && s[6] == 1 && s[3] == 0.5)
        #expect(t[0] == -1 && t[6] == 1 && t[3] == 0 && t[7] == 0)
    }
}
