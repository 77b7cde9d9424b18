/// The byte format of a stdin/file/socket input (`--format`).
public enum InputFormat: Sendable, Equatable, CustomStringConvertible {
    /// Headerless interleaved samples; rate and channels are given by the source options.
    case raw(SampleEncoding)
    /// RIFF/WAVE: rate, channels and encoding from the header.
    case wav
    /// Text, one frame per line.
    case csv(CSVOptions)
    /// `{"t": ..., "v": [...]}` per line.
    case jsonLines

    /// Whether frames of this format can carry timestamps (a CSV timestamp column, JSON Lines' `"t"`).
    public var carriesTimestamps: Bool {
        switch self {
        case .csv(let options): options.timestampColumn
        case .jsonLines: true
        case .raw, .wav: false
        }
    }

    public var description: String {
        switch self {
        case .raw(let encoding): encoding.rawValue
        case .wav: "wav"
        case .csv: "csv"
        case .jsonLines: "jsonl"
        }
    }
}

/// What a source accepts besides the format: the sample limit of every decoder, and the format a WAV header
/// must give (nil: any within `WAVHeader`'s limits), checked before anything is sized from the header.
public struct InputLimits: Sendable, Equatable {
    /// Largest sample magnitude; beyond it (or NaN/±Inf) a frame is bad (see `SampleLimit`).
    public var sampleLimit: Float = .greatestFiniteMagnitude
    /// Channels a WAV header must give.
    public var wavChannels: Int? = nil
    /// Sample rate (Hz) a WAV header must give.
    public var wavSampleRate: Int? = nil
    /// Audio (WAV, raw PCM) at another rate or channel count is converted to this (`AudioConverter`) instead of
    /// being refused; `wavChannels` and `wavSampleRate` are then not checked. Text formats are never converted.
    public var convert: AudioTarget? = nil

    public init(
        sampleLimit: Float = .greatestFiniteMagnitude, wavChannels: Int? = nil, wavSampleRate: Int? = nil,
        convert: AudioTarget? = nil
    ) {
        self.sampleLimit = sampleLimit
        self.wavChannels = wavChannels
        self.wavSampleRate = wavSampleRate
        self.convert = convert
    }
}

