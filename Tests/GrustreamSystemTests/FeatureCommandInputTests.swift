import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

/// `grustream features` on hostile WAV files: refused with exit 2 and one line, before anything is sized from the
/// header (a 4.29 GHz or 65535-channel header used to take gigabytes), and samples the features cannot use.
@Suite("features command: hostile WAV input")
struct FeatureCommandInputTests {
    static func run(_ wav: [UInt8]) throws -> CommandLineTool.Result {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gs-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: out) }
        return try CommandLineTool.run(["features", "--input", "-", "--output", out.path], stdin: Data(wav))
    }

    /// A 16-bit PCM header claiming `channels` and `rate`, followed by 64 KiB of zeros.
    static func claiming(channels: Int, rate: Int) -> [UInt8] {
        var bytes = [UInt8](
            WAVEncoder.encode(
                [Float](repeating: 0, count: 32768), format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le)
            ))
        func put32(_ value: Int, at offset: Int) {
            for k in 0..<4 { bytes[offset + k] = UInt8((value >> (8 * k)) & 0xFF) }
        }
        bytes[22] = UInt8(channels & 0xFF)
        bytes[23] = UInt8(channels >> 8)
        put32(rate, at: 24)
        return bytes
    }

    @Test func aHeaderClaimingGigahertzOrThousandsOfChannelsIsRefused() throws {
        let fast = try Self.run(Self.claiming(channels: 1, rate: 0xFFFF_FFFF))
        #expect(fast.status == 2)
        #expect(
            fast.stderr.contains("stdin: WAV header says a sample rate of 4294967295 Hz, expected 1 to 384000 Hz"),
            "\(fast.stderr)")
        let wide = try Self.run(Self.claiming(channels: 65535, rate: 16000))
        #expect(wide.status == 2)
        #expect(wide.stderr.contains("stdin: WAV header says 65535 channels, expected 1 to 256"), "\(wide.stderr)")
    }

    @Test func nonFiniteOrHugeSamplesAreRefused() throws {
        var samples = [Float](repeating: 0.1, count: 8000)
        samples[1234] = .nan
        let nan = try Self.run(
            [UInt8](WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .f32le))))
        #expect(nan.status == 2)
        #expect(nan.stderr.contains("stdin: sample 1234 of channel 0 is nan; expected finite values"), "\(nan.stderr)")
        samples[1234] = 1e20
        let huge = try Self.run(
            [UInt8](WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .f32le))))
        #expect(huge.status == 2)
        #expect(huge.stderr.contains("stdin: sample 1234 is 1e+20, beyond the sample limit"), "\(huge.stderr)")
    }
}
