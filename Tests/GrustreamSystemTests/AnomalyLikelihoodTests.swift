import Foundation
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

@Suite("anomaly likelihood")
struct AnomalyLikelihoodTests {
    /// The likelihood as the definition reads, recomputed from whole arrays every frame.
    static func reference(_ errors: [Double], short: Int, long: Int, learn: Int) -> [Double] {
        var shortMeans: [Double] = []
        var result: [Double] = []
        for t in errors.indices {
            let recent = errors[max(0, t - short + 1)...t]
            let shortMean = recent.reduce(0, +) / Double(recent.count)
            let history = shortMeans.suffix(long)
            if history.count >= learn {
                let n = Double(history.count)
                let mean = history.reduce(0, +) / n
                let variance = history.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
                let z = (shortMean - mean) / max(variance.squareRoot(), AnomalyLikelihood.minimumStd)
                result.append(1 - 0.5 * erfc(z / 2.0.squareRoot()))
            } else {
                result.append(0.5)
            }
            shortMeans.append(shortMean)
        }
        return result
    }

    static func noise(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            // Sum of 4 uniforms: roughly Gaussian, mean 0, std ~0.58.
            (0..<4).map { _ in Double(generator.next() % 10_000) / 10_000 - 0.5 }.reduce(0, +)
        }
    }

    @Test(arguments: [
        (short: 1, long: 50, learn: 10), (short: 10, long: 200, learn: 200), (short: 7, long: 64, learn: 30),
    ])
    func matchesTheDefinition(windows: (short: Int, long: Int, learn: Int)) {
        var errors = Self.noise(1500, seed: 3)
        for t in 900..<960 { errors[t] += 3 }  // a burst, so the tail values are exercised too
        let expected = Self.reference(errors, short: windows.short, long: windows.long, learn: windows.learn)
        var likelihood = AnomalyLikelihood(
            shortFrames: windows.short, longFrames: windows.long, learnFrames: windows.learn)
        var worst = (index: -1, got: 0.0, expected: 0.0)
        for (t, error) in errors.enumerated() {
            let got = likelihood.update(error)
            #expect(got >= 0 && got <= 1)
            #expect(abs(likelihood.tail - (1 - got)) < 1e-12)
            if abs(got - expected[t]) > abs(worst.got - worst.expected) { worst = (t, got, expected[t]) }
        }
        #expect(abs(worst.got - worst.expected) < 1e-9, "frame \(worst.index): \(worst.got) vs \(worst.expected)")
    }

    @Test func aStepGoesToOneThenDecaysAsTheHistoryAbsorbsIt() {
        let (short, long) = (10, 500)
        var likelihood = AnomalyLikelihood(shortFrames: short, longFrames: long, learnFrames: 100)
        let errors = Self.noise(3000, seed: 11).enumerated().map { $0.offset >= 1000 ? $0.element + 2 : $0.element }
        var values: [Double] = []
        for error in errors { values.append(likelihood.update(error)) }
        let normal = values[200..<1000]
        #expect(normal.filter { $0 > 0.999 }.count <= 2, "normal data gave \(normal.filter { $0 > 0.999 })")
        #expect(values[1000 + short - 1] > 0.9999, "at the step: \(values[(1000)..<(1000 + short)])")
        #expect(values[1000 + short / 2] > 0.99, "half a short window into the step: \(values[1000 + short / 2])")
        #expect(
            values[1000 + long + short] < 0.9,
            "once the history holds only the new level: \(values[1000 + long + short])")
        #expect(values[2500..<3000].allSatisfy { $0 < 0.999 })
        #expect(likelihood.logLikelihood >= 0 && likelihood.logLikelihood <= 1)
    }

    @Test func framesNotLearnedAreJudgedButLeaveTheHistoryAlone() {
        var learning = AnomalyLikelihood(shortFrames: 10, longFrames: 300, learnFrames: 100)
        var frozen = learning
        let errors = Self.noise(2000, seed: 5).enumerated().map { $0.offset >= 1000 ? $0.element + 2 : $0.element }
        var learned: [Double] = []
        var judged: [Double] = []
        for (t, error) in errors.enumerated() {
            learned.append(learning.update(error))
            judged.append(frozen.update(error, learn: t < 1010))
        }
        #expect(learned[1009] == judged[1009])
        #expect(learned[1900] < 0.9, "the learning history absorbs the new level: \(learned[1900])")
        #expect(
            judged[1010..<2000].allSatisfy { $0 > 0.9999 }, "a history that does not learn keeps the level anomalous")
    }

    @Test func aConstantHistoryStillGivesAFiniteLikelihood() {
        var likelihood = AnomalyLikelihood(shortFrames: 5, longFrames: 100, learnFrames: 50)
        for _ in 0..<200 { likelihood.update(-3) }
        #expect(abs(likelihood.likelihood - 0.5) < 1e-9)
        likelihood.update(7)
        #expect(likelihood.likelihood > 0.999_999)
        #expect(likelihood.logLikelihood > 0.5 && likelihood.logLikelihood <= 1)
    }
}
