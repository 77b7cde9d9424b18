import Foundation
import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("window")
struct WindowTests {
    /// Rows of windows_400.npy: Kaldi symmetric windows, then scipy periodic ones.
    static let rows: [(WindowKind, Bool)] = [
        (.rectangular, false), (.hann, false), (.hamming, false), (.povey, false), (.blackman, false),
        (.hann, true), (.hamming, true), (.blackman, true),
    ]

    @Test func matchesKaldiAndScipy() throws {
        let expected = try Golden.tensor("windows_400")
        #expect(expected.shape == [Self.rows.count, 400])
        for (r, (kind, periodic)) in Self.rows.enumerated() {
            let w = Window.values(kind, length: 400, periodic: periodic)
            let c = Closeness("\(kind) periodic=\(periodic)", computed: w, expected: expected.row(r), tolerance: 1e-6)
            #expect(c.passed, "\(c)")
        }
    }

    @Test func hannPeriodicMatchesDefinition() {
        let w = Window.values(.hann, length: 8, periodic: true)
        for i in 0..<8 { #expect(abs(w[i] - Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 8))) < 1e-7) }
    }

    @Test func shortWindowIsCentredInTheFrame() {
        var o = FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 16000)
        o.setLibrosaSizes(nFFT: 512, hop: 160, winLength: 400)
        let w = Window.frameWindow(o)
        #expect(w.count == 512)
        #expect(w[0..<56].allSatisfy { $0 == 0 } && w[456...].allSatisfy { $0 == 0 })
        #expect(Array(w[56..<456]) == Window.values(.hann, length: 400, periodic: true))
    }
}
