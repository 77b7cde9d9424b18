/// The rate and channels a pipeline's features take: audio input in another format is converted to it.
public struct AudioTarget: Sendable, Equatable {
    /// Hz.
    public var sampleRate: Int
    public var channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }
}

/// Converts interleaved audio at any rate and channel count to an `AudioTarget`, as a stream: channels are
/// averaged to mono (the only channel conversion: a target of several channels needs input with as many), then
/// libsoxr resamples (`SoxrResampler`, HQ). State is kept between calls, so any split of the input into
/// pieces — even inside a frame — gives the same output samples, bit for bit, as the whole input at once.
///
/// Allocation-free after `init`: the downmix buffer holds `pieceFrames` frames, and longer input is converted
/// a piece at a time.
public final class AudioConverter {
    /// Rates (Hz) converted from and to.
    public static let supportedRates = 1_000...384_000
    /// Input channels averaged at most (the WAV header's own limit).
    public static let maximumInputChannels = 256
    /// Input frames per resampler call.
    static let pieceFrames = 4096
    /// The resampler's recipe, for documentation and `--print-options`.
    public static let quality = SoxrResampler.recipe

    public let inputRate: Int
    public let inputChannels: Int
    public let target: AudioTarget
    /// Channels are averaged (input channels ≠ target channels, and the target is mono).
    public let downmixes: Bool
    private let resampler: SoxrResampler?
    /// [inputChannels] samples of a frame that arrived in part.
    private let partial: UnsafeMutablePointer<Float>
    private var partialCount = 0
    /// [pieceFrames × target.channels] frames after the downmix, before resampling.
    private let piece: UnsafeMutablePointer<Float>
    private var pieceCount = 0
    private let name: String

    /// A converter, or nil when the input already has the target's rate and channels. `name` (a file, a device)
    /// starts every error message. Throws when a rate is outside `supportedRates`, the input has more than
    /// `maximumInputChannels` channels, or a multi-channel target gets another number of channels.
    public static func make(inputRate: Int, inputChannels: Int, target: AudioTarget, name: String) throws(InputError)
        -> AudioConverter?
    {
        if inputRate == target.sampleRate && inputChannels == target.channels { return nil }
        return try AudioConverter(inputRate: inputRate, inputChannels: inputChannels, target: target, name: name)
    }

    public init(inputRate: Int, inputChannels: Int, target: AudioTarget, name: String) throws(InputError) {
        let range = Self.supportedRates
        if inputRate != target.sampleRate {
            for (rate, what) in [(inputRate, "the input"), (target.sampleRate, "the features")]
            where !range.contains(rate) {
                throw InputError(
                    "\(name): cannot resample \(inputRate) Hz audio to \(target.sampleRate) Hz: \(what) rate \(rate) Hz is outside \(range.lowerBound)–\(range.upperBound) Hz"
                )
            }
        }
        guard inputChannels >= 1 && inputChannels <= Self.maximumInputChannels else {
            throw InputError(
                "\(name): \(inputChannels) channels; expected 1–\(Self.maximumInputChannels) to mix down")
        }
        guard inputChannels == target.channels || target.channels == 1 else {
            throw InputError(
                "\(name): \(inputChannels)-channel audio, but the features expect \(target.channels) channels (features.channels); only a mix down to one channel is done"
            )
        }
        self.inputRate = inputRate
        self.inputChannels = inputChannels
        self.target = target
        self.name = name
        downmixes = inputChannels != target.channels
        resampler =
            inputRate == target.sampleRate
            ? nil
            : try SoxrResampler(
                inputRate: inputRate, outputRate: target.sampleRate, channels: target.channels,
                maximumInputFrames: Self.pieceFrames)
        partial = .allocate(capacity: inputChannels)
        piece = .allocate(capacity: Self.pieceFrames * target.channels)
    }

    deinit {
        partial.deallocate()
        piece.deallocate()
    }

    /// Output frames held back by the resampler at this moment (its filter delay), at the target rate.
    public var delayFrames: Double { resampler?.delayFrames ?? 0 }

    /// Convert interleaved samples (any count: a frame may be split between calls); `emit` gets converted
    /// interleaved samples, whole frames, as they are ready.
    public func process(_ samples: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) -> Void) {
        guard let base = samples.baseAddress else { return }
        let c = inputChannels
        var index = 0
        while index < samples.count {
            if partialCount > 0 || samples.count - index < c {
                while partialCount < c && index < samples.count {
                    partial[partialCount] = base[index]
                    partialCount += 1
                    index += 1
                }
                if partialCount < c { break }
                take(partial)
                partialCount = 0
            } else {
                take(base + index)
                index += c
            }
            if pieceCount == Self.pieceFrames { convertPiece(emit: emit) }
        }
        if pieceCount > 0 { convertPiece(emit: emit) }
    }

    /// End of input: the resampler's remaining output. A frame cut short is dropped (the decoders report it).
    public func finish(emit: (UnsafeBufferPointer<Float>) -> Void) throws(InputError) {
        if pieceCount > 0 { convertPiece(emit: emit) }
        resampler?.flush(emit: emit)
        if let failure = resampler?.failure { throw InputError("\(name): resampling failed: libsoxr: \(failure)") }
    }

    /// One input frame into the piece: averaged (the sum in channel order, divided by the count, as
    /// `DecodedAudio.downmix`) or copied.
    @inline(__always)
    private func take(_ frame: UnsafePointer<Float>) {
        if downmixes {
            var sum: Float = 0
            for k in 0..<inputChannels { sum += frame[k] }
            piece[pieceCount] = sum / Float(inputChannels)
        } else {
            (piece + pieceCount * inputChannels).update(from: frame, count: inputChannels)
        }
        pieceCount += 1
    }

    private func convertPiece(emit: (UnsafeBufferPointer<Float>) -> Void) {
        if let resampler {
            resampler.process(piece, frames: pieceCount, emit: emit)
        } else {
            emit(UnsafeBufferPointer(start: piece, count: pieceCount * target.channels))
        }
        pieceCount = 0
    }

    /// A whole recording converted through the same streaming path (so a file converted at once and the same
    /// file streamed give the same samples). Input that needs no conversion is returned as it is.
    public static func convert(
        _ samples: [Float], inputRate: Int, inputChannels: Int, target: AudioTarget, name: String
    ) throws(InputError) -> [Float] {
        guard let converter = try make(inputRate: inputRate, inputChannels: inputChannels, target: target, name: name)
        else { return samples }
        var output: [Float] = []
        let ratio = Double(target.sampleRate) / Double(inputRate)
        output.reserveCapacity(Int(Double(samples.count / inputChannels) * ratio) * target.channels + 64)
        samples.withUnsafeBufferPointer { converter.process($0) { output.append(contentsOf: $0) } }
        try converter.finish { output.append(contentsOf: $0) }
        return output
    }
}

extension DecodedAudio {
    /// This recording at the target's rate and channels (`AudioConverter.convert`).
    public func converted(to target: AudioTarget, name: String) throws(InputError) -> DecodedAudio {
        let samples = try AudioConverter.convert(
            samples, inputRate: format.sampleRate, inputChannels: format.channels, target: target, name: name)
        var format = format
        format.sampleRate = target.sampleRate
        format.channels = target.channels
        return DecodedAudio(format: format, samples: samples)
    }
}