/// One decoder for any `InputFormat`, as the sources use it: bytes in, whole frames out.
package final class InputDecoder {
    let name: String
    private let limits: InputLimits
    private let policy: BadFramePolicy
    private var wav: AudioStreamDecoder?
    /// Float WAV: the frames checked for NaN, ±Inf and the sample limit (integer WAV samples are within ±1).
    private var wavFrames: BinaryFrameDecoder?
    private let binary: BinaryFrameDecoder?
    private let csv: CSVFrameDecoder?
    private let jsonLines: JSONLinesFrameDecoder?
    /// Channels of the frames emitted: from the options, or the conversion's target (nil for WAV until its
    /// header has been read).
    private(set) var channels: Int?
    /// Channels of the input itself (the WAV header's, or the options').
    private var inputChannels: Int?
    /// Converts audio to `limits.convert` (nil: none needed, or not audio).
    private var converter: AudioConverter?
    /// A conversion refused once the WAV header was read (thrown by `decode`).
    private var conversionError: InputError?

    /// `sampleRate`: of raw PCM input (Hz), needed to convert it (nil: raw input is not converted).
    package init(
        format: InputFormat, channels: Int, policy: BadFramePolicy, name: String, limits: InputLimits = InputLimits(),
        sampleRate: Int? = nil
    ) {
        self.name = name
        self.limits = limits
        self.policy = policy
        let limit = limits.sampleLimit
        switch format {
        case .raw(let encoding):
            binary = BinaryFrameDecoder(encoding: encoding, channels: channels, policy: policy, sampleLimit: limit)
            (csv, jsonLines, wav) = (nil, nil, nil)
            self.channels = channels
            inputChannels = channels
            if let target = limits.convert, let sampleRate {
                do {
                    converter = try AudioConverter.make(
                        inputRate: sampleRate, inputChannels: channels, target: target, name: name)
                    if converter != nil { self.channels = target.channels }
                } catch {
                    conversionError = error
                }
            }
        case .wav:
            var decoder = AudioStreamDecoder(container: .wav, name: name)
            if limits.convert == nil {
                decoder.requiredChannels = limits.wavChannels
                decoder.requiredSampleRate = limits.wavSampleRate
            }
            wav = decoder
            (binary, csv, jsonLines) = (nil, nil, nil)
        case .csv(let options):
            csv = CSVFrameDecoder(options: options, policy: policy, sampleLimit: limit)
            (binary, jsonLines, wav) = (nil, nil, nil)
            self.channels = options.channels
        case .jsonLines:
            jsonLines = JSONLinesFrameDecoder(channels: channels, policy: policy, sampleLimit: limit)
            (binary, csv, wav) = (nil, nil, nil)
            self.channels = channels
        }
    }

    /// The WAV header's format once read (nil for other formats). A property of its own, set from inside
    /// `wav.decode` (before the first samples), so `emit` callbacks may read it while `wav` is being mutated.
    private(set) var wavFormat: PCMFormat?

    /// The rate of the frames emitted when the input says it (converted audio, WAV); nil: the options' rate.
    var streamRate: Int? { converter?.target.sampleRate ?? wavFormat?.sampleRate }

    package var badFrames: BadFrameLog {
        binary?.badFrames ?? csv?.badFrames ?? jsonLines?.badFrames ?? wavFrames?.badFrames ?? BadFrameLog()
    }

    /// Good frames emitted so far (held repeats included).
    var framesDecoded: Int {
        binary?.framesDecoded ?? csv?.framesDecoded ?? jsonLines?.framesDecoded ?? wavFrames?.framesDecoded
            ?? (wav?.samplesDecoded ?? 0) / max(1, inputChannels ?? 1)
    }

    /// Inside `emit`: the timestamps of the frames handed over (seconds since the epoch, NaN where a frame has
    /// none); nil for formats without timestamps and outside `emit`.
    var emittedTimestamps: UnsafeBufferPointer<Double>? { csv?.emittedTimestamps ?? jsonLines?.emittedTimestamps }

    package func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let conversionError { throw conversionError }
        // The converter of a WAV input is made from its header, inside `decodeInput`: looked up per piece.
        try decodeInput(bytes) { samples in
            if let converter { converter.process(samples, emit: emit) } else { emit(samples) }
        }
        if let conversionError { throw conversionError }
    }

    /// Decoded input frames, before any conversion.
    private func decodeInput(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let binary { return binary.decode(bytes, emit: emit) }
        if let csv { return csv.decode(bytes, emit: emit) }
        if let jsonLines { return jsonLines.decode(bytes, emit: emit) }
        try wav?.decode(
            bytes,
            onFormat: { format in
                wavFormat = format
                channels = format.channels
                inputChannels = format.channels
                if let target = limits.convert {
                    do {
                        converter = try AudioConverter.make(
                            inputRate: format.sampleRate, inputChannels: format.channels, target: target, name: name)
                        if converter != nil { channels = target.channels }
                    } catch {
                        conversionError = error as? InputError ?? InputError("\(name): \(error)")
                    }
                }
                if format.encoding == .f32le || format.encoding == .f64le {
                    wavFrames = BinaryFrameDecoder(
                        encoding: format.encoding, channels: format.channels, policy: policy,
                        sampleLimit: limits.sampleLimit)
                }
            },
            emit: { samples in
                if conversionError != nil { return }
                if let wavFrames { wavFrames.take(samples, emit: emit) } else { emit(samples) }
            })
    }

    /// End of input. `partialLineIsBad`: see `LineFramer.finish`. Throws for a truncated WAV stream.
    package func finish(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let conversionError { throw conversionError }
        guard let converter else { return try finishInput(partialLineIsBad: partialLineIsBad, emit: emit) }
        try finishInput(partialLineIsBad: partialLineIsBad) { converter.process($0, emit: emit) }
        try converter.finish(emit: emit)
    }

    private func finishInput(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let binary { return binary.finish(emit: emit) }
        if let csv { return csv.finish(partialLineIsBad: partialLineIsBad, emit: emit) }
        if let jsonLines { return jsonLines.finish(partialLineIsBad: partialLineIsBad, emit: emit) }
        try wav?.finish()
        wavFrames?.finish(emit: emit)
    }
}
