import Foundation
import GrustreamDSP
import GrustreamTestSupport
import Testing

@Suite("mel")
struct MelBankTests {
    @Test func librosaSlaneyMatchesLibrosa() throws {
        var o = FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 16000)
        o.setLibrosaSizes(nFFT: 512, hop: 160)
        o.mel.bins = 40
        let bank = FilterBank.mel(o)
        let expected = try Golden.tensor("librosa_mel_16k_512_40")
        #expect(expected.shape == [40, 257])
        let c = Closeness("librosa mel slaney", computed: bank.dense, expected: expected.scalars, tolerance: 1e-6)
        #expect(c.passed, "\(c)")
    }

    @Test func librosaHTKMatchesLibrosa() throws {
        var o = FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 8000)
        o.setLibrosaSizes(nFFT: 256, hop: 80)
        o.mel.bins = 20
        o.mel.lowHertz = 100
        o.mel.highHertz = 3800
        o.mel.scale = .htk
        o.mel.norm = .none
        let bank = FilterBank.mel(o)
        let expected = try Golden.tensor("librosa_mel_htk_8k_256_20")
        let c = Closeness("librosa mel htk", computed: bank.dense, expected: expected.scalars, tolerance: 1e-5)
        #expect(c.passed, "\(c)")
    }

    @Test func kaldiMatchesKaldiNativeFbank() throws {
        let o = FeatureOptions.preset(.kaldi, kind: .fbank, sampleRate: 16000)
        let bank = FilterBank.mel(o)
        let expected = try Golden.tensor("kaldi_mel_16k_512_23")
        #expect(expected.shape == [23, 257])
        let c = Closeness("kaldi mel", computed: bank.dense, expected: expected.scalars, tolerance: 1e-5)
        #expect(c.passed, "\(c)")
    }

    @Test func sparseFormKeepsOnlyTheSupport() {
        let bank = FilterBank(dense: [[0, 0, 1, 2, 0], [3, 0, 0, 0, 4], [0, 0, 0, 0, 0]], spectrumBins: 5)
        #expect(bank.firstBin == [2, 0, 0] && bank.width == [2, 5, 0])
        #expect(bank.dense == [0, 0, 1, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0])
    }
}
