import Foundation
import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("rfft")
struct RealFFTTests {
    @Test(arguments: [16, 400, 512])
    func matchesDirectDFT(length: Int) throws {
        let fft = try RealFFT(length: length)
        var state: UInt64 = 12345
        let x: [Float] = (0..<length).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        for i in 0..<length { fft.input[i] = x[i] }
        fft.execute()
        var computed: [Float] = []
        var expected: [Float] = []
        for k in 0...(length / 2) {
            var re = 0.0
            var im = 0.0
            for n in 0..<length {
                let a = -2 * Double.pi * Double(k * n % length) / Double(length)
                re += Double(x[n]) * cos(a)
                im += Double(x[n]) * sin(a)
            }
            expected += [Float(re), Float(im)]
            computed += [fft.output[2 * k], fft.output[2 * k + 1]]
        }
        let c = Closeness(
            "rfft \(length)", computed: computed, expected: expected, tolerance: 1e-4 * Float(length).squareRoot())
        #expect(c.passed, "\(c)")
    }
}
