import GrustreamDSP
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// librosa preset vs librosa (power_to_db(ref=1, amin=1e-10, top_db=None)); max |error| ≤ 1e-3 in dB / cepstra.
@Suite("librosa features")
struct LibrosaFeatureTests {
    static func options(
        _ kind: FeatureKind, rate: Double, nFFT: Int, hop: Int, win: Int, center: Bool, mels: Int,
        mfcc: Int = 20
    ) -> FeatureOptions {
        var o = FeatureOptions.preset(.librosa, kind: kind, sampleRate: rate)
        o.setLibrosaSizes(nFFT: nFFT, hop: hop, winLength: win)
        o.frame.edges = center ? .center : .snip
        o.mel.bins = mels
        o.cepstrum.coefficients = mfcc
        return o
    }

    @Test(arguments: KernelFamilies.runnable)
    func mfccCentred16k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "librosa_mfcc_16k_center", input: Golden.speech("speech_16k"),
                options: Self.options(.mfcc, rate: 16000, nFFT: 512, hop: 160, win: 400, center: true, mels: 40))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func logMelCentred16k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "librosa_logmel_16k_center", input: Golden.speech("speech_16k"),
                options: Self.options(.fbank, rate: 16000, nFFT: 512, hop: 160, win: 400, center: true, mels: 64))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func logMelNotCentred16k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "librosa_logmel_16k_nocenter", input: Golden.speech("speech_16k"),
                options: Self.options(.fbank, rate: 16000, nFFT: 512, hop: 160, win: 400, center: false, mels: 40))
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func mfccNotCentred8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            try Golden.check(
                "librosa_mfcc_8k_nocenter", input: Golden.speech("speech_8k"),
                options: Self.options(
                    .mfcc, rate: 8000, nFFT: 256, hop: 80, win: 200, center: false, mels: 32,
                    mfcc: 13))
        }
    }

    /// Per-bin dB is ill-conditioned in spectral notches (a bin 45 dB under its neighbours amplifies the float32
    /// rounding of two different FFTs, pocketfft and FFTW): ≤ 1e-3 dB where the reference is above −60 dB,
    /// ≤ 5e-3 dB everywhere (measured: one notch bin at −72 dB differs by 1.2e-3).
    @Test(arguments: KernelFamilies.runnable)
    func powerSpectrumDecibelCentred8k(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            let o = Self.options(.spectrum, rate: 8000, nFFT: 256, hop: 128, win: 256, center: true, mels: 1)
            let expected = try Golden.tensor("librosa_spectrum_db_8k_center")
            let got = try FeatureExtractor.extract(Golden.speech("speech_8k"), options: o)
            #expect([got.frames, got.dimension] == expected.shape)
            let all = Closeness(
                "librosa_spectrum_db_8k_center (all bins)", computed: got.values, expected: expected.scalars,
                tolerance: 5e-3)
            let keep = expected.scalars.indices.filter { expected.scalars[$0] > -60 }
            let loud = Closeness(
                "librosa_spectrum_db_8k_center (bins > -60 dB)", computed: keep.map { got.values[$0] },
                expected: keep.map { expected.scalars[$0] }, tolerance: 1e-3)
            print(all)
            print(loud)
            #expect(all.passed, "\(all)")
            #expect(loud.passed, "\(loud)")
        }
    }
}
