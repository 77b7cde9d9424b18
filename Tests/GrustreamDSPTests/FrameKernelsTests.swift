import Foundation
import GrustreamKernels
import GrustreamTestSupport
import Testing

@testable import GrustreamDSP

/// The vector kernels of the frame path against plain scalar loops: element-wise kernels bit-identical,
/// reductions within float rounding of a Double sum, and the padded filter rows equal to `FilterBank.apply`
/// up to summation order; in every kernel family this CPU runs, each giving the baseline family's bits (no fused
/// multiply-adds in the frame kernels).
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

    @Test(arguments: KernelFamilies.runnable, [0, 1, 15, 16, 17, 400, 2048])
    func reductionsMatchDoubleSums(family: KernelFamily, n: Int) {
        let kernels = KernelFamilies.table(family)
        let baseline = KernelFamilies.table(.baseline)
        let x = Self.values(n, seed: UInt64(n) + 1)
        let sum = x.withUnsafeBufferPointer { kernels.sum($0.baseAddress!, n) }
        #expect(sum.bitPattern == x.withUnsafeBufferPointer { baseline.sum($0.baseAddress!, n) }.bitPattern)
        let exact = x.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(sum) - exact) <= 1e-5 * Double(max(n, 1)))
        let mean: Float = 0.125
        let squares = x.withUnsafeBufferPointer { kernels.sumOfSquares($0.baseAddress!, n, minus: mean) }
        #expect(
            squares.bitPattern
                == x.withUnsafeBufferPointer { baseline.sumOfSquares($0.baseAddress!, n, minus: mean) }.bitPattern)
        let exactSquares = x.reduce(0.0) { $0 + Double($1 - mean) * Double($1 - mean) }
        #expect(abs(Double(squares) - exactSquares) <= 1e-6 * max(exactSquares, 1))
    }

    @Test(arguments: KernelFamilies.runnable, [1, 17, 400, 2048])
    func centreEmphasiseWindowIsTheScalarPasses(family: KernelFamily, n: Int) {
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
                        KernelFamilies.table(family).centreEmphasiseWindow(
                            xp.baseAddress!, n, mean: mean, preemphasis: p, window: wp.baseAddress!,
                            into: op.baseAddress!)
                    }
                }
            }
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "n \(n), mean \(mean), p \(p)")
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func scaledCopyIsElementwise(family: KernelFamily) {
        let x = Self.values(37, seed: 3)
        var out = [Float](repeating: 0, count: 37)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
                KernelFamilies.table(family).scaledCopy(xp.baseAddress!, 37, scale: 32768, into: $0.baseAddress!)
            }
        }
        #expect(out == x.map { $0 * 32768 })
    }

    @Test(arguments: KernelFamilies.runnable, [false, true])
    func powerSpectrumIsRealFFTs(family: KernelFamily, magnitude: Bool) throws {
        let fft = try RealFFT(length: 512)
        let x = Self.values(512, seed: 5)
        for i in 0..<512 { fft.input[i] = x[i] }
        fft.execute()
        var expected = [Float](repeating: 0, count: 257)
        var got = expected
        expected.withUnsafeMutableBufferPointer { fft.spectrum(into: $0, magnitude: magnitude) }
        got.withUnsafeMutableBufferPointer {
            KernelFamilies.table(family).powerSpectrum(
                fft.output.baseAddress!, bins: 257, magnitude: magnitude, into: $0.baseAddress!)
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(family)")
    }

    @Test(arguments: KernelFamilies.runnable, [FeatureConvention.kaldi, .librosa, .precise])
    func paddedRowsMatchTheFilterBank(family: KernelFamily, convention: FeatureConvention) {
        let options = FeatureOptions.preset(convention, kind: .fbank, sampleRate: 16000)
        let bank = FilterBank.mel(options)
        let rows = KernelFamilies.with(family) { PaddedRows(bank) }
        let baselineRows = KernelFamilies.with(.baseline) { PaddedRows(bank) }
        var spectrum = Self.values(rows.paddedColumns, seed: 11).map { abs($0) * 100 }
        for i in bank.spectrumBins..<rows.paddedColumns { spectrum[i] = 0 }
        var expected = [Float](repeating: 0, count: bank.count)
        var got = [Float](repeating: 0, count: bank.count)
        var baselineGot = got
        spectrum.withUnsafeBufferPointer { s in
            bank.weights.withUnsafeBufferPointer { w in
                expected.withUnsafeMutableBufferPointer {
                    bank.apply(s.baseAddress!, weights: w.baseAddress!, into: $0.baseAddress!)
                }
            }
            got.withUnsafeMutableBufferPointer { rows.apply(s.baseAddress!, into: $0.baseAddress!) }
            baselineGot.withUnsafeMutableBufferPointer { baselineRows.apply(s.baseAddress!, into: $0.baseAddress!) }
        }
        #expect(got.map(\.bitPattern) == baselineGot.map(\.bitPattern))
        for f in 0..<bank.count {
            #expect(abs(got[f] - expected[f]) <= 1e-5 * max(abs(expected[f]), 1), "\(convention) filter \(f)")
        }
    }
}
