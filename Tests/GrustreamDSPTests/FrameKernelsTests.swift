import Foundation
import Testing

@testable import GrustreamDSP

/// The vector kernels of the frame path against plain scalar loops: element-wise kernels bit-identical,
/// reductions within float rounding of a Double sum, and the padded filter rows equal to `FilterBank.apply`
/// up to summation order.
@Suite("frame kernels")
struct FrameKernelsTests {
    /// Deterministic test values in [−1, 1).
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
    }

    @Test(arguments: [0, 1, 15, 16, 17, 400, 2048])
    func reductionsMatchDoubleSums(n: Int) {
        let x = Self.values(n, seed: UInt64(n) + 1)
        let sum = x.withUnsafeBufferPointer { FrameKernels.sum($0.baseAddress!, n) }
        let exact = x.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(sum) - exact) <= 1e-5 * Double(max(n, 1)))
        let mean: Float = 0.125
        let squares = x.withUnsafeBufferPointer { FrameKernels.sumOfSquares($0.baseAddress!, n, minus: mean) }
        let exactSquares = x.reduce(0.0) { $0 + Double($1 - mean) * Double($1 - mean) }
        #expect(abs(Double(squares) - exactSquares) <= 1e-6 * max(exactSquares, 1))
    }

    @Test(arguments: [1, 17, 400, 2048])
    func centreEmphasiseWindowIsTheScalarPasses(n: Int) {
        let x = Self.values(n, seed: 7)
        let w = Self.values(n, seed: 8)
        for (mean, p) in [(Float(0.01), Float(0.97)), (0.01, 0), (0, 0.97)] {
            // The original in-place passes: x −= mean, then x[i] −= p·x[i−1] from the end, then · window.
            var y = x.map { $0 - mean }
            if p != 0 {
                for i in stride(from: n - 1, to: 0, by: -1) { y[i] -= p * y[i - 1] }
                y[0] -= p * y[0]
            }
            let expected = zip(y, w).map { $0 * $1 }
            var out = [Float](repeating: 0, count: n)
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    out.withUnsafeMutableBufferPointer { op in
                        FrameKernels.centreEmphasiseWindow(
                            xp.baseAddress!, n, mean: mean, preemphasis: p, window: wp.baseAddress!,
                            into: op.baseAddress!)
                    }
                }
            }
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "n \(n), mean \(mean), p \(p)")
        }
    }

    @Test func scaledCopyIsElementwise() {
        let x = Self.values(37, seed: 3)
        var out = [Float](repeating: 0, count: 37)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
                FrameKernels.scaledCopy(xp.baseAddress!, 37, scale: 32768, into: $0.baseAddress!)
            }
        }
        #expect(out == x.map { $0 * 32768 })
    }

    @Test(arguments: [FeatureConvention.kaldi, .librosa, .precise])
    func paddedRowsMatchTheFilterBank(convention: FeatureConvention) {
        let options = FeatureOptions.preset(convention, kind: .fbank, sampleRate: 16000)
        let bank = FilterBank.mel(options)
        let rows = PaddedRows(bank)
        var spectrum = Self.values(rows.paddedColumns, seed: 11).map { abs($0) * 100 }
        for i in bank.spectrumBins..<rows.paddedColumns { spectrum[i] = 0 }
        var expected = [Float](repeating: 0, count: bank.count)
        var got = [Float](repeating: 0, count: bank.count)
        spectrum.withUnsafeBufferPointer { s in
            bank.weights.withUnsafeBufferPointer { w in
                expected.withUnsafeMutableBufferPointer {
                    bank.apply(s.baseAddress!, weights: w.baseAddress!, into: $0.baseAddress!)
                }
            }
            got.withUnsafeMutableBufferPointer { rows.apply(s.baseAddress!, into: $0.baseAddress!) }
        }
        for f in 0..<bank.count {
            #expect(abs(got[f] - expected[f]) <= 1e-5 * max(abs(expected[f]), 1), "\(convention) filter \(f)")
        }
    }
}
