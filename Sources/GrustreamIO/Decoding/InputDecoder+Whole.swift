/// What `InputDecoder.decodeWhole` made of a byte buffer.
package struct WholeInputResult: Sendable, Equatable {
    /// Good frames emitted (held repeats included).
    package var frames: Int
    /// Interleaved samples emitted (frames × channels).
    package var samples: Int
    /// Bad frames counted by the decoder, and the first one's reason.
    package var badFrames: Int
    package var firstBadFrame: String?
    /// The error that ended decoding (a refused WAV header, a truncated stream), nil for a clean end.
    package var error: InputError?
}

extension InputDecoder {
    /// Decode a whole byte buffer as a source does (`sampleRate`: of raw input, for `limits.convert`): the real
    /// decoder for `format`, fed `chunkBytes` at a time
    /// (any split gives the same frames), then the end of input (`partialLineIsBad` as a socket producer that
    /// vanished). One call for tests and fuzz targets; every sample emitted is checked to be within
    /// `limits.sampleLimit` (integer PCM: within ±1) — a violation traps, which is what a fuzzer reports.
    package static func decodeWhole(
        _ bytes: UnsafeRawBufferPointer, format: InputFormat, channels: Int = 1, policy: BadFramePolicy = .skip,
        limits: InputLimits = InputLimits(), chunkBytes: Int = 4096, partialLineIsBad: Bool = false,
        sampleRate: Int? = nil
    ) -> WholeInputResult {
        let decoder = InputDecoder(
            format: format, channels: channels, policy: policy, name: "input", limits: limits, sampleRate: sampleRate)
        var samples = 0
        let largest = max(limits.sampleLimit, 1)
        let emit: (UnsafeBufferPointer<Float>) -> Void = { values in
            for value in values where !(abs(value) <= largest) {
                fatalError("decoder emitted \(value), beyond the sample limit \(limits.sampleLimit)")
            }
            samples += values.count
        }
        var error: InputError?
        do {
            var offset = 0
            let step = max(1, chunkBytes)
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), emit: emit)
                offset = end
            }
            try decoder.finish(partialLineIsBad: partialLineIsBad, emit: emit)
        } catch let failure as InputError {
            error = failure
        } catch {
            preconditionFailure("decoders throw InputError only, got \(error)")
        }
        let log = decoder.badFrames
        return WholeInputResult(
            frames: samples / max(1, decoder.channels ?? channels), samples: samples, badFrames: log.count,
            firstBadFrame: log.firstReason, error: error)
    }
}
