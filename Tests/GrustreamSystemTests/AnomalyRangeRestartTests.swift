import Foundation
import Testing

@testable import GrustreamPipeline

/// `range_novelty` with a decomposition whose period search has just ended: the remainders' range restarts from
/// what the searched frames' remainders would have been, the values' range is kept.
@Suite("anomaly detector: range restart")
struct AnomalyRangeRestartTests {
    static func detector() throws -> AnomalyDetector {
        var options = AnomalyOptions()
        options.target = .current
        options.scale = .likelihood
        options.threshold = 0.99
        options.rangeNovelty = true
        options.rangeTolerance = 0
        options.likelihoodLearnMilliseconds = 20
        options.likelihoodShortMilliseconds = 10
        return try AnomalyDetector(inputSize: 2, outputSize: 2, options: options, hopSeconds: 0.01)
    }

    /// The likelihood after each of `inputs` (the output predicts the input exactly: only the range can flag).
    static func feed(_ detector: AnomalyDetector, _ inputs: [[Float]], from first: Int) -> [Float] {
        inputs.enumerated().map { k, input in
            input.withUnsafeBufferPointer { x in
                let frame = DetectorFrame(
                    index: first + k, start: Double(first + k) * 0.01, end: Double(first + k + 1) * 0.01, input: x,
                    output: x)
                detector.process(frame) { _ in }
            }
            return detector.withScores { $0[1] }
        }
    }

    @Test func theRemaindersAreJudgedAgainstTheirOwnRange() throws {
        // While the period is searched both values are the input (0 … 10); then remainders of about ±1.
        let searched = (0..<10).map { [Float($0), Float($0)] }
        let after: [[Float]] = [[5, 0.5], [5, 3], [5, 0.9], [11, 0]]
        let plain = try Self.detector()
        _ = Self.feed(plain, searched, from: 0)
        #expect(Self.feed(plain, after, from: 10) == [0.5, 0.5, 0.5, 1], "without a restart: only the value at 11")
        let restarted = try Self.detector()
        _ = Self.feed(restarted, searched, from: 0)
        restarted.restartRange(low: [.nan, -1], high: [.nan, 1])
        #expect(Self.feed(restarted, after, from: 10) == [0.5, 1, 0.5, 1], "the remainder 3 leaves [-1, 1]")
    }
}
