import Foundation
import GrustreamDSP
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// Golden files from scripts/make-feature-goldens.py (see Tests/Fixtures/features/manifest.json).
enum Golden {
    static func tensor(_ name: String) throws -> Tensor { try Fixtures.tensor("features/\(name).npy") }

    /// An int16-valued input file as floats in [-1, 1) (value / 32768, exact).
    static func speech(_ name: String) throws -> [Float] { try tensor(name).scalars.map { $0 / 32768 } }

    /// The 3-axis accelerometer signal, interleaved [x0, y0, z0, x1, ...].
    static func accelerometer() throws -> [Float] { try tensor("accel_1k").scalars }

    /// Extracts `input` with `options` and compares with golden `name` (shape and values, absolute tolerance).
    @discardableResult
    static func check(
        _ name: String, input: [Float], options: FeatureOptions, tolerance: Float = 1e-3,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Closeness {
        let expected = try tensor(name)
        let got = try FeatureExtractor.extract(input, options: options)
        #expect([got.frames, got.dimension] == expected.shape, "\(name): shape", sourceLocation: sourceLocation)
        let c = Closeness(name, computed: got.values, expected: expected.scalars, tolerance: tolerance)
        print(c)
        #expect(c.passed, "\(c)", sourceLocation: sourceLocation)
        return c
    }
}
