import Foundation
import GrustreamIO

/// The stream decoders: each input is decoded whole and in chunks, and the two must agree.
enum FuzzDecoders {
    static func wav(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 1)
        let whole = try? AudioFile.decode(Data(input.payload), container: .wav, name: "fuzz.wav")
        var decoder = AudioStreamDecoder(container: .wav, name: "fuzz.wav")
        var samples: [Float] = []
        var failed = false
        inChunks(input.payload, of: input.chunkSize(0)) { chunk in
            guard !failed else { return }
            do { try decoder.decode(chunk) { samples.append(contentsOf: $0) } } catch { failed = true }
        }
        if !failed, (try? decoder.finish()) == nil { failed = true }
        if let whole, !failed, !sameBits(whole.samples, samples) {
            fuzzFailure("wav: \(whole.samples.count) samples whole, \(samples.count) streamed")
        }
        sourceDecoder(input, format: .wav, channels: 1)
    }

    /// The decoder a source runs (limits and bad-frame policy included), whole and in chunks: same frames, same
    /// bad-frame count, same outcome; `decodeWhole` itself traps on a sample beyond the limit. With bit 0x20 of
    /// the first option byte, audio is converted (resampled from the header's or 44.1 kHz, mixed down) to 16 kHz
    /// mono as a pipeline's source does.
    private static func sourceDecoder(_ input: FuzzInput, format: InputFormat, channels: Int) {
        var limits = InputLimits(sampleLimit: input.options[0] & 0x80 != 0 ? 1e6 : 2.2e7)
        if input.options[0] & 0x20 != 0 { limits.convert = AudioTarget(sampleRate: 16000, channels: 1) }
        let policy: BadFramePolicy = input.options[0] & 0x40 != 0 ? .hold : .skip
        input.payload.withUnsafeBytes { bytes in
            let whole = InputDecoder.decodeWhole(
                bytes, format: format, channels: channels, policy: policy, limits: limits,
                chunkBytes: max(1, bytes.count), sampleRate: 44100)
            let streamed = InputDecoder.decodeWhole(
                bytes, format: format, channels: channels, policy: policy, limits: limits,
                chunkBytes: input.chunkSize(input.options.count - 1), sampleRate: 44100)
            if whole != streamed {
                fuzzFailure("\(format): whole \(whole) but streamed \(streamed)")
            }
        }
    }

    static func pcm(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 3)
        let encodings = SampleEncoding.allCases
        let encoding = encodings[Int(input.options[0]) % encodings.count]
        let format = PCMFormat(sampleRate: 16000, channels: Int(input.options[1] % 8) + 1, encoding: encoding)
        var whole = PCMDecoder(format: format)
        var wholeSamples: [Float] = []
        input.payload.withUnsafeBytes { whole.decode($0) { wholeSamples.append(contentsOf: $0) } }
        var streamed = PCMDecoder(format: format)
        var streamedSamples: [Float] = []
        inChunks(input.payload, of: input.chunkSize(2)) {
            streamed.decode($0) { streamedSamples.append(contentsOf: $0) }
        }
        if !sameBits(wholeSamples, streamedSamples) {
            fuzzFailure("pcm \(encoding): \(wholeSamples.count) samples whole, \(streamedSamples.count) streamed")
        }
        sourceDecoder(input, format: .raw(encoding), channels: format.channels)
    }

    static func csv(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 2)
        let options = CSVOptions(
            channels: Int(input.options[0] % 4) + 1, timestampColumn: input.options[0] & 0x10 != 0,
            header: CSVOptions.Header.allCases[Int(input.options[0] >> 5 & 1 | input.options[0] >> 6 & 2) % 3])
        let policy: BadFramePolicy = input.options[0] & 0x40 != 0 ? .hold : .skip
        compareLineDecoders(input, name: "csv") {
            CSVFrameDecoder(options: options, policy: policy, maximumLineBytes: 256)
        }
        sourceDecoder(input, format: .csv(options), channels: options.channels)
    }

    static func jsonl(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 2)
        let channels = Int(input.options[0] % 4) + 1
        let policy: BadFramePolicy = input.options[0] & 0x40 != 0 ? .hold : .skip
        compareLineDecoders(input, name: "jsonl") {
            JSONLinesFrameDecoder(channels: channels, policy: policy, maximumLineBytes: 256)
        }
        sourceDecoder(input, format: .jsonLines, channels: channels)
    }

    /// Two decoders from `make`, one fed the payload whole and one in chunks: same values, same bad-frame log.
    private static func compareLineDecoders<Decoder: LineDecoding>(
        _ input: FuzzInput, name: String, make: () -> Decoder
    ) {
        let whole = make()
        let streamed = make()
        var wholeFrames: [Float] = []
        input.payload.withUnsafeBytes { whole.decode($0) { wholeFrames.append(contentsOf: $0) } }
        whole.finish(partialLineIsBad: false) { wholeFrames.append(contentsOf: $0) }
        var streamedFrames: [Float] = []
        inChunks(input.payload, of: input.chunkSize(1)) { chunk in
            streamed.decode(chunk) { streamedFrames.append(contentsOf: $0) }
        }
        streamed.finish(partialLineIsBad: false) { streamedFrames.append(contentsOf: $0) }
        if !sameBits(wholeFrames, streamedFrames) {
            fuzzFailure("\(name): \(wholeFrames.count) values whole, \(streamedFrames.count) streamed")
        }
        if whole.badFrames != streamed.badFrames { fuzzFailure("\(name): bad-frame logs differ") }
    }
}

/// The decoders of text lines (CSV, JSON Lines), as the fuzz target drives them.
protocol LineDecoding {
    var badFrames: BadFrameLog { get }
    func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void)
    func finish(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void)
}

extension CSVFrameDecoder: LineDecoding {}
extension JSONLinesFrameDecoder: LineDecoding {}
