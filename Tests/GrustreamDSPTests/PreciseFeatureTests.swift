import Foundation
import GrustreamDSP
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// The `precise` convention vs PyPI sonopy as Mycroft Precise calls it (Tests/Fixtures/precise, made by
/// scripts/make-precise-goldens.py): |error| ≤ 1e-4 · max(|sonopy|, 1) on every feature.
@Suite("precise features")
struct PreciseFeatureTests {
    static let recordings = ["hey_mycroft_test", "alexa_test", "hey_jane"]

    /// The samples of a 16-bit WAV fixture as floats (int16 / 32768, as Precise's `buffer_to_audio`).
    static func audio(_ stem: String) throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url("precise/\(stem).wav"))
        let pcm = data.dropFirst(44)  // canonical 44-byte header (checked by the size below)
        #expect(pcm.count % 2 == 0)
        return stride(from: pcm.startIndex, to: pcm.endIndex, by: 2).map { i in
            Float(Int16(bitPattern: UInt16(pcm[i]) | UInt16(pcm[i + 1]) << 8)) / 32768
        }
    }

    @Test func presetMatchesPreciseParameters() throws {
        let o = FeatureOptions.preset(.precise, kind: .mfcc, sampleRate: 16000)
        #expect(o.frameLength == 1600 && o.hopLength == 800 && o.fftLength == 512 && o.spectrumBins == 257)
        #expect(o.dimension == 13 && o.mel.bins == 20 && o.mel.highHertz == 16000)
        #expect(o.frame.inputScale == 1 && o.frame.preemphasis == 0 && !o.frame.removeDCOffset)
        try o.validate()
    }

    @Test func filterBankEqualsSonopy() throws {
        let expected = try Fixtures.tensor("precise/sonopy_filterbank_16k_20_257.npy")
        let bank = FilterBank.mel(.preset(.precise, kind: .mfcc, sampleRate: 16000))
        #expect(expected.shape == [20, 257])
        let c = Closeness(
            "sonopy filterbanks(16000, 20, 257)", computed: bank.dense, expected: expected.scalars, tolerance: 1e-7)
        print(c)
        #expect(c.passed, "\(c)")
        // Every filter has at least one bin (sonopy's correct_grid).
        #expect(bank.width.allSatisfy { $0 >= 1 })
    }

    @Test(arguments: KernelFamilies.runnable, recordings)
    func mfccEqualsSonopy(family: KernelFamily, _ stem: String) throws {
        try KernelFamilies.with(family) {
            let expected = try Fixtures.tensor("precise/\(stem)_features.npy")
            let got = try FeatureExtractor.extract(
                Self.audio(stem), options: .preset(.precise, kind: .mfcc, sampleRate: 16000))
            #expect([got.frames, got.dimension] == expected.shape)
            let c = Closeness(
                "\(stem) sonopy MFCC", computed: got.values, expected: expected.scalars, tolerance: 1e-4,
                relative: true, floor: 1)
            print(c)
            #expect(c.passed, "\(c)")
        }
    }

    /// Any split of the input gives bit-identical features.
    @Test(arguments: KernelFamilies.runnable)
    func chunkingDoesNotChangeFeatures(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let samples = try Self.audio("hey_mycroft_test")
            let options = FeatureOptions.preset(.precise, kind: .mfcc, sampleRate: 16000)
            let whole = try FeatureExtractor.extract(samples, options: options).values
            for chunk in [1, 7, 800, 1024, 1601, 16000] {
                let extractor = try FeatureExtractor(options: options)
                var values: [Float] = []
                var i = 0
                while i < samples.count {
                    let end = min(i + chunk, samples.count)
                    extractor.accept(Array(samples[i..<end])) { values.append(contentsOf: $0) }
                    i = end
                }
                extractor.finish { values.append(contentsOf: $0) }
                #expect(values == whole, "chunk \(chunk)")
            }
        }
    }

    @Test func truncationIsRefusedUnlessAsked() throws {
        var o = FeatureOptions.preset(.precise, kind: .mfcc, sampleRate: 16000)
        o.spectrum.truncate = false
        #expect(throws: FeatureConfigError.self) { try o.validate() }
    }
}
