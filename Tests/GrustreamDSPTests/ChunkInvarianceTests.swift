import GrustreamDSP
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// The same input fed in chunks of 1, 7, 161, 1023 and random sizes gives bit-identical output (`==`) to the
/// whole input at once. Multi-channel inputs are split mid-sample by the odd chunk sizes.
@Suite("chunk invariance")
struct ChunkInvarianceTests {
    static func run(_ x: [Float], _ extractor: FeatureExtractor, chunks: (Int) -> Int) -> [Float] {
        var out: [Float] = []
        x.withUnsafeBufferPointer { all in
            var i = 0
            var call = 0
            while i < all.count {
                let n = min(chunks(call), all.count - i)
                extractor.accept(UnsafeBufferPointer(rebasing: all[i..<(i + n)])) { out.append(contentsOf: $0) }
                i += n
                call += 1
            }
        }
        extractor.finish { out.append(contentsOf: $0) }
        return out
    }

    static func check(_ name: String, _ x: [Float], _ options: FeatureOptions) throws {
        let extractor = try FeatureExtractor(options: options)
        let whole = run(x, extractor) { _ in Int.max }
        #expect(whole.count > 0 && whole.count % extractor.dimension == 0, "\(name): no output")
        var state: UInt64 = 42
        let sizes: [(String, (Int) -> Int)] = [
            ("1", { _ in 1 }), ("7", { _ in 7 }), ("161", { _ in 161 }), ("1023", { _ in 1023 }),
            (
                "random",
                { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Int(state >> 33) % 700 + 1
                }
            ),
        ]
        for (label, chunk) in sizes {
            let streamed = run(x, extractor, chunks: chunk)
            #expect(streamed == whole, "\(name): chunks of \(label) differ from the whole input")
        }
        // After finish the extractor starts a new stream: the same input again gives the same output.
        #expect(run(x, extractor) { _ in 4096 } == whole, "\(name): second stream differs")
    }

    @Test(arguments: KernelFamilies.runnable)
    func kaldiMFCCWithDeltas(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .mfcc, sampleRate: 16000)
            o.delta.order = 2
            try Self.check("kaldi mfcc + deltas", Array(Golden.speech("speech_16k").prefix(12000)), o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func kaldiFbankWithDither(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .fbank, sampleRate: 8000)
            o.frame.dither = 1
            o.frame.ditherSeed = 7
            try Self.check("kaldi fbank + dither", Golden.speech("speech_8k"), o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func librosaCentredLogMelWithDeltasAndCMVN(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.librosa, kind: .fbank, sampleRate: 16000)
            o.setLibrosaSizes(nFFT: 512, hop: 160, winLength: 400)
            o.mel.bins = 40
            o.delta.order = 1
            o.normalisation.mode = .sliding
            o.normalisation.windowFrames = 20
            o.normalisation.normaliseVariance = true
            try Self.check(
                "librosa log-mel centred + deltas + cmvn", Array(Golden.speech("speech_16k").prefix(12000)), o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func librosaMFCCNotCentred(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.librosa, kind: .mfcc, sampleRate: 8000)
            o.setLibrosaSizes(nFFT: 256, hop: 80, winLength: 200)
            o.frame.edges = .snip
            o.mel.bins = 32
            try Self.check("librosa mfcc", Golden.speech("speech_8k"), o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func sensorBandsThreeChannels(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .bands, sampleRate: 1000)
            o.delta.order = 2
            o.frame.edges = .center
            try Self.check("bands 3ch centred + deltas", Golden.accelerometer(), o)
        }
    }

    @Test(arguments: KernelFamilies.runnable)
    func sensorRawDecimated(family: KernelFamily) throws {
        try KernelFamilies.with(family) {
            var o = FeatureOptions.preset(.kaldi, kind: .raw, sampleRate: 1000)
            o.raw.decimation = 5
            try Self.check("raw 3ch decimated", Golden.accelerometer(), o)
        }
    }
}
