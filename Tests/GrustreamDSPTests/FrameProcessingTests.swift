import Foundation
import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("frame processing")
struct FrameProcessingTests {
    static let input: [Float] = (try? Array(Golden.speech("speech_16k").prefix(4000))) ?? []

    /// Kaldi spectrogram: value 0 is the raw log energy (after DC removal), the rest ln |X|².
    @Test func kaldiSpectrumStartsWithRawLogEnergy() throws {
        let o = FeatureOptions.preset(.kaldi, kind: .spectrum, sampleRate: 16000)
        let got = try FeatureExtractor.extract(Self.input, options: o)
        #expect(got.dimension == 257 && got.frames == 1 + (4000 - 400) / 160)
        for t in [0, 5, got.frames - 1] {
            let frame = Self.input[(t * 160)..<(t * 160 + 400)].map { Double($0) * 32768 }
            let mean = frame.reduce(0, +) / 400
            let energy = log(frame.map { ($0 - mean) * ($0 - mean) }.reduce(0, +))
            #expect(abs(Double(got.values[t * 257]) - energy) < 1e-4, "frame \(t): \(got.values[t * 257]) vs \(energy)")
        }
    }

    @Test func magnitudeIsTheSquareRootOfPower() throws {
        var o = FeatureOptions.preset(.librosa, kind: .spectrum, sampleRate: 16000)
        o.setLibrosaSizes(nFFT: 256, hop: 128)
        o.log.scale = .none
        let power = try FeatureExtractor.extract(Self.input, options: o)
        o.spectrum.scale = .magnitude
        let magnitude = try FeatureExtractor.extract(Self.input, options: o)
        #expect(magnitude.values == power.values.map { $0.squareRoot() })
    }

    @Test func ditherIsSeededAndChangesTheOutput() throws {
        var o = FeatureOptions.preset(.kaldi, kind: .fbank, sampleRate: 16000)
        let clean = try FeatureExtractor.extract(Self.input, options: o).values
        o.frame.dither = 1
        o.frame.ditherSeed = 1
        let a = try FeatureExtractor.extract(Self.input, options: o).values
        let b = try FeatureExtractor.extract(Self.input, options: o).values
        o.frame.ditherSeed = 2
        let c = try FeatureExtractor.extract(Self.input, options: o).values
        #expect(a == b)
        #expect(a != c && a != clean)
        let closeness = Closeness("dither 1 vs none", computed: a, expected: clean, tolerance: 0.05)
        #expect(closeness.passed, "\(closeness)")
    }

    /// Centre mode: frame t starts at t·hop − frame/2, librosa's frame count 1 + len / hop for an even frame.
    @Test func centredFramesCoverTheEnd() throws {
        var o = FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 16000)
        o.setLibrosaSizes(nFFT: 512, hop: 160, winLength: 400)
        let e = try FeatureExtractor(options: o)
        #expect(e.firstSample(ofFrame: 0) == -256)
        for length in [100, 512, 4000, 4001] {
            let got = try FeatureExtractor.extract(Array(Self.input.prefix(length)), options: o)
            #expect(got.frames == 1 + length / 160, "length \(length)")
        }
    }
}
