import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

/// `AudioConverter`: libsoxr HQ against SoX's own `rate` effect (goldens by scripts/make-resampling-goldens.py),
/// pass-band gain and stop-band rejection on tones, streaming exactness, the mix down, and its limits.
@Suite("resampling and mix down")
struct ResamplingTests {
    static let mono16k = AudioTarget(sampleRate: 16000, channels: 1)

    static func convert(_ x: [Float], rate: Int, channels: Int = 1, target: AudioTarget = mono16k) throws -> [Float] {
        try AudioConverter.convert(x, inputRate: rate, inputChannels: channels, target: target, name: "test")
    }

    static func tone(_ hz: Double, amplitude: Double, rate: Int, seconds: Double) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
    }

    /// RMS of the middle half (away from the filter's start-up and tail).
    static func middleRMS(_ x: [Float]) -> Double {
        let part = x[(x.count / 4)..<(3 * x.count / 4)]
        return (part.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(part.count)).squareRoot()
    }

    /// Against SoX's rate effect (another implementation of the same recipe), signal peak ~0.7: away from the
    /// first and last 100 output samples every sample is within 2e-4 of SoX's (measured: 1.8e-7 from 48 kHz,
    /// 1.0e-5 from 44.1 kHz, 1.3e-5 from 22.05 kHz, 1.2e-4 from 8 kHz); at the edges, where the two start and
    /// end their filters differently, within 1e-2 (measured ≤ 4.9e-3).
    @Test(arguments: ["48000_to_16000", "44100_to_16000", "22050_to_16000", "8000_to_16000"])
    func matchesSoXRateEffect(name: String) throws {
        let input = try Fixtures.tensor("resampling/\(name).in.npy").scalars
        let expected = try Fixtures.tensor("resampling/\(name).out.npy").scalars
        let rate = Int(name.split(separator: "_")[0])!
        let output = try Self.convert(input, rate: rate)
        #expect(output.count == expected.count)
        let edge = 100
        let closeness = Closeness(
            name, computed: output[edge..<(output.count - edge)], expected: expected[edge..<(expected.count - edge)],
            tolerance: 2e-4)
        print(closeness)
        #expect(closeness.passed, "\(closeness)")
        let whole = Closeness(name + " (edges too)", computed: output, expected: expected, tolerance: 1e-2)
        print(whole)
        #expect(whole.passed, "\(whole)")
    }

    /// A 1 kHz tone keeps its amplitude (±0.01 dB, the HQ pass band's ripple) through 48 → 16 kHz, and a
    /// 10 kHz tone (above the 8 kHz Nyquist frequency) is rejected, not aliased to 6 kHz: below −100 dB.
    @Test func passBandGainAndStopBandRejection() throws {
        let amplitude = 0.5
        let pass = try Self.convert(Self.tone(1000, amplitude: amplitude, rate: 48000, seconds: 1), rate: 48000)
        #expect(pass.count == 16000)
        let gainDB = 20 * log10(Self.middleRMS(pass) * 2.0.squareRoot() / amplitude)
        let stop = try Self.convert(Self.tone(10000, amplitude: amplitude, rate: 48000, seconds: 1), rate: 48000)
        let aliasDB = 20 * log10(max(Self.middleRMS(stop) * 2.0.squareRoot(), 1e-12) / amplitude)
        print("1 kHz gain \(gainDB) dB, 10 kHz alias \(aliasDB) dB")
        #expect(abs(gainDB) < 0.01)
        #expect(aliasDB < -100)
    }

    /// The same input split anywhere — inside frames, pieces of 1 to 5000 samples — gives the same samples, bit for
    /// bit, as the whole input at once.
    @Test(arguments: [(48000, 2), (44100, 1), (8000, 3), (16000, 2)] as [(Int, Int)])
    func anyChunkingGivesTheSameSamples(rate: Int, channels: Int) throws {
        var generator = SeededGenerator(seed: UInt64(rate + channels))
        let input = (0..<(rate / 2 * channels)).map { _ in Float.random(in: -0.5..<0.5, using: &generator) }
        let whole = try Self.convert(input, rate: rate, channels: channels)
        for seed in [1, 2] as [UInt64] {
            var chunks = SeededGenerator(seed: seed)
            let converter = try #require(
                try AudioConverter.make(inputRate: rate, inputChannels: channels, target: Self.mono16k, name: "t"))
            var streamed: [Float] = []
            var offset = 0
            while offset < input.count {
                let count = min(input.count - offset, Int.random(in: 1...5000, using: &chunks))
                input[offset..<(offset + count)].withUnsafeBufferPointer {
                    converter.process($0) { streamed.append(contentsOf: $0) }
                }
                offset += count
            }
            try converter.finish { streamed.append(contentsOf: $0) }
            #expect(streamed == whole)
        }
        #expect(abs(whole.count - input.count / channels * 16000 / rate) <= 1)
    }

    /// Channels are averaged (as `DecodedAudio.downmix`) before resampling; at the same rate that is all.
    @Test func mixDownAveragesChannels() throws {
        let format = PCMFormat(sampleRate: 16000, channels: 3, encoding: .f32le)
        let samples: [Float] = (0..<300).map { Float($0 % 17) / 17 - 0.4 }
        let audio = DecodedAudio(format: format, samples: samples)
        #expect(try audio.converted(to: Self.mono16k, name: "t").samples == audio.downmix())
        #expect(try AudioConverter.make(inputRate: 16000, inputChannels: 1, target: Self.mono16k, name: "t") == nil)
    }

    @Test func ratesAndChannelsOutsideTheRangeAreOneLineErrors() throws {
        let cases: [(Int, Int, AudioTarget, String)] = [
            (
                500, 1, Self.mono16k,
                "x.wav: cannot resample 500 Hz audio to 16000 Hz: the input rate 500 Hz is outside 1000–384000 Hz"
            ),
            (
                16000, 1, AudioTarget(sampleRate: 400_000, channels: 1),
                "x.wav: cannot resample 16000 Hz audio to 400000 Hz: the features rate 400000 Hz is outside 1000–384000 Hz"
            ),
            (
                16000, 2, AudioTarget(sampleRate: 16000, channels: 3),
                "x.wav: 2-channel audio, but the features expect 3 channels (features.channels); only a mix down to one channel is done"
            ),
            (16000, 300, Self.mono16k, "x.wav: 300 channels; expected 1–256 to mix down"),
        ]
        for (rate, channels, target, message) in cases {
            #expect(throws: InputError(message)) {
                _ = try AudioConverter.make(inputRate: rate, inputChannels: channels, target: target, name: "x.wav")
            }
        }
    }

    /// A WAV stream at 48 kHz stereo through the decoder a source uses, in 1-byte to 4 KiB pieces: the frames
    /// emitted are the converter's output for the decoded samples, whatever the pieces.
    @Test func wavDecoderConvertsInAnyChunking() throws {
        let format = PCMFormat(sampleRate: 48000, channels: 2, encoding: .s16le)
        let signal = Self.tone(440, amplitude: 0.3, rate: 48000, seconds: 0.2).flatMap { [$0, -$0 / 2] }
        let wav = WAVEncoder.encode(signal, format: format)
        let decoded = try AudioFile.decode(wav, container: .wav, name: "t.wav")
        let expected = try decoded.converted(to: Self.mono16k, name: "t.wav").samples
        let limits = InputLimits(convert: Self.mono16k)
        for chunk in [1, 7, 4096] {
            let result = wav.withUnsafeBytes {
                InputDecoder.decodeWhole($0, format: .wav, limits: limits, chunkBytes: chunk)
            }
            #expect(result.error == nil)
            #expect(result.samples == expected.count)
        }
    }
}
