import Foundation
import GrustreamDSP
import Testing

@Suite("trend + seasonal decomposition")
struct SeasonalStageTests {
    /// Deterministic noise, roughly Gaussian with standard deviation `sigma` (sum of 12 uniforms − 6).
    static func noise(_ count: Int, sigma: Double, seed: UInt64 = 7) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<count).map { _ in sigma * ((0..<12).reduce(0.0) { s, _ in s + uniform() } - 6) }
    }

    /// The decomposition written out directly: trend = mean of the P values before, seasonal per phase learned over
    /// the first period, then exponentially averaged; remainder 0 during the first period.
    static func reference(_ x: [Float], period p: Int, smoothing alpha: Double) -> [Float] {
        var seasonal = [Double](repeating: 0, count: p)
        var out: [Float] = []
        for t in x.indices {
            let before = x[max(0, t - p)..<t].map(Double.init)
            let trend = t == 0 ? Double(x[0]) : before.reduce(0, +) / Double(before.count)
            let detrended = Double(x[t]) - trend
            if t < p {
                seasonal[t % p] = detrended
                out.append(0)
            } else {
                out.append(Float(detrended - seasonal[t % p]))
                seasonal[t % p] += alpha * (detrended - seasonal[t % p])
            }
        }
        return out
    }

    static func options(period: Int = 0, search: Int = 0, channels: Int = 1) -> FeatureOptions {
        var o = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 100)
        o.channels = channels
        o.seasonal.period = period
        o.seasonal.searchFrames = search
        return o
    }

    static let period = 24
    static let sigma = 0.05
    static let noise = noise(period * 40, sigma: sigma)
    /// Trend + sine + noise.
    static let series: [Float] = noise.indices.map { t in
        Float(0.01 * Double(t) + sin(2 * Double.pi * Double(t) / Double(period)) + noise[t])
    }

    static func rms(_ v: ArraySlice<Double>) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }

    @Test func matchesTheReferenceAndLeavesTheNoise() throws {
        let got = try FeatureExtractor.extract(Self.series, options: Self.options(period: Self.period)).values
        let expected = Self.reference(Self.series, period: Self.period, smoothing: 0.25)
        #expect(got.count == expected.count)
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest difference from the reference \(worst)")
        // After ten periods of learning the remainder is the noise, give or take the estimates' own noise.
        let learnt = (Self.period * 10)..<got.count
        let residual = Self.rms(learnt.map { Double(got[$0]) - Self.noise[$0] }[...])
        let remainder = Self.rms(learnt.map { Double(got[$0]) }[...])
        #expect(residual < 0.6 * Self.sigma, "remainder − noise RMS \(residual)")
        #expect(remainder < 1.3 * Self.sigma, "remainder RMS \(remainder) (the sine's is 0.71)")
    }

    @Test func chunkingDoesNotChangeTheOutput() throws {
        for options in [Self.options(period: Self.period), Self.options(search: 200)] {
            let whole = try FeatureExtractor.extract(Self.series, options: options).values
            let extractor = try FeatureExtractor(options: options)
            var chunked: [Float] = []
            var start = 0
            var size = 1
            while start < Self.series.count {
                let end = min(start + size, Self.series.count)
                extractor.accept(Array(Self.series[start..<end])) { chunked.append(contentsOf: $0) }
                start = end
                size = size % 37 + 3
            }
            extractor.finish { chunked.append(contentsOf: $0) }
            #expect(chunked == whole)
        }
    }

    @Test func findsThePeriodOfSyntheticSeries() {
        func detect(_ x: [Float]) -> Int {
            x.withUnsafeBufferPointer {
                SeasonalStage.detectPeriod(
                    $0, frames: x.count, dimension: 1, maxPeriod: x.count / 2, minCorrelation: 0.3)
            }
        }
        let n = Self.noise(600, sigma: 0.1, seed: 3)
        let sine = (0..<600).map { Float(sin(2 * Double.pi * Double($0) / 37) + n[$0]) }
        let square = (0..<600).map { Float(($0 / 25) % 2 == 0 ? 1 : 0) + Float(n[$0]) }
        let white = n.map(Float.init)
        #expect(detect(sine) == 37)
        #expect(detect(square) == 50)
        #expect(detect(white) == 0)
        #expect(detect([Float](repeating: 3, count: 600)) == 0)
    }

    @Test func aSearchingStageGoesOnAsIfThePeriodWereKnownFromTheStart() throws {
        let search = 200
        let searching = try FeatureExtractor.extract(Self.series, options: Self.options(search: search)).values
        let known = try FeatureExtractor.extract(Self.series, options: Self.options(period: Self.period)).values
        #expect(Array(searching[..<search]) == Array(Self.series[..<search]))
        #expect(Array(searching[search...]) == Array(known[search...]))
        let preset = try FeatureExtractor(options: Self.options(search: search))
        preset.presetSeasonalPeriod(Self.period)
        var values: [Float] = []
        preset.accept(Self.series) { values.append(contentsOf: $0) }
        preset.finish { _ in }
        #expect(values == known)
    }

    @Test func eachChannelIsDecomposedAlike() throws {
        let interleaved = Self.series.flatMap { [$0, 2 * $0] }
        let two = try FeatureExtractor.extract(interleaved, options: Self.options(period: Self.period, channels: 2))
        let one = try FeatureExtractor.extract(Self.series, options: Self.options(period: Self.period)).values
        let first = stride(from: 0, to: two.values.count, by: 2).map { two.values[$0] }
        #expect(first == one)
    }

    @Test(arguments: [
        ("seasonal_period", 1 << 17, 0), ("seasonal_period", 1, 0), ("seasonal_search_frames", 0, 1 << 15),
        ("seasonal_search_frames", 0, 4), ("seasonal_search_frames", 0, -1),
    ])
    func limitsAreChecked(key: String, period: Int, search: Int) {
        #expect(throws: FeatureConfigError.self) { try Self.options(period: period, search: search).validate() }
        do {
            try Self.options(period: period, search: search).validate()
        } catch {
            #expect("\(error)".contains("features.\(key)"), "\(error)")
        }
    }

    @Test func theRingsAreBoundedByTheDimension() throws {
        var o = Self.options(period: 1 << 16, channels: 32)
        #expect(throws: FeatureConfigError.self) { try o.validate() }
        o.seasonal.period = 0
        o.seasonal.searchFrames = 1 << 12
        #expect(throws: FeatureConfigError.self) { try o.validate() }
        o.seasonal.searchFrames = 1 << 11
        try o.validate()
        _ = try FeatureExtractor(options: Self.options(period: 1 << 16))
    }
}

@Suite("trend + seasonal decomposition, keeping the input")
struct SeasonalKeepInputTests {
    @Test func theVectorComesWithItsRemainders() throws {
        var options = SeasonalStageTests.options(search: 200)
        options.seasonal.keepInput = true
        let both = try FeatureExtractor.extract(SeasonalStageTests.series, options: options)
        let remainders = try FeatureExtractor.extract(
            SeasonalStageTests.series, options: SeasonalStageTests.options(search: 200)
        ).values
        #expect(both.dimension == 2)
        #expect(stride(from: 0, to: both.values.count, by: 2).map { both.values[$0] } == SeasonalStageTests.series)
        #expect(stride(from: 1, to: both.values.count, by: 2).map { both.values[$0] } == remainders)
    }
}
