import Foundation
import Testing

@testable import GrustreamIO

/// Headers and streams made to exhaust memory or time: each is refused with one clear line before anything is
/// sized from it, and decoding stays linear in the input.
@Suite("hostile decoder input")
struct HostileDecoderTests {
    /// A WAV header (no samples) with the given `fmt ` fields.
    static func header(channels: Int, rate: Int, bits: Int = 16, formatTag: Int = 1, dataBytes: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        func u16(_ v: Int) { bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: Int) { u16(v & 0xFFFF); u16((v >> 16) & 0xFFFF) }
        bytes += Array("RIFF".utf8); u32(36 + dataBytes)
        bytes += Array("WAVEfmt ".utf8); u32(16)
        u16(formatTag); u16(channels); u32(rate)
        u32(rate &* channels &* bits / 8 & 0xFFFF_FFFF); u16(channels * bits / 8 & 0xFFFF); u16(bits)
        bytes += Array("data".utf8); u32(dataBytes)
        return bytes
    }

    static func decode(_ bytes: [UInt8], limits: InputLimits = InputLimits(), chunk: Int = 4096) -> WholeInputResult {
        bytes.withUnsafeBytes { InputDecoder.decodeWhole($0, format: .wav, limits: limits, chunkBytes: chunk) }
    }

