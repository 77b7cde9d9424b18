import GrustreamDSP
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// kaldi preset vs kaldi-native-fbank (dither 0); max |error| ≤ 1e-3 on log-domain values.
@Suite("kaldi features")
struct KaldiFeatureTests {
    @Test(arguments: KernelFamilies.runnable)
    func mfcc16k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "kaldi_mfcc_16k", input: Golden.speech("speech_16k"),
                options: .preset(.kaldi, kind: .mfcc, sampleRate: 16000))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func mfcc8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "kaldi_mfcc_8k", input: Golden.speech("speech_8k"),
                options: .preset(.kaldi, kind: .mfcc, sampleRate: 8000))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func fbank80at16k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .fbank, sampleRate: 16000)
            o.mel.bins = 80
            try Golden.check("kaldi_fbank80_16k", input: Golden.speech("speech_16k"), options: o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func fbank23at8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "kaldi_fbank23_8k", input: Golden.speech("speech_8k"),
                options: .preset(.kaldi, kind: .fbank, sampleRate: 8000))
        }
    }

    /// fbank with `use_energy`: the raw log energy is value 0, the 23 log mel energies follow.
    @Test(arguments: KernelFamilies.runnable)
    func fbankWithEnergy8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .fbank, sampleRate: 8000)
            o.energy.useEnergy = true
            #expect(o.dimension == 24)
            try Golden.check("kaldi_fbank23_energy_8k", input: Golden.speech("speech_8k"), options: o)
        }
    }

    /// Non-default options: Hamming window, no DC removal, pre-emphasis 0.9, 30 bins 60 Hz … Nyquist − 400 Hz,
    /// 20 cepstra, no lifter, energy after the window.
    @Test(arguments: KernelFamilies.runnable)
    func mfccVariant8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .mfcc, sampleRate: 8000)
            o.window.kind = .hamming
            o.frame.removeDCOffset = false
            o.frame.preemphasis = 0.9
            o.mel.bins = 30
            o.mel.lowHertz = 60
            o.mel.highHertz = -400
            o.cepstrum.coefficients = 20
            o.cepstrum.lifter = 0
            o.energy.rawEnergy = false
            try Golden.check("kaldi_mfcc_hamming_8k", input: Golden.speech("speech_8k"), options: o)
        }
    }

    /// Kaldi `add-deltas` (order 2, window 2, edge frames replicated) vs kaldi_native_fbank.compute_deltas.
    @Test(arguments: KernelFamilies.runnable)
    func mfccWithDeltas(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .mfcc, sampleRate: 16000)
            o.delta.order = 2
            #expect(o.dimension == 39)
            try Golden.check("kaldi_mfcc_16k_deltas", input: Golden.speech("speech_16k"), options: o)
        }
    }
}
