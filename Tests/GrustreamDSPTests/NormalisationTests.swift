import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("deltas and normalisation")
struct NormalisationTests {
    static let input: [Float] = (try? Array(Golden.speech("speech_8k").prefix(8000))) ?? []

    static func fbank() -> FeatureOptions { .preset(.kaldi, kind: .fbank, sampleRate: 8000) }

    @Test func deltaWindowsAreKaldis() {
        let w = DeltaWindow.windows(order: 2, n: 2)
        let c1 = Closeness("w1", computed: w[0].map(Float.init), expected: [-0.2, -0.1, 0, 0.1, 0.2], tolerance: 1e-7)
        let c2 = Closeness(
            "w2", computed: w[1].map(Float.init), expected: [0.04, 0.04, 0.01, -0.04, -0.1, -0.04, 0.01, 0.04, 0.04],
            tolerance: 1e-7)
        #expect(c1.passed, "\(c1)")
        #expect(c2.passed, "\(c2)")
    }

    /// kaldi_native_fbank's docstring example: x = [1, 2, 4], order 2, window 1.
    @Test func deltasReplicateEdgeFrames() throws {
        var o = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 100)
        o.channels = 1
        o.delta.order = 2
        o.delta.window = 1
        let got = try FeatureExtractor.extract([1, 2, 4], options: o)
        #expect(got.values == [1, 0.5, 0.75, 2, 1.5, 0.25, 4, 1.0, -0.75])
    }

    @Test func latencyIsOrderTimesWindow() throws {
        var o = Self.fbank()
        o.delta.order = 2
        let e = try FeatureExtractor(options: o)
        #expect(e.latencyFrames == 4)
        #expect(e.firstSample(ofFrame: 3) == 240)
        // 10 complete base frames at 8 kHz: 200 + 9·80 samples.
        var n = 0
        e.accept([Float](repeating: 0.1, count: 200 + 9 * 80)) { _ in n += 1 }
        #expect(n == 6 && e.framesEmitted == 6)
        e.finish { _ in n += 1 }
        #expect(n == 10)
    }

    @Test func globalMeanAndStd() throws {
        let plain = try FeatureExtractor.extract(Self.input, options: Self.fbank())
        var o = Self.fbank()
        o.normalisation.mode = .global
        o.normalisation.mean = (0..<23).map { Float($0) * 0.5 }
        o.normalisation.std = (0..<23).map { 1 + Float($0) * 0.25 }
        let got = try FeatureExtractor.extract(Self.input, options: o)
        let expected = plain.values.enumerated().map { i, v in
            (v - o.normalisation.mean[i % 23]) / o.normalisation.std[i % 23]
        }
        let c = Closeness("global normalisation", computed: got.values, expected: expected, tolerance: 1e-5)
        #expect(c.passed, "\(c)")
    }

    /// Causal sliding CMVN vs a direct Double computation over frames max(0, t−W+1) ... t.
    @Test(arguments: [false, true])
    func slidingCMVN(variance: Bool) throws {
        let plain = try FeatureExtractor.extract(Self.input, options: Self.fbank())
        var o = Self.fbank()
        o.normalisation.mode = .sliding
        o.normalisation.windowFrames = 7
        o.normalisation.normaliseVariance = variance
        let got = try FeatureExtractor.extract(Self.input, options: o)
        let d = plain.dimension
        var expected: [Float] = []
        for t in 0..<plain.frames {
            let lo = max(0, t - 6)
            for i in 0..<d {
                let window = (lo...t).map { Double(plain.values[$0 * d + i]) }
                let mean = window.reduce(0, +) / Double(window.count)
                var y = Double(plain.values[t * d + i]) - mean
                if variance {
                    let v = window.map { $0 * $0 }.reduce(0, +) / Double(window.count) - mean * mean
                    y /= max(v, 1e-10).squareRoot()
                }
                expected.append(Float(y))
            }
        }
        let c = Closeness(
            "sliding cmvn variance=\(variance)", computed: got.values, expected: expected, tolerance: 1e-3)
        #expect(c.passed, "\(c)")
        // The first frame alone: mean-subtracted to exactly 0.
        #expect(got.values[0..<d].allSatisfy { $0 == 0 })
    }
}
