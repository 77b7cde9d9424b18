import Foundation
import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("window")
struct WindowTests {
    @Test func hannPeriodicMatchesDefinition() {
        let w = Window.values(.hann, length: 8, periodic: true)
        for i in 0..<8 { #expect(abs(w[i] - Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 8))) < 1e-7) }
    }
}
