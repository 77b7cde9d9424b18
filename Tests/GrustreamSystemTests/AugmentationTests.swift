import Foundation
import GrustreamDSP
import GrustreamNeural
import GrustreamPipeline
import GrustreamTraining
import Testing

/// Training-data augmentation: each transform does what it claims, and the same seed gives the same data.
@Suite("Augmentation")
struct AugmentationTests {
    static func sine(_ hz: Double, count: Int, rate: Double = 16000) -> [Float] {
        (0..<count).map { Float(0.5 * sin(2 * .pi * hz * Double($0) / rate)) }
    }

    /// Rising zero crossings per sample (a frequency estimate for a clean sine).
    static func crossings(_ x: [Float]) -> Double {
        var n = 0
        for i in 1..<x.count where x[i - 1] < 0 && x[i] >= 0 { n += 1 }
        return Double(n) / Double(x.count)
    }

    @Test("mixing at an SNR gives that SNR (within 0.01 dB) for tones and noise")
    func snr() {
        var random = TrainingRandom(seed: 5)
        let signal = Self.sine(440, count: 16000)
        let noise = Augmentation.generatedNoise(count: 20000, random: &random)
        for asked: Float in [-5, 0, 7.5, 20] {
            let mixed = Augmentation.mix(signal, noise: noise, snrDB: asked)
            let added = zip(mixed, signal).map { $0 - $1 }
            let measured = 10 * log10(Augmentation.power(signal) / Augmentation.power(added))
            #expect(abs(measured - asked) < 0.01, "asked \(asked) dB, measured \(measured) dB")
        }
    }

    @Test("spectral masks zero exactly the spans they report, and nothing else")
    func masks() {
        let frames = 50
        let dimension = 20
        var values = [Float](repeating: 1, count: frames * dimension)
        var random = TrainingRandom(seed: 9)
        let (time, band) = Augmentation.maskFeatures(
            &values, dimension: dimension, timeMasks: 2, maxTimeWidth: 8, bandMasks: 3, maxBandWidth: 4,
            random: &random)
        #expect(time.count == 2 && band.count == 3)
        #expect(time.allSatisfy { $0.width >= 1 && $0.width <= 8 && $0.start + $0.width <= frames })
        #expect(band.allSatisfy { $0.width >= 1 && $0.width <= 4 && $0.start + $0.width <= dimension })
        for f in 0..<frames {
            for j in 0..<dimension {
                let masked =
                    time.contains { f >= $0.start && f < $0.start + $0.width }
                    || band.contains { j >= $0.start && j < $0.start + $0.width }
                #expect((values[f * dimension + j] == 0) == masked, "frame \(f) dimension \(j)")
            }
        }
    }

    @Test("speed perturbation scales length and frequency; pitch shift keeps the length and moves the frequency")
    func speedAndPitch() {
        let x = Self.sine(300, count: 16000)
        let fast = Augmentation.resample(x, factor: 1.25)
        #expect(fast.count == 12800)
        #expect(abs(Self.crossings(fast) / Self.crossings(x) - 1.25) < 0.01)
        let stretched = Augmentation.timeStretch(x, rate: 0.8)
        #expect(stretched.count == 20000)
        #expect(abs(Self.crossings(Array(stretched[1000..<19000])) / Self.crossings(x) - 1) < 0.03)
        let up = Augmentation.pitchShift(x, semitones: 3)
        #expect(up.count == x.count)
        let ratio = Self.crossings(Array(up[1000..<15000])) / Self.crossings(x)
        #expect(abs(ratio - pow(2, 3.0 / 12)) < 0.04, "frequency ratio \(ratio)")
    }

    @Test("room impulse response: direct path 1, tail at the asked direct-to-reverberant ratio, decaying by RT60")
    func roomResponse() {
        var random = TrainingRandom(seed: 2)
        let h = Augmentation.roomImpulseResponse(
            sampleRate: 16000, rt60: 0.4, directToReverberantDB: 6, random: &random)
        #expect(h.count == 6400)
        let tail = h.dropFirst().reduce(0) { $0 + $1 * $1 }
        let drr = 10 * log10((h[0] * h[0]) / tail)
        #expect(abs(drr - 6) < 0.3, "direct-to-reverberant \(drr) dB")
        // Energy of the second 100 ms relative to the first: −60 dB per 0.4 s → about −15 dB.
        let first = h[800..<2400].reduce(0) { $0 + $1 * $1 }
        let second = h[2400..<4000].reduce(0) { $0 + $1 * $1 }
        let fall = 10 * log10(second / first)
        #expect(fall < -12 && fall > -18, "decay over 100 ms: \(fall) dB")
    }

    @Test("FFT convolution equals direct convolution (≤ 1e-4)")
    func convolution() throws {
        var random = TrainingRandom(seed: 4)
        let x = (0..<3000).map { _ in random.normal() }
        let h = (0..<700).map { _ in random.normal() * 0.1 }
        let convolver = try FFTConvolver(maxSignal: 3000, maxResponse: 700)
        let fast = convolver.convolve(x, h)
        var worst: Float = 0
        for i in 0..<x.count {
            var s: Float = 0
            for k in 0...min(i, h.count - 1) { s += h[k] * x[i - k] }
            worst = max(worst, abs(s - fast[i]))
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test("a builder with every augmentation: same seed → same example, different seed → different")
    func determinism() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("augment-\(UUID().uuidString).toml")
        try "[source]\nrate = 16000\n[features]\nkind = \"fbank\"\nmel_bins = 16\n".write(
            to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let features = try TrainingFeatures(pipeline: PipelineConfig.load(url))
        var options = TrainingOptions()
        options.speedRange = 0.9...1.1
        options.pitchRange = -2...2
        options.reverbProbability = 1
        options.generatedNoiseProbability = 1
        options.noiseProbability = 1
        let builder = try ClassifyExampleBuilder(
            features: features, options: options, labels: ["_silence_", "_unknown_", "w"], noiseFiles: [])
        let word = Self.sine(500, count: 8000)
        func make(_ seed: UInt64) -> [Float] {
            var random = TrainingRandom(seed: seed)
            return builder.example(word, label: 2, random: &random, augment: true).features
        }
        #expect(make(1) == make(1))
        #expect(make(1) != make(2))
        var random = TrainingRandom(seed: 1)
        let clean = builder.example(word, label: 2, random: &random, augment: false).features
        #expect(clean != make(1))
    }
}
