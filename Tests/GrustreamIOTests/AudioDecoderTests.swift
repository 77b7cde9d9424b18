import Foundation
import GrustreamIO
import Testing

@Suite("audio decoders")
struct AudioDecoderTests {
    let signal: [Float] = (0..<300).map { Float(sin(Double($0) * 0.07)) * 0.9 }

    /// Decode `data` fed in chunks of `chunk` bytes.
    func decode(_ data: Data, _ container: AudioContainer, chunk: Int) throws -> (PCMFormat?, [Float]) {
        var decoder = AudioStreamDecoder(container: container, name: "test.wav")
        var out: [Float] = []
        var offset = 0
        while offset < data.count {
            let piece = data[offset..<min(offset + chunk, data.count)]
            try piece.withUnsafeBytes { try decoder.decode($0) { out.append(contentsOf: $0) } }
            offset += chunk
        }
        try decoder.finish()
        return (decoder.format, out)
    }

    @Test(arguments: SampleEncoding.allCases)
    func wavRoundTripsEveryEncoding(_ encoding: SampleEncoding) throws {
        let format = PCMFormat(sampleRate: 8000, channels: 2, encoding: encoding)
        let wav = WAVEncoder.encode(signal, format: format)
        let (decodedFormat, samples) = try decode(wav, .wav, chunk: wav.count)
        #expect(decodedFormat == format)
        let step: Float = encoding == .u8 ? 1 / 128 : encoding == .s16le ? 1 / 32768 : 1e-6
        let worst = zip(samples, signal).map { abs($0 - $1) }.max() ?? 1
        #expect(samples.count == signal.count)
        #expect(worst <= step, "max |error| \(worst) for \(encoding)")
    }

    @Test(arguments: [1, 3, 7, 44, 45, 1000])
    func anyChunkingGivesTheSameSamples(_ chunk: Int) throws {
        let format = PCMFormat(sampleRate: 16000, channels: 1, encoding: .s24le)
        let wav = WAVEncoder.encode(signal, format: format)
        let whole = try decode(wav, .wav, chunk: wav.count).1
        #expect(try decode(wav, .wav, chunk: chunk).1 == whole)
        let raw = WAVEncoder.encodePCM(signal, encoding: .s16le)
        let rawFormat = PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le)
        #expect(try decode(raw, .raw(rawFormat), chunk: chunk).1 == decode(raw, .raw(rawFormat), chunk: raw.count).1)
    }

    @Test func streamedWAVWithUnknownSizeIsAccepted() throws {
        var wav = WAVEncoder.encode(signal, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le))
        wav.replaceSubrange(40..<44, with: [0xff, 0xff, 0xff, 0xff])  // arecord to a pipe
        wav.replaceSubrange(4..<8, with: [0xff, 0xff, 0xff, 0xff])
        #expect(try decode(wav, .wav, chunk: 100).1.count == signal.count)
    }

    @Test func extraChunksBeforeDataAreSkipped() throws {
        var wav = WAVEncoder.encode(signal, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le))
        let list = Data("LIST".utf8) + Data([5, 0, 0, 0]) + Data("abcde".utf8) + Data([0])  // odd size, padded
        wav.insert(contentsOf: list, at: 36)
        #expect(try decode(wav, .wav, chunk: 5).1.count == signal.count)
    }

    func message(_ data: Data, _ container: AudioContainer = .wav) -> String {
        do {
            _ = try AudioFile.decode(data, container: container, name: "bad.wav")
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func badInputGetsOneClearLine() {
        let good = WAVEncoder.encode(signal, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le))
        #expect(message(Data()).contains("empty input"))
        #expect(message(Data("hello, this is not audio".utf8)).contains("not a WAV file"))
        #expect(message(good.prefix(30)).contains("truncated WAV header"))
        #expect(message(good.prefix(100)).contains("truncated WAV data"))
        var alaw = good
        alaw[20] = 6  // format tag 6 = A-law
        #expect(message(alaw).contains("unsupported WAV encoding"))
        var noChannels = good
        noChannels[22] = 0
        #expect(message(noChannels).contains("0 channels"))
        let raw = PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le)
        #expect(message(Data([1, 2, 3]), .raw(raw)).contains("ends inside a sample"))
        for m in [message(Data()), message(alaw)] { #expect(!m.contains("\n") && m.hasPrefix("bad.wav: ")) }
    }
}