    /// Held bad frames fill the decoder's fixed output batch like good ones: a long run of them (here 100,000
    /// NaN frames after one good frame, in one read) must be flushed batch by batch, never written past it.
    @Test(arguments: [1, 3])
    func heldBadFramesStayWithinTheOutputBatch(channels: Int) {
        let good: [Float] = (0..<channels).map { Float($0) + 0.5 }
        let samples = good + [Float](repeating: .nan, count: 100_000 * channels)
        let decoder = BinaryFrameDecoder(encoding: .f32le, channels: channels, policy: .hold)
        var emitted: [Float] = []
        samples.withUnsafeBytes { bytes in decoder.decode(bytes) { emitted.append(contentsOf: $0) } }
        decoder.finish { emitted.append(contentsOf: $0) }
        #expect(decoder.framesDecoded == 100_001)
        #expect(decoder.badFrames.count == 100_000)
        #expect(emitted.count == 100_001 * channels)
        #expect(
            (0..<100_001).allSatisfy { frame in (0..<channels).allSatisfy { emitted[frame * channels + $0] == good[$0] }
            })
    }

    @Test func channelCountBeyondTheLimitIsRefusedBeforeAnySample() {
        let result = Self.decode(Self.header(channels: 65535, rate: 16000, dataBytes: 1 << 30))
        #expect(result.error?.description == "input: WAV header says 65535 channels, expected 1 to 256")
        #expect(result.samples == 0)
        #expect(Self.decode(Self.header(channels: 0, rate: 16000)).error != nil)
    }

    @Test(arguments: [0, 384_001, 0xFFFF_FFFF])
    func sampleRateOutsideTheLimitsIsRefused(_ rate: Int) {
        let result = Self.decode(Self.header(channels: 1, rate: rate))
        #expect(
            result.error?.description == "input: WAV header says a sample rate of \(rate) Hz, expected 1 to 384000 Hz")
    }

    @Test func aHeaderOtherThanThePipelineNeedsIsRefusedBeforeTheStreamOpens() throws {
        let limits = InputLimits(wavChannels: 1, wavSampleRate: 16000)
        let stereo = Self.decode(
            Self.header(channels: 2, rate: 16000, dataBytes: 8) + [UInt8](repeating: 0, count: 8), limits: limits)
        #expect(stereo.error?.description == "input: WAV header says 2 channels, but the pipeline expects 1")
        #expect(stereo.samples == 0)
        let fast = Self.decode(Self.header(channels: 1, rate: 48000), limits: limits)
        #expect(fast.error?.description == "input: WAV header says 48000 Hz, but the pipeline expects 16000 Hz")
        #expect(
            Self.decode(Self.header(channels: 1, rate: 16000, dataBytes: 4) + [1, 0, 2, 0], limits: limits).samples == 2
        )
    }

    /// `RIFF....WAVE` and then zeros: not a chunk name, refused at once (not buffered while waiting for "data").
    @Test func zerosAfterTheRIFFHeaderAreRefusedAtOnce() {
        let bytes = Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8) + [UInt8](repeating: 0, count: 1 << 20)
        let result = Self.decode(bytes, chunk: 1000)
        #expect(
            result.error?.description.contains("at offset 12 are not a chunk name") == true,
            "\(String(describing: result.error))")
    }

    /// Chunks before "data" may take 64 KiB in all: one claiming more, or many small ones, are refused, and a
    /// stream fed a byte at a time is walked once (each call looks only at the new chunk).
    @Test func chunksBeforeTheSamplesAreBounded() {
        var big = Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVELIST".utf8)
        big += [0, 0, 0, 0x40]  // 1 GiB
        let refused = Self.decode(big)
        #expect(
            refused.error?.description
                == "input: \"LIST\" chunk of 1073741824 bytes at offset 12: the samples must start within the first 65536 bytes of a WAV stream"
        )
        var many = Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8)
        for _ in 0..<10_000 { many += Array("junk".utf8) + [0, 0, 0, 0] }
        let clock = ContinuousClock()
        var result: WholeInputResult?
        let elapsed = clock.measure { result = Self.decode(many, chunk: 1) }
        #expect(result?.error?.description.contains("the samples must start within the first 65536 bytes") == true)
        #expect(elapsed < .seconds(5), "\(elapsed) for 80 KB fed a byte at a time")
    }

    /// A WAV header and data fed whole, as `AudioFile.decode` does, is not copied into the header buffer.
    @Test func theHeaderBufferNeverHoldsMoreThanTheLimit() throws {
        let samples = [Float](repeating: 0.25, count: 200_000)
        let wav = WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le))
        var decoder = AudioStreamDecoder(container: .wav, name: "x")
        var count = 0
        try wav.withUnsafeBytes { try decoder.decode($0) { count += $0.count } }
        #expect(count == samples.count)
    }

    /// Float WAV samples that are NaN, ±Inf or beyond the sample limit are bad frames, as raw float input's are.
    @Test(arguments: [BadFramePolicy.skip, .hold])
    func floatWAVSamplesAreChecked(_ policy: BadFramePolicy) {
        let values: [Float] = [0.5, .nan, 0.25, 1e20, -.infinity, 0.125, 3e5]
        for encoding in [SampleEncoding.f32le, .f64le] {
            let wav = [UInt8](
                WAVEncoder.encode(values, format: PCMFormat(sampleRate: 8000, channels: 1, encoding: encoding)))
            let result = wav.withUnsafeBytes {
                InputDecoder.decodeWhole(
                    $0, format: .wav, policy: policy, limits: InputLimits(sampleLimit: 1e6), chunkBytes: 3)
            }
            #expect(result.error == nil)
            #expect(result.badFrames == 3)
            #expect(result.frames == (policy == .skip ? 4 : 7))
            #expect(result.firstBadFrame == "channel 0 is nan")
        }
    }

    /// Raw float and text input: the sample limit applies to values; timestamps are only required to be finite.
    @Test func sampleLimitAppliesToEveryFormat() {
        let limits = InputLimits(sampleLimit: 1e6)
        let floats = WAVEncoder.encodePCM([1, 2e6, 3], encoding: .f32le)
        let raw = [UInt8](floats).withUnsafeBytes { InputDecoder.decodeWhole($0, format: .raw(.f32le), limits: limits) }
        #expect(raw.frames == 2 && raw.badFrames == 1)
        #expect(raw.firstBadFrame == "channel 0 is 2000000.0, beyond the sample limit ±1000000.0")
        let csv = Array("5e5,1\n1e30,2\n".utf8).withUnsafeBytes {
            InputDecoder.decodeWhole($0, format: .csv(CSVOptions(channels: 1, timestampColumn: true)), limits: limits)
        }
        #expect(csv.frames == 2 && csv.badFrames == 0)
        let values = Array("1,1e30\n2,3\n".utf8).withUnsafeBytes {
            InputDecoder.decodeWhole($0, format: .csv(CSVOptions(channels: 2)), channels: 2, limits: limits)
        }
        #expect(
            values.frames == 1 && values.firstBadFrame == "column 2 is \"1e30\", beyond the sample limit ±1000000.0")
        let json = Array("{\"t\":1e30,\"v\":[1]}\n{\"v\":[-1e7]}\n".utf8).withUnsafeBytes {
            InputDecoder.decodeWhole($0, format: .jsonLines, limits: limits)
        }
        #expect(json.frames == 1 && json.firstBadFrame == "v[0] is \"-1e7\", beyond the sample limit ±1000000.0")
    }
}
