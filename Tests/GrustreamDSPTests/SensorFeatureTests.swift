import Foundation
import GrustreamDSP
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// Sensor kinds on a synthetic 3-axis accelerometer at 1 kHz (reference: numpy float64, band_energies() in
/// scripts/make-feature-goldens.py).
@Suite("sensor features")
struct SensorFeatureTests {
    static func bands(_ spacing: BandSpacing, low: Double, high: Double) -> FeatureOptions {
        var o = FeatureOptions.preset(.kaldi, kind: .bands, sampleRate: 1000)
        o.bands.spacing = spacing
        o.bands.lowHertz = low
        o.bands.highHertz = high
        return o
    }

    @Test(arguments: KernelFamilies.runnable)
    func linearBandsMatchNumpy(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let o = Self.bands(.linear, low: 0, high: 500)
            #expect(o.dimension == 48 && o.fftLength == 256)
            try Golden.check("bands_linear_accel_1k", input: Golden.accelerometer(), options: o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func logBandsMatchNumpy(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "bands_log_accel_1k", input: Golden.accelerometer(), options: Self.bands(.log, low: 5, high: 400))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func rawAveragesEachDecimationBlock(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 1000)
            o.raw.decimation = 4
            let x = try Golden.accelerometer()
            let got = try FeatureExtractor.extract(x, options: o)
            let frames = x.count / 3 / 4
            #expect(got.frames == frames && got.dimension == 3)
            var expected: [Float] = []
            for t in 0..<frames {
                for c in 0..<3 {
                    var s: Float = 0
                    for i in 0..<4 { s += x[(t * 4 + i) * 3 + c] }
                    expected.append(s / 4)
                }
            }
            #expect(got.values == expected)
        }
    }

    @Test func rawWithoutDecimationPassesSamplesThrough() throws {
        let o = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 1000)
        let x: [Float] = (0..<30).map { Float($0) * 0.25 - 3 }
        let got = try FeatureExtractor.extract(x, options: o)
        #expect(got.values == x && got.dimension == 3)
    }
}
